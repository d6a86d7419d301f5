import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listNvidiaSmiFixtures } from '../../../test/fixtures/read-nvidia-smi-fixture.js';

// Every capture in test/fixtures/nvidia-smi: which test reads it, or why nothing parses it.
const READ_BY: Record<string, string> = {
  'query-csv-allfields-rtx2080super-driver610-load.csv': 'parse-query-csv.test.ts',
  'query-csv-allfields-rtx4080super-driver595-idle.csv': 'parse-query-csv.test.ts',
  'query-csv-teslap100-netdata.csv': 'parse-query-csv.test.ts',
  'query-csv-noheader-nounits-rtx2080-driver440-powerlimits.txt': 'parse-query-csv.test.ts',
  'query-csv-noheader-nounits-NA-newer-driver.txt': 'parse-query-csv.test.ts',
  'query-csv-noheader-nounits-NotSupported-older-driver.txt': 'parse-query-csv.test.ts',
  'query-csv-noheader-nounits-fan-NotSupported-16gpu-server.txt': 'parse-query-csv.test.ts',
  'help-query-gpu-driver595.txt': 'query-fields.test.ts',
  'help-query-gpu-driver610.txt': 'query-fields.test.ts',
  'help-query-gpu-pre535-netdata.txt': 'query-fields.test.ts',
  'nvlink-s-h100-mig-driver590.txt': '../../../shared/parse-nvlink-status.test.ts',
  'nvlink-s-h100sxm-driver590-18links.txt': '../../../shared/parse-nvlink-status.test.ts',
  'nvlink-s-rtx2080super-driver595-links-inactive.txt': '../../../shared/parse-nvlink-status.test.ts',
  'nvlink-s-rtx3090x2-nvlink-driver560.txt': '../../../shared/parse-nvlink-status.test.ts',
  'nvlink-s-rtx4080super-driver595-no-nvlink.txt': '../../../shared/parse-nvlink-status.test.ts',
  'nvlink-s-rtxa6000x3-2bridged-1inactive.txt': '../../../shared/parse-nvlink-status.test.ts',
  'extra/nvlink-s-h100pcie-x2-driver555-12of18-active.txt': '../../../shared/parse-nvlink-status.test.ts',
  'topo-m-5gpu-sys-phb-node-driver580.txt': '../../../shared/parse-topo-matrix.test.ts',
  'topo-m-h100x1-driver590-ansi.txt': '../../../shared/parse-topo-matrix.test.ts',
  'topo-m-rtx3090x2-nv4-driver560.txt': '../../../shared/parse-topo-matrix.test.ts',
  'topo-m-rtxa6000x3-nv4-node-ansi.txt': '../../../shared/parse-topo-matrix.test.ts',
  'extra/topo-m-h100pcie-x2-nv12-driver555.txt': '../../../shared/parse-topo-matrix.test.ts',
  'extra/topo-m-h100pcie-1nic-driver575.txt': '../../../shared/parse-topo-matrix.test.ts',
  'extra/topo-m-8gpu-nv12-10nic-tabs.txt': '../../../shared/parse-topo-matrix.test.ts',
  'pl-error-insufficient-permissions.txt': 'parse-power-limit-output.test.ts',
  'pl-error-out-of-range-rtx3070.txt': 'parse-power-limit-output.test.ts',
  'pl-not-supported-laptop-exit0.txt': 'parse-power-limit-output.test.ts',
  'pl-success-4gpus-all-done.txt': 'parse-power-limit-output.test.ts',
  'pl-success-persistence-warning-terminal-wrapped.txt': 'parse-power-limit-output.test.ts',
  'version-driver610-kmd.txt': 'parse-power-limit-output.test.ts', // only as text that is not -pl output
};

// The -lms query already carries everything these hold that the engine uses, under stable field names.
const NOT_PARSED: Record<string, string> = {
  'dmon-h100sxm-driver590-load.txt': 'dmon: integer watts, no UUID/bus id, no limits; a second long-lived process for less than -lms gives',
  'dmon-rtx2080super-driver610-idle.txt': 'dmon: as above',
  'dmon-rtx4080super-driver595-load.txt': 'dmon: as above',
  'q-rtx3090x2-driver560.txt': '-q text: label padding and nesting drift per driver (col 42 vs 55, 610 nests limits)',
  'q-rtx4080super-driver595-idle.txt': '-q text: as above',
  'q-h100sxm-driver590-load.txt': '-q text: as above',
  'q-d-power-4gpu-h100class-driver595-partial.txt': '-q text: as above (partial capture)',
  'q-d-power-laptop-driver590-partial.txt': '-q text: as above (partial capture)',
  'xml-rtx3090-driver525-dtdv12.xml': '-q -x: same data as -q, element renames between DTD v12 and v13',
  'xml-rtx3090-driver590-dtdv13.xml': '-q -x: as above',
  'xml-rtx4090-driver535-dtdv12.xml': '-q -x: as above',
  'smi-table-rtx3090x2-driver560.txt': 'the interactive table: for people, truncated names, no limit bounds',
};

describe('nvidia-smi fixture coverage', () => {
  it('every capture is either read by a parser test or listed here with the reason it is not', () => {
    expect(listNvidiaSmiFixtures()).toEqual([...Object.keys(READ_BY), ...Object.keys(NOT_PARSED)].sort());
  });

  it.each(Object.entries(READ_BY))('%s is read by %s', (fixture, testFile) => {
    expect(readFileSync(new URL(testFile, import.meta.url), 'utf8')).toContain(`'${fixture}'`);
  });
});
