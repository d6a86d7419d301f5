import { z } from 'zod';
import { MODEL_ID_PATTERN } from './catalog-schema.js';

/**
 * The privileged helper's wire protocol: newline-delimited JSON over a unix socket, one request
 * per line, one response line per request (in order, per connection). Every operation is its
 * own strict request type; there is no generic "run this" request.
 */

/** Protocol version carried in every message as `v`. */
export const HELPER_PROTOCOL_VERSION = 1;

/** Longest request line accepted, newline excluded; longer ones get `too_large` and the connection closes. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** Where the helper listens unless told otherwise (`--socket`, `SWITCHBOARD_HELPER_SOCKET`). */
export const DEFAULT_HELPER_SOCKET = '/run/sglang-switchboard/helper.sock';

/** Every operation the helper knows. */
export const HELPER_OPS = ['status', 'selectModel', 'start', 'stop', 'restart', 'resetFailed', 'setPowerLimit', 'confirmPowerLimit', 'revertPowerLimit'] as const;
export type HelperOp = (typeof HELPER_OPS)[number];

/** Stable error codes; clients branch on these, never on messages. */
export const HELPER_ERROR_CODES = [
  'bad_request',
  'unknown_op',
  'unknown_model',
  'forbidden_unit',
  'too_large',
  'internal',
  'unsupported',
  /** The catalog file could not be read, parsed or trusted. */
  'catalog_error',
  /** A valid request whose systemctl / nvidia-smi step failed. */
  'failed',
  /** A power limit outside the GPU's own min..max. */
  'out_of_range',
  /** No such GPU, or no such pending power-limit change. */
  'not_found',
  /** The connection was refused or closed because of the connection limits (too many from this process or user, or the helper is full); the line is sent once, then the connection closes. */
  'busy',
  /** No complete request line arrived in time (or answers were not read); the line is sent once, then the connection closes. */
  'timeout',
] as const;
export type HelperErrorCode = (typeof HELPER_ERROR_CODES)[number];

/** An error with a protocol code; thrown by operations and power-limit implementations, sent as `error`. */
export class HelperError extends Error {
  readonly code: HelperErrorCode;
  constructor(code: HelperErrorCode, message: string) {
    super(message);
    this.name = 'HelperError';
    this.code = code;
  }
}

const requestId = z.union([z.string().min(1).max(64), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)]);

/** A catalog model id as the helper accepts it: the catalog's own rule, with plain words for the dangerous cases. */
export const helperModelIdSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => !s.includes('\0'), 'must not contain NUL')
  .refine((s) => !s.includes('/'), 'must not contain "/"')
  .refine((s) => !s.includes('..'), 'must not contain ".."')
  .regex(MODEL_ID_PATTERN, 'must start with a letter or digit and contain only letters, digits and . _ : + -');

/** A GPU named by UUID (`GPU-xxxxxxxx-…`) or PCI bus id (`00000000:01:00.0`); never by index, which can change across boots. */
export const gpuIdSchema = z
  .string()
  .regex(
    /^(GPU-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|([0-9a-fA-F]{4}|[0-9a-fA-F]{8}):[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])$/,
    'must be a GPU UUID (GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) or a PCI bus id (00000000:01:00.0)',
  );

const changeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -');
/**
 * A unit a request names: the configured unit, or for a template `name@.service` one of its slot
 * instances `name@<slot>.service`. Only checked for length here: the operations refuse any other
 * name with `forbidden_unit`, and that refusal is audited.
 */
const unitName = z.string().min(1).max(256);

const base = { v: z.literal(HELPER_PROTOCOL_VERSION), id: requestId };
const unitOp = <Op extends string>(op: Op) => z.object({ ...base, op: z.literal(op), unit: unitName.optional() }).strict();

/** Every request, validated at run time. Unknown fields are refused (`.strict()`). */
export const helperRequestSchema = z.discriminatedUnion('op', [
  z.object({ ...base, op: z.literal('status'), unit: unitName.optional() }).strict(),
  z.object({ ...base, op: z.literal('selectModel'), modelId: helperModelIdSchema, unit: unitName.optional() }).strict(),
  unitOp('start'),
  unitOp('stop'),
  unitOp('restart'),
  unitOp('resetFailed'),
  z
    .object({
      ...base,
      op: z.literal('setPowerLimit'),
      gpu: gpuIdSchema,
      watts: z.number().positive().max(5000),
      revertAfterS: z.number().int().min(1).max(3600).optional(),
    })
    .strict(),
  z.object({ ...base, op: z.literal('confirmPowerLimit'), changeId }).strict(),
  z.object({ ...base, op: z.literal('revertPowerLimit'), changeId }).strict(),
]);

/** One validated request. */
export type HelperRequest = z.infer<typeof helperRequestSchema>;
/** The request of one operation. */
export type HelperRequestOf<Op extends HelperOp> = Extract<HelperRequest, { op: Op }>;
/** A request id: echoed in the response so a client can pair them. */
export type HelperRequestId = z.infer<typeof requestId>;

