/**
 * Keys that set the same thing under two names: a client's `max_completion_tokens` must not be joined
 * by a default `max_tokens` (SGLang would then have to pick one), and the other way round.
 */
const ALIASES = new Map<string, readonly string[]>([
  ['max_tokens', ['max_completion_tokens']],
  ['max_completion_tokens', ['max_tokens']],
]);

/**
 * Adds to a chat or completions request body each default whose key the client left out or set to
 * null. A value the client set (including 0, false, "" and []) always wins, and so does a client value
 * under an alias of the key. Mutates `body`; returns whether it added anything. Object and array
 * defaults are copied, so later changes to the body never reach the defaults.
 */
export function applySamplingDefaults(body: Record<string, unknown>, defaults: Record<string, unknown>): boolean {
  let isChanged = false;
  for (const [key, value] of Object.entries(defaults)) {
    if (value === undefined || value === null || key === '__proto__') continue;
    if (isSet(body, key) || (ALIASES.get(key) ?? []).some((alias) => isSet(body, alias))) continue;
    body[key] = typeof value === 'object' ? structuredClone(value) : value;
    isChanged = true;
  }
  return isChanged;
}

function isSet(body: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(body, key) && body[key] !== null && body[key] !== undefined;
}
