import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogSchema } from '../../shared/catalog-schema.js';
import { EngineError } from '../../shared/engine-error.js';
import type { UnitControl, UnitState } from '../system/systemd/unit-control.js';
import { AuditLog } from './audit-log.js';
import { HelperRequestError, HelperUnitControl, helperRequest } from './helper-client.js';
import { startHelperServer, type HelperServer } from './helper-server.js';
import { createHelperOperations } from './operations.js';

const SHOWN: UnitState = { activeState: 'inactive', subState: 'dead', mainPid: 0, execMainStatus: 0, execMainCode: '', nRestarts: 0, invocationId: '', result: 'success' };
const catalog = catalogSchema.parse({ backend: { kind: 'systemd', unit: 'sglang.service' }, models: [{ id: 'a', modelPath: '/m/a' }] });

let dir: string;
let socketPath: string;
let audit: AuditLog;
let server: HelperServer | undefined;
let raw: Server | undefined;
let calls: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'helper-client-'));
  socketPath = join(dir, 'h.sock');
  audit = await AuditLog.open(join(dir, 'audit.jsonl'));
  calls = [];
});
afterEach(async () => {
  await server?.close();
  raw?.close();
  server = raw = undefined;
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

async function startHelper(show: () => Promise<UnitState> = async () => SHOWN): Promise<void> {
  const control: UnitControl = {
    unit: 'sglang.service',
    selectModel: async (id) => void calls.push(`select ${id}`),
    start: async () => void calls.push('start'),
    stop: async () => void calls.push('stop'),
    restart: async () => {
      throw new Error('Job for sglang.service failed because the control process exited with error code.');
    },
    resetFailed: async () => void calls.push('resetFailed'),
    show,
  };
  const dispatch = createHelperOperations({
    unit: 'sglang.service',
    readCatalog: async () => catalog,
    unitControlFor: () => control,
    startupCatalog: catalog,
    powerLimits: null,
    startedAtMs: Date.now(),
  });
  server = await startHelperServer({ socketPath, gid: null, dispatch, audit, readPeer: () => null, log: () => undefined });
}

/** A socket that answers every line with `reply` (or never, when null). */
async function startRaw(reply: string | null): Promise<void> {
  raw = createServer((s) => s.on('data', () => reply !== null && s.write(reply)));
  await new Promise<void>((r) => raw!.listen(socketPath, r));
}

const engineError = (code: string, message: RegExp) => expect.objectContaining({ name: 'EngineError', code, message: expect.stringMatching(message) });

describe('HelperUnitControl', () => {
  it('performs the unit operations through the helper', async () => {
    await startHelper();
    const control = new HelperUnitControl({ socketPath, unit: 'sglang.service' });
    await control.selectModel('a');
    await control.start();
    await control.stop();
    await control.resetFailed();
    expect(await control.show()).toEqual(SHOWN);
    expect(calls).toEqual(['select a', 'start', 'stop', 'resetFailed']);
  });

  it('maps helper refusals to EngineErrors carrying the helper message and code', async () => {
    await startHelper();
    const control = new HelperUnitControl({ socketPath, unit: 'sglang.service' });
    await expect(control.selectModel('zz')).rejects.toEqual(engineError('unknown_model', /no model "zz"/));
    await expect(control.selectModel('../x')).rejects.toEqual(engineError('bad_request', /modelId: must not contain "\/"/));
    await expect(control.restart()).rejects.toEqual(engineError('load_failed', /control process exited with error code/));
    const err = await control.restart().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).details).toEqual({ helperCode: 'failed' });
  });

  it('is refused for a unit the helper does not manage', async () => {
    await startHelper();
    const control = new HelperUnitControl({ socketPath, unit: 'other.service' });
    await expect(control.stop()).rejects.toEqual(engineError('unauthorized', /"other.service" is not the unit this helper manages/));
    await expect(control.show()).rejects.toEqual(engineError('conflict', /manages sglang.service, not other.service/));
    expect(calls).toEqual([]);
  });

  it('sends a template instance by name, and accepts the template as the unit the helper manages', async () => {
    const templateCatalog = catalogSchema.parse({ backend: { kind: 'systemd', unit: 'sglang@.service' }, models: [{ id: 'a', modelPath: '/m/a', gpus: [0] }] });
    const dispatch = createHelperOperations({
      unit: 'sglang@.service',
      readCatalog: async () => templateCatalog,
      unitControlFor: (_catalog, unit) => ({
        unit,
        selectModel: async (id) => void calls.push(`select ${id} ${unit}`),
        start: async () => void calls.push(`start ${unit}`),
        stop: async () => void calls.push(`stop ${unit}`),
        restart: async () => void calls.push(`restart ${unit}`),
        resetFailed: async () => void calls.push(`resetFailed ${unit}`),
        show: async () => ({ ...SHOWN, invocationId: unit }),
      }),
      startupCatalog: templateCatalog,
      powerLimits: null,
      startedAtMs: Date.now(),
    });
    server = await startHelperServer({ socketPath, gid: null, dispatch, audit, readPeer: () => null, log: () => undefined });
    const control = new HelperUnitControl({ socketPath, unit: 'sglang@gpu0.service' });
    await control.selectModel('a');
    await control.restart();
    expect(await control.show()).toEqual({ ...SHOWN, invocationId: 'sglang@gpu0.service' });
    await expect(new HelperUnitControl({ socketPath, unit: 'sglang@gpu1.service' }).selectModel('a')).rejects.toEqual(engineError('bad_request', /runs in slot gpu0/));
    await expect(new HelperUnitControl({ socketPath, unit: 'other@gpu0.service' }).stop()).rejects.toEqual(engineError('unauthorized', /"other@gpu0.service" is not the unit/));
    expect(calls).toEqual(['select a sglang@gpu0.service', 'restart sglang@gpu0.service']);
  });

  it('reports a unit state the helper could not read', async () => {
    await startHelper(async () => Promise.reject(new Error('Failed to connect to bus')));
    await expect(new HelperUnitControl({ socketPath, unit: 'sglang.service' }).show()).rejects.toEqual(engineError('internal', /Failed to connect to bus/));
  });

  it('says when the helper is not running', async () => {
    await expect(new HelperUnitControl({ socketPath, unit: 'sglang.service' }).start()).rejects.toEqual(engineError('internal', /privileged helper is not running/));
  });
});

