/** The theme's colours (styles.css variables) as concrete values, for canvases that cannot use CSS. */
export interface ThemeColors {
  bg: string;
  bgRaised: string;
  bgSunken: string;
  border: string;
  text: string;
  textDim: string;
  accent: string;
  ok: string;
  warn: string;
  bad: string;
  info: string;
  focus: string;
}

/** The dark theme's values: used when a variable is not set (tests, a detached element). */
const FALLBACK: ThemeColors = {
  bg: '#14161a',
  bgRaised: '#1c1f25',
  bgSunken: '#0f1114',
  border: '#2c313a',
  text: '#e4e7ec',
  textDim: '#9aa3b2',
  accent: '#5b9cff',
  ok: '#3fb950',
  warn: '#d29922',
  bad: '#f85149',
  info: '#58a6ff',
  focus: '#ffcc4d',
};

const VARIABLES: Record<keyof ThemeColors, string> = {
  bg: '--bg',
  bgRaised: '--bg-raised',
  bgSunken: '--bg-sunken',
  border: '--border',
  text: '--text',
  textDim: '--text-dim',
  accent: '--accent',
  ok: '--ok',
  warn: '--warn',
  bad: '--bad',
  info: '--info',
  focus: '--focus',
};

/** Reads the theme variables as they apply to `element` (default: the document root). */
export function readThemeColors(element: Element = document.documentElement): ThemeColors {
  const style = getComputedStyle(element);
  const colors = { ...FALLBACK };
  for (const key of Object.keys(VARIABLES) as (keyof ThemeColors)[]) {
    const value = style.getPropertyValue(VARIABLES[key]).trim();
    if (value) colors[key] = value;
  }
  return colors;
}

/** `#rgb`/`#rrggbb` as `#rrggbb` (xterm's search decorations accept only that form); anything else → fallback. */
export function toHex6(color: string, fallback: string): string {
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(color);
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`;
  return /^#[0-9a-f]{6}$/i.test(color) ? color : fallback;
}

/** `#rrggbb` with an alpha, as `rgba()`, for fills under a line. */
export function withAlpha(color: string, alpha: number): string {
  const hex = toHex6(color, '');
  if (!hex) return color;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** `weightA` of colour a blended with b, as `#rrggbb` (both must be hex; otherwise a is returned). */
export function mixColors(a: string, b: string, weightA: number): string {
  const [ha, hb] = [toHex6(a, ''), toHex6(b, '')];
  if (!ha || !hb) return a;
  const channel = (hex: string, i: number) => parseInt(hex.slice(i, i + 2), 16);
  const mixed = [1, 3, 5].map((i) => Math.round(channel(ha, i) * weightA + channel(hb, i) * (1 - weightA)));
  return `#${mixed.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}