/** What `systemctl show` says of the managed unit (same shape as the engine's UnitState). */
export const helperUnitStateSchema = z.object({
  activeState: z.string(),
  subState: z.string(),
  mainPid: z.number(),
  execMainStatus: z.number(),
  execMainCode: z.string(),
  nRestarts: z.number(),
  invocationId: z.string(),
  result: z.string(),
});
export type HelperUnitState = z.infer<typeof helperUnitStateSchema>;

/** Answer to `status`. */
export const helperStatusSchema = z.object({
  helperVersion: z.string(),
  protocol: z.literal(HELPER_PROTOCOL_VERSION),
  pid: z.number().int(),
  uptimeS: z.number(),
  /** The configured unit: a plain unit, or a template `name@.service` whose slot instances the helper manages. */
  unit: z.string(),
  /** The state of the requested instance (status with `unit`), or else of the configured unit. Null when `systemctl show` failed; `unitError` says why. */
  unitState: helperUnitStateSchema.nullable(),
  unitError: z.string().optional(),
  powerControl: z.boolean(),
});
export type HelperStatus = z.infer<typeof helperStatusSchema>;

/** Answer to `setPowerLimit`: the limit read back from the GPU and when it reverts unless confirmed. */
export const powerLimitChangeSchema = z.object({
  changeId: z.string(),
  gpu: z.string(),
  previousW: z.number(),
  enforcedW: z.number(),
  /** ISO 8601 time after which the previous limit is restored unless confirmed. */
  revertAt: z.string(),
});
export type PowerLimitChange = z.infer<typeof powerLimitChangeSchema>;

/** Result of each operation. */
export interface HelperResults {
  status: HelperStatus;
  selectModel: { unit: string; modelId: string };
  start: { unit: string };
  stop: { unit: string };
  restart: { unit: string };
  resetFailed: { unit: string };
  setPowerLimit: PowerLimitChange;
  confirmPowerLimit: { changeId: string };
  revertPowerLimit: { changeId: string; restoredW: number };
}

/** `{code, message}` as carried in a failed response. */
export interface HelperErrorBody {
  code: HelperErrorCode;
  message: string;
}

/** One response line. `id` is null when the request's id could not be read. */
export type HelperResponse =
  { v: typeof HELPER_PROTOCOL_VERSION; id: HelperRequestId | null; ok: true; result: unknown } | { v: typeof HELPER_PROTOCOL_VERSION; id: HelperRequestId | null; ok: false; error: HelperErrorBody };

/** Validates a response line as read by a client (results are checked by the caller, per op). */
export const helperResponseSchema = z.union([
  z.object({ v: z.literal(HELPER_PROTOCOL_VERSION), id: requestId.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    v: z.literal(HELPER_PROTOCOL_VERSION),
    id: requestId.nullable(),
    ok: z.literal(false),
    error: z.object({ code: z.enum(HELPER_ERROR_CODES), message: z.string() }),
  }),
]);

/** A request line's verdict: the request, or the error to answer with (and the id to echo). */
export type ParsedHelperRequest = { ok: true; request: HelperRequest } | { ok: false; id: HelperRequestId | null; error: HelperErrorBody };

/** Parses one request line (without its newline). Never throws. */
export function parseHelperRequestLine(line: string): ParsedHelperRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return refuse(null, 'bad_request', `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseHelperRequest(value);
}

/** Validates a decoded request; the message names the offending field. Never throws. */
export function parseHelperRequest(value: unknown): ParsedHelperRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse(null, 'bad_request', 'a request is a JSON object {"v":1,"id":…,"op":…}');
  }
  const raw = value as Record<string, unknown>;
  const id = requestId.safeParse(raw.id).success ? (raw.id as HelperRequestId) : null;
  if (raw.v !== HELPER_PROTOCOL_VERSION) {
    const seen = raw.v === undefined ? 'missing' : `unsupported version ${JSON.stringify(raw.v)}`;
    return refuse(id, 'bad_request', `v: ${seen} (this helper speaks protocol ${HELPER_PROTOCOL_VERSION})`);
  }
  if (typeof raw.op !== 'string') return refuse(id, 'bad_request', 'op: required, a string');
  if (!(HELPER_OPS as readonly string[]).includes(raw.op)) {
    return refuse(id, 'unknown_op', `unknown operation ${JSON.stringify(raw.op.slice(0, 64))}; known: ${HELPER_OPS.join(', ')}`);
  }
  const parsed = helperRequestSchema.safeParse(value);
  if (!parsed.success) return refuse(id, 'bad_request', formatIssue(parsed.error.issues[0]));
  return { ok: true, request: parsed.data };
}

/** Builds a success response line (without newline). */
export function okResponse(id: HelperRequestId | null, result: unknown): HelperResponse {
  return { v: HELPER_PROTOCOL_VERSION, id, ok: true, result };
}

/** Builds an error response. */
export function errorResponse(id: HelperRequestId | null, code: HelperErrorCode, message: string): HelperResponse {
  return { v: HELPER_PROTOCOL_VERSION, id, ok: false, error: { code, message } };
}

function refuse(id: HelperRequestId | null, code: HelperErrorCode, message: string): ParsedHelperRequest {
  return { ok: false, id, error: { code, message } };
}

function formatIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid request';
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (extra fields are refused)`;
  const field = issue.path.length > 0 ? issue.path.join('.') : 'request';
  return `${field}: ${issue.message}`;
}