describe('helperRequest', () => {
  it('resolves to the result', async () => {
    await startHelper();
    expect(await helperRequest(socketPath, { op: 'start' })).toEqual({ unit: 'sglang.service' });
  });

  it('rejects with the helper code', async () => {
    await startHelper();
    await expect(helperRequest(socketPath, { op: 'setPowerLimit', gpu: '00000000:01:00.0', watts: 300 })).rejects.toEqual(
      new HelperRequestError('unsupported', 'no GPU power control configured (nvidia-smi not found)'),
    );
  });

  it('rejects an answer that is not the protocol', async () => {
    await startRaw('HTTP/1.1 400 Bad Request\n');
    await expect(helperRequest(socketPath, { op: 'status' })).rejects.toMatchObject({ code: 'protocol' });
  });

  it('times out when nothing answers', async () => {
    await startRaw(null);
    await expect(helperRequest(socketPath, { op: 'status' }, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('retries a connect refused with EAGAIN (the listen queue is full) until the helper accepts', async () => {
    // A listener with a queue of 1 that accepts nothing until it reads a line on stdin (its event loop is blocked).
    const script = `
      const net = require('node:net');
      const server = net.createServer((s) => s.on('data', (d) => {
        for (const line of String(d).split('\\n').filter(Boolean)) s.write(JSON.stringify({ v: 1, id: JSON.parse(line).id, ok: true, result: { unit: 'u' } }) + '\\n');
      }));
      server.listen({ path: process.argv[1], backlog: 1 }, () => {
        console.log('listening');
        require('node:child_process').execFileSync('sh', ['-c', 'read line'], { stdio: ['inherit', 'ignore', 'inherit'] });
      });`;
    const child = spawn(process.execPath, ['-e', script, socketPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    const fillers: Socket[] = [];
    try {
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      // Fill the queue: connect until the kernel says EAGAIN.
      for (;;) {
        const s = connect(socketPath);
        fillers.push(s);
        const outcome = await new Promise<string>((resolve) => {
          s.once('connect', () => resolve('connected'));
          s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        });
        if (outcome === 'EAGAIN') break;
        expect(outcome).toBe('connected');
      }
      const answer = helperRequest(socketPath, { op: 'start' }, { timeoutMs: 30_000 }); // its first connect() got EAGAIN too
      child.stdin!.write('go\n');
      expect(await answer).toEqual({ unit: 'u' });
    } finally {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    }
  });
});
