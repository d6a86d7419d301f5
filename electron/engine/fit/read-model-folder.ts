import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { geometryFromConfig, type ModelGeometry } from './model-geometry.js';

/** What the fit estimate reads from a model folder. */
export interface ModelFolderFacts {
  geometry: ModelGeometry;
  /** Bytes of the checkpoint: the safetensors index's `metadata.total_size`, else the sum of the `.safetensors` files; null when neither. */
  checkpointBytes: number | null;
  checkpointBytesFrom: 'index' | 'files' | null;
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

async function readOptionalJson(path: string): Promise<unknown> {
  try {
    return await readJson(path);
  } catch {
    return undefined;
  }
}

/** `metadata.total_size` of a parsed model.safetensors.index.json, when it is a positive number. */
export function totalSizeOfIndex(index: unknown): number | null {
  if (typeof index !== 'object' || index === null) return null;
  const metadata = (index as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return null;
  const total = (metadata as { total_size?: unknown }).total_size;
  return typeof total === 'number' && total > 0 ? total : null;
}

/**
 * Reads `config.json` (required: throws when missing or not a decoder config), `hf_quant_config.json`
 * (ModelOpt, optional) and the checkpoint's size from a local model folder.
 */
export async function readModelFolder(folder: string): Promise<ModelFolderFacts> {
  const geometry = geometryFromConfig(await readJson(join(folder, 'config.json')), await readOptionalJson(join(folder, 'hf_quant_config.json')));
  const fromIndex = totalSizeOfIndex(await readOptionalJson(join(folder, 'model.safetensors.index.json')));
  if (fromIndex !== null) return { geometry, checkpointBytes: fromIndex, checkpointBytesFrom: 'index' };
  let total = 0;
  try {
    for (const name of await readdir(folder)) {
      if (name.endsWith('.safetensors')) total += (await stat(join(folder, name))).size;
    }
  } catch {
    total = 0;
  }
  return total > 0 ? { geometry, checkpointBytes: total, checkpointBytesFrom: 'files' } : { geometry, checkpointBytes: null, checkpointBytesFrom: null };
}
