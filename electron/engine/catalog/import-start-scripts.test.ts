import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelEntrySchema } from '../../../shared/catalog-schema.js';
import { readFile } from 'node:fs/promises';
import { importStartScripts, mergeImported, type ImportReport } from './import-start-scripts.js';
import { parseCatalogText } from './load-catalog.js';
import { parseStartScript } from './parse-start-script.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/start-scripts/', import.meta.url));

const notes = (report: ImportReport | undefined) => report?.notes.map((n) => `${n.line ?? '-'} ${n.severity}: ${n.message}`);

describe('importStartScripts over the fixture scripts', async () => {
  const { entries, reports } = await importStartScripts(DIR);

  it('reads every start_sglang_*.sh in name order', () => {
    expect(reports.map((r) => r.script)).toEqual(['start_sglang_llama8b.sh', 'start_sglang_mistral.sh', 'start_sglang_qwen-coder.sh'].map((n) => join(DIR, n)));
    expect(entries.map((e) => e.id)).toEqual(['llama8b', 'mistral-large-2411-awq', 'Qwen-Qwen3-Coder-30B-A3B-Instruct']);
    for (const entry of entries) expect(modelEntrySchema.safeParse(entry).success).toBe(true);
  });

  it('maps the template script field by field', () => {
    expect(entries[1]).toEqual({
      id: 'mistral-large-2411-awq',
      label: 'Mistral Large 2411 AWQ on the four NVLinked 3090s',
      modelPath: '/models/Mistral-Large-Instruct-2411-AWQ',
      tp: 4,
      contextLength: 24576,
      quantization: 'awq_marlin',
      memFractionStatic: 0.8,
      torchCompile: true,
      gpus: [1, 2, 3, 4],
      extraArgs: ['--torch-compile-max-bs', '8', '--sleep-on-idle', '--log-requests'],
      env: { NCCL_P2P_LEVEL: 'NVL', SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN: '1' },
    });
    expect(reports[1]?.suggestedCommand).toEqual(['/opt/sglang/venv/bin/python', '-m', 'sglang.launch_server']);
    expect(notes(reports[1])).toEqual([
      '- info: lines 9, 13 end in "\\  # comment", which ends the command in bash; read as continuations',
      '- info: suggested sglang.command: ["/opt/sglang/venv/bin/python","-m","sglang.launch_server"]',
      '3 warning: `source /opt/sglang/venv/bin/activate` is not imported: set sglang.command to /opt/sglang/venv/bin/python',
      '11 info: --host 0.0.0.0 dropped: managed by switchboard (backend.host)',
      '12 info: --port 8001 dropped: managed by switchboard (backend.port)',
    ]);
  });

  it('maps the Qwen coder script: =value forms, quoted exports, parser flags kept in order', () => {
    expect(entries[2]).toEqual({
      id: 'Qwen-Qwen3-Coder-30B-A3B-Instruct',
      label: 'Qwen3 Coder 30B-A3B on the 3090 pair (GPUs 4 and 5)',
      modelPath: '/models/Qwen3-Coder-30B-A3B-Instruct',
      tp: 2,
      contextLength: 65536,
      memFractionStatic: 0.85,
      gpus: [4, 5],
      extraArgs: ['--chat-template', '/opt/sglang/templates/qwen3_coder.jinja', '--reasoning-parser', 'qwen3', '--tool-call-parser', 'qwen3_coder', '--trust-remote-code'],
      env: { HF_HOME: '/data/hf-cache', HF_HUB_OFFLINE: '1' },
    });
    expect(reports[2]?.suggestedCommand).toEqual(['/opt/sglang/venv/bin/python3', '-m', 'sglang.launch_server']);
    expect(notes(reports[2])).toEqual([
      '- info: suggested sglang.command: ["/opt/sglang/venv/bin/python3","-m","sglang.launch_server"]',
      '9 warning: served model name "Qwen/Qwen3-Coder-30B-A3B-Instruct" is not a valid id; imported as "Qwen-Qwen3-Coder-30B-A3B-Instruct" (clients must use the new name)',
      '10 info: --host 127.0.0.1 dropped: managed by switchboard (backend.host)',
      '10 info: --port 8001 dropped: managed by switchboard (backend.port)',
    ]);
  });

  it('maps the odd script and reports everything it could not', () => {
    expect(entries[0]).toEqual({
      id: 'llama8b',
      modelPath: '/models/Meta-Llama-3.1-8B-Instruct',
      gpus: [0],
      extraArgs: ['--api-key', '$SGLANG_API_KEY', '--dtype', 'bfloat16'],
    });
    expect(reports[0]?.suggestedCommand).toEqual(['python3', '-m', 'sglang.launch_server']);
    expect(notes(reports[0])).toEqual([
      '- info: no --served-model-name; id "llama8b" taken from the script name',
      '- info: suggested sglang.command: ["python3","-m","sglang.launch_server"]',
      '3 warning: not imported: `set -e`',
      '4 info: shell variable MODEL_DIR=/models/Meta-Llama-3.1-8B-Instruct is not kept; only used to expand $MODEL_DIR below',
      '5 warning: not imported: `cd /opt/sglang`',
      '8 info: `nohup` dropped: switchboard starts and supervises the server itself',
      '8 info: $MODEL_DIR expanded to "/models/Meta-Llama-3.1-8B-Instruct" (set earlier in the script)',
      '8 info: --port 30000 dropped: managed by switchboard (backend.port)',
      '9 warning: $SGLANG_API_KEY is not set in the script; left as "$SGLANG_API_KEY"',
      "9 warning: output piped into `tee -a /var/log/sglang-llama8b.log`: not imported; switchboard captures SGLang's output",
      '9 info: runs in the background (&): switchboard runs and supervises the server itself',
      '10 warning: not imported: `echo "sglang started as $!"`',
    ]);
  });
});

