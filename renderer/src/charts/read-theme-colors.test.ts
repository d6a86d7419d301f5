// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { mixColors, readThemeColors, toHex6, withAlpha } from './read-theme-colors.js';

describe('readThemeColors', () => {
  afterEach(() => document.documentElement.removeAttribute('style'));

  it('reads the variables set on the root and falls back to the dark theme for the rest', () => {
    document.documentElement.style.setProperty('--bad', ' #cf222e');
    const colors = readThemeColors();
    expect(colors.bad).toBe('#cf222e');
    expect(colors.text).toBe('#e4e7ec');
  });
});

describe('toHex6 / withAlpha', () => {
  it.each([
    ['#abc', '#aabbcc'],
    ['#A1B2C3', '#A1B2C3'],
    ['rgb(1, 2, 3)', '#000000'],
  ])('%s → %s', (input, expected) => expect(toHex6(input, '#000000')).toBe(expected));

  it('makes rgba from hex and leaves other forms alone', () => {
    expect(withAlpha('#ff0000', 0.5)).toBe('rgba(255, 0, 0, 0.5)');
    expect(withAlpha('red', 0.5)).toBe('red');
  });
});

describe('mixColors', () => {
  it('blends two hex colours', () => {
    expect(mixColors('#ff0000', '#0000ff', 0.5)).toBe('#800080');
    expect(mixColors('#ffffff', '#000000', 1)).toBe('#ffffff');
    expect(mixColors('red', '#000000', 0.5)).toBe('red');
  });
});
