// The nvidia-smi command lines the fake understands; anything else gets nvidia-smi's usage refusal.

/** One invocation. */
export type FakeCommand =
  | { kind: 'table' }
  | { kind: 'help-query-gpu' }
  | { kind: 'help-query-compute-apps' }
  | { kind: 'list'; ids?: string }
  | { kind: 'nvlink-status'; ids?: string }
  | { kind: 'topo-matrix' }
  | { kind: 'power-limit'; ids?: string; watts: string }
  | { kind: 'query'; ids?: string; fields: string; format: string; loopMs?: number }
  | { kind: 'query-compute-apps'; ids?: string; fields: string; format: string; loopMs?: number };

const OPTIONS: Record<string, string> = {
  '-i': 'id',
  '--id': 'id',
  '--query-gpu': 'query',
  '--query-compute-apps': 'queryApps',
  '--format': 'format',
  '-lms': 'loopMs',
  '--loop-ms': 'loopMs',
  '-l': 'loopS',
  '--loop': 'loopS',
  '-pl': 'watts',
  '--power-limit': 'watts',
};
const FLAGS: Record<string, string> = {
  '-L': 'list',
  '--list-gpus': 'list',
  '--help-query-gpu': 'helpQuery',
  '--help-query-compute-apps': 'helpQueryApps',
  '-s': 'status',
  '--status': 'status',
  '-m': 'matrix',
  '--matrix': 'matrix',
};

/** The command, or null when nvidia-smi would answer "Invalid combination of input arguments". */
export function parseFakeArgs(argv: string[]): FakeCommand | null {
  const sub = argv[0] === 'nvlink' || argv[0] === 'topo' ? argv[0] : null;
  const opts = readOptions(sub ? argv.slice(1) : argv);
  if (!opts) return null;
  const ids = opts.get('id');
  if (sub === 'nvlink') return opts.has('status') ? { kind: 'nvlink-status', ids } : null;
  if (sub === 'topo') return opts.has('matrix') ? { kind: 'topo-matrix' } : null;
  if (opts.has('helpQuery')) return { kind: 'help-query-gpu' };
  if (opts.has('helpQueryApps')) return { kind: 'help-query-compute-apps' };
  if (opts.has('list')) return { kind: 'list', ids };
  if (opts.has('watts')) return { kind: 'power-limit', ids, watts: opts.get('watts')! };
  if (opts.has('query') && opts.has('queryApps')) return null;
  if (opts.has('query')) return { kind: 'query', ids, fields: opts.get('query')!, format: opts.get('format') ?? 'csv', loopMs: loopMs(opts) };
  if (opts.has('queryApps')) return { kind: 'query-compute-apps', ids, fields: opts.get('queryApps')!, format: opts.get('format') ?? 'csv', loopMs: loopMs(opts) };
  return opts.size === 0 ? { kind: 'table' } : null;
}

function readOptions(argv: string[]): Map<string, string> | null {
  const opts = new Map<string, string>();
  const words = [...argv];
  for (let word = words.shift(); word !== undefined; word = words.shift()) {
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const [name, inline] = eq >= 0 ? [word.slice(0, eq), word.slice(eq + 1)] : [word, undefined];
    const flag = FLAGS[name];
    if (flag && inline === undefined) {
      opts.set(flag, '');
      continue;
    }
    const key = OPTIONS[name];
    const value = inline ?? words.shift();
    if (!key || value === undefined) return null;
    opts.set(key, value);
  }
  return opts;
}

function loopMs(opts: Map<string, string>): number | undefined {
  if (opts.has('loopMs')) return Number(opts.get('loopMs'));
  if (opts.has('loopS')) return Number(opts.get('loopS')) * 1000;
  return undefined;
}