describe('importing into an existing catalog', () => {
  it('merges the fixture scripts into the full example, skipping the id it already has', async () => {
    const { entries } = await importStartScripts(DIR);
    const catalogText = await readFile(new URL('../../../test/fixtures/catalogs/valid-full.yaml', import.meta.url), 'utf8');
    const { text, added, skipped } = mergeImported(catalogText, entries);
    expect(added).toEqual(['llama8b', 'Qwen-Qwen3-Coder-30B-A3B-Instruct']);
    expect(skipped).toEqual([{ id: 'mistral-large-2411-awq', reason: '"mistral-large-2411-awq" is already used in the catalog' }]);
    expect(text.startsWith(catalogText)).toBe(true);
    const result = parseCatalogText(text, { checkFiles: false });
    expect(result.ok && result.catalog.models.map((m) => m.id)).toEqual(['mistral-large-2411-awq', 'qwen2.5-7b-instruct', 'kat-dev-awq-8bit', 'llama8b', 'Qwen-Qwen3-Coder-30B-A3B-Instruct']);
  });
});

describe('parseStartScript edge cases', () => {
  const parse = (text: string, name = '/opt/start_sglang_x.sh') => parseStartScript(text, name);

  it('reports a script without a launch command and makes no entry', () => {
    const { entry, report } = parse('#!/bin/bash\necho hi\n');
    expect(entry).toBeUndefined();
    expect(report.notes).toContainEqual({ severity: 'error', message: 'no `python -m sglang.launch_server` command found; nothing imported' });
  });

  it('keeps a launch without --model-path as a script model', () => {
    const { entry } = parse('python3 -m sglang.launch_server --config /etc/sglang.yaml\n', '/opt/start_sglang_cfg.sh');
    expect(entry).toEqual({ id: 'cfg', script: '/opt/start_sglang_cfg.sh' });
  });

  it('imports only the first of several launch commands', () => {
    const { entry, report } = parse('python -m sglang.launch_server --model /a\npython -m sglang.launch_server --model /b\n');
    expect(entry?.modelPath).toBe('/a');
    expect(notes(report)).toContain('2 warning: another launch command (line 2) is not imported: one model per script');
  });

  it('reads prefix assignments, --tensor-parallel-size and non-numeric GPU lists', () => {
    const { entry, report } = parse('CUDA_VISIBLE_DEVICES=GPU-1a2b OMP_NUM_THREADS=8 python -m sglang.launch_server --model-path /m --tensor-parallel-size 2 --quantization awq-marlin\n');
    expect(entry).toEqual({ id: 'x', modelPath: '/m', tp: 2, env: { CUDA_VISIBLE_DEVICES: 'GPU-1a2b', OMP_NUM_THREADS: '8' } });
    expect(notes(report)).toEqual(
      expect.arrayContaining([
        '1 warning: CUDA_VISIBLE_DEVICES=GPU-1a2b is not a list of GPU indices; kept in env instead of gpus',
        '1 warning: --quantization awq-marlin is not an SGLang quantization method; not imported',
      ]),
    );
  });

  it('reports command substitutions and output redirection', () => {
    const { entry, report } = parse('python -m sglang.launch_server --model-path "$(cat /etc/model)" > /tmp/log 2>&1\n');
    expect(entry?.modelPath).toBe('$(cat /etc/model)');
    expect(notes(report)).toEqual(
      expect.arrayContaining([
        '1 warning: command substitution $(cat /etc/model) cannot be imported; left as "$(cat /etc/model)"',
        '1 info: output redirection >/tmp/log 2>&1 dropped: switchboard captures the logs',
      ]),
    );
  });
});
