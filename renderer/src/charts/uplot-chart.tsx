import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { readThemeColors, type ThemeColors } from './read-theme-colors.js';
import type { SeriesData } from './time-series-ring.js';
import { useThemeVersion } from './use-theme-version.js';
import './uplot-chart.css';

/** uPlot options without the size: the wrapper sizes the chart to its container. */
export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

export interface UplotChartProps {
  /** Builds the options from the theme's colours; called when the chart is (re)created, not on each render. */
  makeOptions: (colors: ThemeColors) => ChartOptions;
  data: SeriesData;
  /** Plot height in CSS pixels; the legend adds its own below. */
  height: number;
  /** Accessible name of the chart (it is an image to assistive technology; values are also shown as text). */
  label: string;
  testId?: string;
  /** A change re-creates the chart (e.g. the set of series changed). */
  optionsKey?: string;
}

/**
 * One uPlot chart: created on mount and when the theme or `optionsKey` changes, destroyed on unmount,
 * resized with its container, and fed new data with setData (never re-created for new data).
 */
export function UplotChart({ makeOptions, data, height, label, testId, optionsKey }: UplotChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ makeOptions, data, height });
  latest.current = { makeOptions, data, height };
  const themeVersion = useThemeVersion();

  useEffect(() => {
    const element = box.current!;
    const { makeOptions: make, data: initial, height: h } = latest.current;
    const options: uPlot.Options = { ...make(readThemeColors(element)), width: widthOf(element), height: h };
    const chart = new uPlot(options, initial as uPlot.AlignedData, element);
    plot.current = chart;
    const resize = new (globalThis.ResizeObserver ?? NoResizeObserver)((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (width > 0 && width !== chart.width) chart.setSize({ width, height: latest.current.height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [themeVersion, optionsKey, height]);

  useEffect(() => {
    const chart = plot.current;
    if (chart && chart.data !== (data as uPlot.AlignedData)) chart.setData(data as uPlot.AlignedData);
  }, [data]);

  return <div ref={box} className="uplot-chart" role="img" aria-label={label} data-testid={testId} />;
}

function widthOf(element: HTMLElement): number {
  return Math.max(120, Math.floor(element.clientWidth || 320));
}

/** Stands in where ResizeObserver is missing (jsdom): the chart keeps its first width. */
class NoResizeObserver {
  constructor(_callback: ResizeObserverCallback) {}
  observe(): void {}
  disconnect(): void {}
}
