import { z } from 'zod';
import { LOADING_MESSAGE_STYLES } from '../../../shared/catalog-schema.js';
import type { ApiMethodName, ApiParams, CatalogChange, ImportScriptsParams, SettingsPatch } from '../../../shared/switchboard-api.js';
import { MAX_REQUEST_LIMIT, REQUEST_STATUS_PATTERN } from '../../../shared/request-log.js';

// Runtime checks of every method's params: both transports carry untrusted JSON (a browser tab,
// a renderer). Typed per method, so a method without a schema is a compile error.

const none = z.object({}).strict() as z.ZodType<Record<string, never>>;
const modelName = z.string().min(1).max(200);
const gpuRef = z.string().min(1).max(100);
const revision = z.string().regex(/^[0-9a-f]{64}$/, 'must be a catalog revision (64 hex digits)');
const revertAfterS = z.number().int().min(5).max(3600);
const watts = z.number().int().positive().max(5000);
const sinceMs = z.number().int().min(0);
const clientCause = z.enum(['manual', 'cli']);

/** A model entry is checked by the catalog validator (field by field, for inline display), not here. */
const modelInput = z.record(z.string(), z.unknown());

const settingsPatch = z
  .object({
    router: z
      .object({ host: z.string().min(1).optional(), port: z.number().int().min(1).max(65535).optional(), loadingMessages: z.enum(LOADING_MESSAGE_STYLES).optional() })
      .strict()
      .optional(),
    backend: z
      .object({
        drainTimeoutS: z.number().min(0).optional(),
        readyTimeoutS: z.number().positive().optional(),
        stopTimeoutS: z.number().positive().optional(),
        maxSleepers: z.number().int().min(0).max(16).optional(),
        sleepTimeoutS: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    gpu: z
      .object({ presetsW: z.array(watts).max(16).optional() })
      .strict()
      .optional(),
  })
  .strict() as z.ZodType<SettingsPatch>;

const catalogChange = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), model: modelInput }).strict(),
  z.object({ op: z.literal('edit'), id: modelName, model: modelInput }).strict(),
  z.object({ op: z.literal('remove'), id: modelName }).strict(),
  z.object({ op: z.literal('settings'), settings: settingsPatch }).strict(),
]) as unknown as z.ZodType<CatalogChange>;

const importScripts = z
  .object({
    paths: z.array(z.string().min(1).max(4096)).max(200).optional(),
    scripts: z
      .array(z.object({ name: z.string().min(1).max(255), text: z.string().max(1_000_000) }).strict())
      .max(200)
      .optional(),
    apply: z.boolean(),
    expectedRevision: revision.optional(),
  })
  .strict()
  .refine((p) => (p.paths?.length ?? 0) + (p.scripts?.length ?? 0) > 0, 'give "paths" or "scripts"') as z.ZodType<ImportScriptsParams>;

export const API_PARAM_SCHEMAS: { [M in ApiMethodName]: z.ZodType<ApiParams<M>> } = {
  'state.get': none,
  'models.list': none,
  'models.switchTo': z.object({ model: modelName, wait: z.boolean().optional(), cause: clientCause.optional(), force: z.boolean().optional() }).strict(),
  'models.stop': z.object({ cause: clientCause.optional() }).strict(),
  'models.unload': z.object({ model: modelName }).strict(),
  'models.swapHistory': z.object({ limit: z.number().int().min(1).max(10_000).optional() }).strict(),
  'models.fit': z.object({ model: modelName }).strict(),
  'models.loadHistory': z.object({ model: modelName.optional(), limit: z.number().int().min(1).max(10_000).optional() }).strict(),
  'catalog.get': none,
  'catalog.preview': z.object({ change: catalogChange }).strict(),
  'catalog.apply': z.object({ change: catalogChange, expectedRevision: revision.optional() }).strict(),
  'catalog.importScripts': importScripts,
  'logs.tail': z.object({ tail: z.number().int().min(0).max(10_000).optional() }).strict(),
  'requests.list': z
    .object({
      model: modelName.optional(),
      status: z.string().regex(REQUEST_STATUS_PATTERN, 'must be a status class (2xx … 5xx) or a code (404)').optional(),
      sinceMs: sinceMs.optional(),
      untilMs: sinceMs.optional(),
      client: z.string().min(1).max(200).optional(),
      limit: z.number().int().min(1).max(MAX_REQUEST_LIMIT).optional(),
    })
    .strict(),
  'gpu.overview': z.object({ refreshTopology: z.boolean().optional() }).strict(),
  'gpu.history': z.object({ gpu: gpuRef, sinceMs: sinceMs.optional() }).strict(),
  'gpu.setPowerLimit': z.object({ gpu: gpuRef, watts, revertAfterS: revertAfterS.optional() }).strict(),
  'gpu.confirmPowerLimit': z.object({ changeId: z.string().min(1).max(100) }).strict(),
  'gpu.revertPowerLimit': z.object({ changeId: z.string().min(1).max(100) }).strict(),
  'gpu.applyPreset': z.object({ watts, revertAfterS: revertAfterS.optional() }).strict(),
  'throughput.samples': z.object({ model: modelName, sinceMs: sinceMs.optional() }).strict(),
  'bench.run': z.object({ model: modelName, maxTokens: z.number().int().min(2).max(32_768).optional() }).strict(),
  'bench.history': none,
  'settings.get': none,
  'settings.update': z.object({ patch: settingsPatch, expectedRevision: revision.optional() }).strict(),
  'setup.startSimulatedHost': none,
};
