// tqdm's text rendering (default bar, custom bar_format) and its status printer, which
// writes '\r' + line + padding for every refresh. Times are simulated seconds.

/** tqdm.format_interval: `MM:SS` or `H:MM:SS`. */
export function formatInterval(seconds: number): string {
  const total = Math.trunc(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const mmss = `${String(minutes).padStart(2, '0')}:${String(secs).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

function pyFormatPercent(fraction: number): string {
  return (fraction * 100).toFixed(0).padStart(3, ' ');
}

const BLOCKS = ' ▏▎▍▌▋▊▉█';

/** The 10-column unicode bar used when the stream is not a terminal. */
export function renderBar(fraction: number, width = 10): string {
  const symbols = BLOCKS.length - 1;
  const units = Math.floor(fraction * width * symbols);
  const full = Math.floor(units / symbols);
  const partial = units % symbols;
  if (full >= width) return BLOCKS.charAt(symbols).repeat(width);
  return BLOCKS.charAt(symbols).repeat(full) + BLOCKS.charAt(partial) + ' '.repeat(width - full - 1);
}

export interface BarState {
  n: number;
  total: number;
  elapsedS: number;
}

/** `[elapsed<remaining, rate]` with tqdm's average rate (it/s, or s/it when slower than 1 it/s). */
function timing(state: BarState): string {
  const elapsed = formatInterval(state.elapsedS);
  if (state.n === 0 || state.elapsedS <= 0) return `[${elapsed}<?, ?it/s]`;
  const rate = state.n / state.elapsedS;
  const remaining = formatInterval((state.total - state.n) / rate);
  const rateText = rate < 1 ? `${(1 / rate).toFixed(2).padStart(5, ' ')}s/it` : `${rate.toFixed(2).padStart(5, ' ')}it/s`;
  return `[${elapsed}<${remaining}, ${rateText}]`;
}

/** Default tqdm line: `{desc}: {pct}%|{bar}| {n}/{total} [..]` (no `: ` when desc is empty). */
export function formatDefaultBar(desc: string, state: BarState): string {
  const fraction = state.total > 0 ? state.n / state.total : 0;
  const head = desc === '' ? '' : `${desc}: `;
  return `${head}${pyFormatPercent(fraction)}%|${renderBar(fraction)}| ${state.n}/${state.total} ${timing(state)}`;
}

/** SGLang's weight-loading bar_format, which ends with a newline. */
export function formatShardBar(kind: string, state: BarState): string {
  const fraction = state.total > 0 ? state.n / state.total : 0;
  return `Loading ${kind} checkpoint shards: ${pyFormatPercent(fraction)}% Completed | ${state.n}/${state.total} ${timing(state)}\n`;
}

/** tqdm's status printer: '\r' + line, padded with spaces when shorter than the previous one. */
export class StatusPrinter {
  private lastLength = 0;

  constructor(private readonly write: (text: string) => void) {}

  print(line: string): void {
    const length = [...line].length;
    this.write('\r' + line + ' '.repeat(Math.max(this.lastLength - length, 0)));
    this.lastLength = length;
  }

  close(): void {
    this.write('\n');
  }
}
