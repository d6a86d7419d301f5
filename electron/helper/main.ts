import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HELPER_SOCKET, HelperError } from '../../shared/helper-protocol.js';
import { SWITCHBOARD_VERSION } from '../../shared/version.js';
import { NvidiaPowerLimits } from '../system/nvidia-smi/nvidia-power-limits.js';
import { isTemplateUnit } from '../system/systemd/slot-instance-unit.js';
import { AuditLog, DEFAULT_AUDIT_ROTATION, type AuditLogRotation } from './audit-log.js';
import { createHelperUnitControl, UNIT_CONTROL_KINDS, type UnitControlKind } from './create-helper-unit-control.js';
import { HelperStartError, startHelperServer } from './helper-server.js';
import { findExecutable } from './find-executable.js';
import { createHelperOperations } from './operations.js';
import { readGroupId } from './read-group-id.js';
import { readTrustedCatalog } from './read-trusted-catalog.js';

const USAGE = `usage: switchboard-helper [options]

The privileged helper of SGLang Switchboard: runs as root, serves fixed operations on the
catalog's systemd unit (or on the slot instances of a template unit name@.service) and GPU
power limits to members of one group over a unix socket.

options:
  --socket PATH         socket to listen on (default ${DEFAULT_HELPER_SOCKET}, env SWITCHBOARD_HELPER_SOCKET)
  --catalog PATH        root-owned catalog (default /etc/sglang-switchboard/switchboard.yaml)
  --group NAME          group allowed to connect (default sglang-switchboard)
  --audit-log PATH      JSON-lines audit log (default /var/log/sglang-switchboard/helper-audit.jsonl)
  --audit-log-max-bytes N  rotate the audit log before it passes N bytes (default ${DEFAULT_AUDIT_ROTATION.maxBytes})
  --audit-log-keep N    rotated audit logs kept, PATH.1 … PATH.N (default ${DEFAULT_AUDIT_ROTATION.keep})
  --state-dir PATH      where persisted power limits live (default /var/lib/sglang-switchboard)
  --nvidia-smi PATH     nvidia-smi for GPU power limits (default: nvidia-smi on PATH, none if absent; "none" disables)
  --unit-control KIND   ${UNIT_CONTROL_KINDS.join('|')} (default direct; none refuses unit operations, for tests)
  --systemctl-command CMD  run CMD instead of systemctl (words split on spaces; tests: "systemd-sandbox exec systemctl")
  --drop-in-root DIR    where <unit>.d/ drop-ins are written (default /etc/systemd/system; tests)
  --version, --help`;

interface HelperArgs {
  socketPath: string;
  catalogPath: string;
  group: string;
  auditLogPath: string;
  auditRotation: AuditLogRotation;
  stateDir: string;
  /** Undefined: look for nvidia-smi on PATH; "none": no power control. */
  nvidiaSmi: string | undefined;
  unitControl: UnitControlKind;
  systemctlCommand: string[] | undefined;
  dropInRoot: string | undefined;
}

