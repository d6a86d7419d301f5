import { parseArgs } from 'node:util';
import type { ModelView } from '../../shared/engine-state.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE } from './engine-connection.js';
import { withEngine } from './engine-session.js';
import { formatDuration } from '../../shared/format-duration.js';
import { formatTable } from './format-table.js';
import { parseOrUsage } from './usage-error.js';

const USAGE = `usage: switchboard models [options]

Lists the catalog's models: id, aliases, tensor parallelism, GPUs, switch mode (cold, or warm: put
to sleep instead of stopped when another model needs the GPUs), status and typical load time.
${CONNECTION_USAGE}`;

export async function runModels(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () => parseArgs({ args, options: CONNECTION_OPTIONS, strict: true }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  return withEngine(values, async (engine) => {
    const models = await engine.api['models.list']({});
    console.log(models.length === 0 ? 'no models in the catalog' : formatModels(models));
    return 0;
  });
}

/** The models table as printed. */
export function formatModels(models: ModelView[]): string {
  const rows = models.map((m) => [
    m.id,
    m.aliases.join(', ') || '-',
    String(m.tp),
    m.gpus?.join(',') ?? 'all',
    switchModeOf(m),
    formatModelStatus(m),
    m.typicalLoadMs === null ? '-' : formatDuration(m.typicalLoadMs),
  ]);
  return formatTable(['ID', 'ALIASES', 'TP', 'GPUS', 'MODE', 'STATUS', 'TYPICAL LOAD'], rows);
}

/** cold or warm (catalog switchMode; engines before warm switching send no `warm`: cold); upstream models are not switched. */
function switchModeOf(model: ModelView): string {
  if (model.kind === 'upstream') return '-';
  return model.warm ? 'warm' : 'cold';
}

function formatModelStatus(model: ModelView): string {
  if (model.status === 'loading' && model.progress) return `loading (${model.progress.phase})`;
  if (model.status === 'failed' && model.lastFailure) return `failed (${model.lastFailure.cause})`;
  if (model.status === 'sleeping') return 'sleeping (GPU memory released)';
  return model.status;
}
