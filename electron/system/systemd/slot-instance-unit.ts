/**
 * A slot's instance name: `all` or `gpu<N>[-<M>…]`, as `gpuSetKey` (shared/gpu-sets.ts) writes
 * slot ids, and for a warm model's own slot that followed by `.<model id>` (`slotIdOf`; model ids are
 * letters, digits and `. _ : -` here, never `..`). Mirrored here (and kept in sync by
 * slot-instance-unit.test.ts) so the helper names the exact instances it accepts. `none` (an empty
 * `gpus` list) is left out: the catalog check refuses such a model (tp exceeds its GPU list), so no
 * slot ever runs with it.
 */
export const SLOT_INSTANCE_PATTERN = /^(all|gpu\d+(-\d+)*)(\.[A-Za-z0-9](?:[A-Za-z0-9_:-]|\.(?!\.)){0,127})?$/;

const TEMPLATE_UNIT = /^([^@]+)@\.service$/;
const INSTANCE_UNIT = /^([^@]+)@([^@]*)\.service$/;

/** True for a template service unit, `name@.service`. */
export function isTemplateUnit(unit: string): boolean {
  return TEMPLATE_UNIT.test(unit);
}

/** `name@<slotId>.service` of the template `name@.service`. Throws for a unit that is not a template. */
export function slotInstanceUnit(template: string, slotId: string): string {
  const prefix = TEMPLATE_UNIT.exec(template)?.[1];
  if (prefix === undefined) throw new Error(`${template} is not a template unit (name@.service)`);
  return `${prefix}@${slotId}.service`;
}

/**
 * The slot id of `unit` when it is an instance of `template` for a slot (`sglang@gpu0-1.service`
 * of `sglang@.service` → `gpu0-1`); undefined for anything else: another template's instance, an
 * empty instance, or an instance that is not a slot id (`sglang@../x.service`, `sglang@gpu0;rm.service`).
 */
export function slotOfInstanceUnit(template: string, unit: string): string | undefined {
  const prefix = TEMPLATE_UNIT.exec(template)?.[1];
  const match = INSTANCE_UNIT.exec(unit);
  if (prefix === undefined || !match || match[1] !== prefix) return undefined;
  return SLOT_INSTANCE_PATTERN.test(match[2]!) ? match[2] : undefined;
}

/** The template a service instance belongs to (`sglang@gpu0.service` → `sglang@.service`), or undefined. */
export function templateOfUnit(unit: string): string | undefined {
  const match = INSTANCE_UNIT.exec(unit);
  return match ? `${match[1]}@.service` : undefined;
}