/** Runs the helper until SIGTERM/SIGINT; resolves to the exit code (0 stopped, 1 could not start, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  let args: HelperArgs | 'help' | 'version';
  try {
    args = parseHelperArgs(argv);
  } catch (err) {
    console.error(`switchboard-helper: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help' || args === 'version') {
    console.log(args === 'help' ? USAGE : SWITCHBOARD_VERSION);
    return 0;
  }
  try {
    return await serve(args);
  } catch (err) {
    const expected = err instanceof HelperStartError || err instanceof HelperError;
    console.error(`switchboard-helper: ${expected ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

async function serve(args: HelperArgs): Promise<number> {
  const gid = await readGroupId(args.group);
  if (gid === null) {
    throw new HelperStartError(`group "${args.group}" does not exist; create it (systemd-sysusers sglang-switchboard.conf, or groupadd --system ${args.group}) or name another with --group`);
  }
  const catalog = await readTrustedCatalog(args.catalogPath);
  if (catalog.backend.scope !== 'system') {
    throw new HelperStartError(`${args.catalogPath}: backend.scope is "${catalog.backend.scope}"; the helper only manages system units (user units need no helper)`);
  }
  const unit = catalog.backend.unit;
  const audit = await AuditLog.open(args.auditLogPath, args.auditRotation);
  const powerLimits = await createPowerLimits(args, audit);
  const dispatch = createHelperOperations({
    unit,
    readCatalog: () => readTrustedCatalog(args.catalogPath),
    unitControlFor: (fresh, target) => createHelperUnitControl(args.unitControl, { catalog: fresh, unit: target, systemctlCommand: args.systemctlCommand, dropInRoot: args.dropInRoot }),
    startupCatalog: catalog,
    powerLimits,
    startedAtMs: Date.now(),
  });
  await mkdir(dirname(args.socketPath), { recursive: true, mode: 0o755 });
  const server = await startHelperServer({ socketPath: args.socketPath, gid, dispatch, audit });
  // Only once the socket is ours: a second helper that is about to exit must not touch the GPUs. Requests that
  // arrive meanwhile queue behind it.
  await powerLimits?.reapplyPersisted();
  const serving = isTemplateUnit(unit) ? `the slot instances of ${unit}` : unit;
  console.error(
    `switchboard-helper ${SWITCHBOARD_VERSION} (pid ${process.pid}): serving ${serving} on ${args.socketPath} for group ${args.group} (gid ${gid}); audit log ${args.auditLogPath} (rotated at ${args.auditRotation.maxBytes} bytes, ${args.auditRotation.keep} kept); GPU power limits ${powerLimits ? `through ${powerLimits.nvidiaSmiPath}` : 'off'}`,
  );
  await waitForSignal();
  await server.close();
  await powerLimits?.revertPending();
  await audit.close();
  return 0;
}

function parseHelperArgs(argv: string[]): HelperArgs | 'help' | 'version' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      socket: { type: 'string' },
      catalog: { type: 'string', default: '/etc/sglang-switchboard/switchboard.yaml' },
      group: { type: 'string', default: 'sglang-switchboard' },
      'audit-log': { type: 'string', default: '/var/log/sglang-switchboard/helper-audit.jsonl' },
      'audit-log-max-bytes': { type: 'string', default: String(DEFAULT_AUDIT_ROTATION.maxBytes) },
      'audit-log-keep': { type: 'string', default: String(DEFAULT_AUDIT_ROTATION.keep) },
      'state-dir': { type: 'string', default: '/var/lib/sglang-switchboard' },
      'nvidia-smi': { type: 'string' },
      'unit-control': { type: 'string', default: 'direct' },
      'systemctl-command': { type: 'string' },
      'drop-in-root': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
  if (values.help) return 'help';
  if (values.version) return 'version';
  const kind = values['unit-control'];
  if (!(UNIT_CONTROL_KINDS as readonly string[]).includes(kind)) throw new Error(`--unit-control must be ${UNIT_CONTROL_KINDS.join(' or ')}, not "${kind}"`);
  return {
    socketPath: values.socket ?? process.env.SWITCHBOARD_HELPER_SOCKET ?? DEFAULT_HELPER_SOCKET,
    catalogPath: values.catalog,
    group: values.group,
    auditLogPath: values['audit-log'],
    auditRotation: { maxBytes: positiveInteger('--audit-log-max-bytes', values['audit-log-max-bytes'], 4096), keep: positiveInteger('--audit-log-keep', values['audit-log-keep'], 1) },
    stateDir: values['state-dir'],
    nvidiaSmi: values['nvidia-smi'],
    unitControl: kind as UnitControlKind,
    systemctlCommand: values['systemctl-command']?.split(/\s+/).filter(Boolean),
    dropInRoot: values['drop-in-root'],
  };
}

function positiveInteger(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new Error(`${flag} must be a whole number ≥ ${min}, not "${text}"`);
  return n;
}

/** Power control through nvidia-smi, its own actions audited; null without nvidia-smi (requests then answer `unsupported`). */
async function createPowerLimits(args: HelperArgs, audit: AuditLog): Promise<NvidiaPowerLimits | null> {
  if (args.nvidiaSmi === 'none') return null;
  const nvidiaSmiPath = await findExecutable(args.nvidiaSmi ?? 'nvidia-smi');
  if (!nvidiaSmiPath) {
    if (args.nvidiaSmi !== undefined) throw new HelperStartError(`--nvidia-smi ${args.nvidiaSmi}: not an executable file`);
    console.error('switchboard-helper: no nvidia-smi on PATH; GPU power limits are unavailable');
    return null;
  }
  return new NvidiaPowerLimits({
    nvidiaSmiPath,
    stateDir: args.stateDir,
    onEvent: (event) => {
      const failure = event.outcome.ok ? '' : `: ${event.outcome.error.message}`;
      console.error(`switchboard-helper: ${event.op} ${JSON.stringify(event.args)}${failure}`);
      void audit.append({ time: new Date().toISOString(), peer: null, ...event }).catch((err: unknown) => console.error(`switchboard-helper: audit log: ${String(err)}`));
    },
  });
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
