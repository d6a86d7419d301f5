import { describe, expect, it } from 'vitest';
import { parseHelpQueryGpu } from './parse-help-query-gpu.js';
import { parseQueryCsv } from './parse-query-csv.js';
import { canonicalField, FIELD_ALIASES, POWER_DRAW_INSTANT, SAMPLE_FIELDS, sampleFields } from './query-fields.js';
import { readNvidiaSmiFixture } from '../../../test/fixtures/read-nvidia-smi-fixture.js';

// Field and alias counts by hand: `"a" or "b"` lines in each help file, less the four `"0: Default" means …`
// description lines; 595/610 have 42 alias lines, one of them `"clocks.max.sm" or "clocks.max.sm"`.
const HELP_CASES = [
  { file: 'help-query-gpu-driver595.txt', fields: 202, names: 243, instant: true, has: ['clocks_event_reasons.gpu_idle', 'kmd_version'], lacks: ['bbx.time_run', 'gpu.base.current'] },
  { file: 'help-query-gpu-driver610.txt', fields: 241, names: 282, instant: true, has: ['bbx.time_run', 'gpu.base.current', 'power_smoothing.enabled'], lacks: [] },
  { file: 'help-query-gpu-pre535-netdata.txt', fields: 117, names: 137, instant: false, has: ['clocks_throttle_reasons.gpu_idle'], lacks: ['clocks_event_reasons.gpu_idle', 'kmd_version'] },
];

describe('parseHelpQueryGpu and the sampler field list', () => {
  it.each(HELP_CASES)('$file', ({ file, fields, names, instant, has, lacks }) => {
    const help = parseHelpQueryGpu(readNvidiaSmiFixture(file));
    expect(help.fields).toHaveLength(fields);
    expect(help.names.size).toBe(names);
    expect(SAMPLE_FIELDS.filter((f) => !help.names.has(f))).toEqual([]); // the base list works on every driver here
    expect(help.names.has(POWER_DRAW_INSTANT)).toBe(instant);
    expect(sampleFields(help.names).at(-1)).toBe(instant ? POWER_DRAW_INSTANT : 'pstate');
    for (const name of has) expect(help.names.has(name)).toBe(true);
    for (const name of lacks) expect(help.names.has(name)).toBe(false);
  });

  it.each([
    ['help-query-gpu-driver595.txt', 'query-csv-allfields-rtx4080super-driver595-idle.csv'],
    ['help-query-gpu-driver610.txt', 'query-csv-allfields-rtx2080super-driver610-load.csv'],
  ])('%s lists exactly the columns of the same driver all-field capture %s', (helpFile, csvFile) => {
    const help = parseHelpQueryGpu(readNvidiaSmiFixture(helpFile));
    expect(parseQueryCsv(readNvidiaSmiFixture(csvFile)).fields).toEqual(help.fields);
  });

  it('every alias maps to its canonical name as the 610 help pairs them', () => {
    const help = readNvidiaSmiFixture('help-query-gpu-driver610.txt');
    for (const [alias, canonical] of Object.entries(FIELD_ALIASES)) {
      expect(help).toContain(`"${canonical}" or "${alias}"`);
      expect(canonicalField(alias)).toBe(canonical);
    }
  });
});
