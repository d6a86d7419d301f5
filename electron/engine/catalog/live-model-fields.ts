/**
 * Fields of a model entry that take effect at once, even while the model is loaded: names (routing),
 * request defaults (sampling) and the router's and lifecycle's per-request settings (the request
 * limit, idle unload, pinning), all read per use. Every other field changes how the model launches,
 * so a loaded model keeps running as it was launched until it unloads. (An entry is matched by its
 * id: a changed id is another model.)
 */
export const LIVE_MODEL_FIELDS: ReadonlySet<string> = new Set(['label', 'aliases', 'sampling', 'maxConcurrent', 'maxQueued', 'idleUnloadS', 'pinned']);

/** The live fields as the editor's refusal lists them. */
export const LIVE_MODEL_FIELD_LIST = [...LIVE_MODEL_FIELDS].join(', ');
