// SGLang's process tree: one `sglang::scheduler_TPn` per rank and a `sglang::detokenizer`,
// here tiny idle Node processes in the main's process group. Real children die with the
// parent through PR_SET_PDEATHSIG; Node has none, so they poll for re-parenting instead.
import { spawn, type ChildProcess } from 'node:child_process';

const CHILD_SCRIPT = [
  'process.title = process.argv[1];',
  // The parent's pid comes as an argument: a child that starts after its parent already died
  // would otherwise take its new parent (PID 1) for the real one and never exit.
  'const parent = Number(process.argv[2]);',
  'const check = () => {',
  '  let alive = process.ppid === parent;',
  '  try { process.kill(parent, 0); } catch { alive = false; }',
  '  if (!alive) process.exit(0);',
  '};',
  'check();',
  'setInterval(check, 200);',
].join('\n');

export class ProcessTree {
  private readonly children: ChildProcess[] = [];
  private readonly beforeExit: Array<() => void> = [];

  /** Spawns a child whose process title is `title` (e.g. `sglang::scheduler_TP0`); returns its pid. */
  spawnChild(title: string): number | undefined {
    // The script is long enough for the title to fit in the original argv area.
    const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, title, String(process.pid)], { stdio: 'ignore' });
    child.on('error', () => undefined);
    this.children.push(child);
    return child.pid;
  }

  /** Runs `hook` (synchronously) right before the tree is killed or the process exits. */
  onBeforeExit(hook: () => void): void {
    this.beforeExit.push(hook);
  }

  /** One child process ending on its own (a scheduler that called C `exit(1)`): the others stay. */
  killChild(pid: number): void {
    if (!this.childPids().includes(pid)) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private runBeforeExit(): void {
    for (const hook of this.beforeExit.splice(0)) {
      try {
        hook();
      } catch {
        // best effort: the process is going away anyway
      }
    }
  }

  spawnSchedulers(tpSize: number): void {
    for (let rank = 0; rank < tpSize; rank += 1) this.spawnChild(`sglang::scheduler_TP${rank}`);
  }

  /** Children not known to have exited (an exited child's pid may already belong to another process). */
  childPids(): number[] {
    return this.children.flatMap((child) => (child.pid === undefined || child.exitCode !== null || child.signalCode !== null ? [] : [child.pid]));
  }

  /** psutil-style kill_process_tree(include_parent=True): SIGKILL every child, then ourselves. */
  killTreeIncludingSelf(): never {
    this.runBeforeExit();
    this.killChildren();
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL is delivered before this line can run; keep the type checker honest.
    throw new Error('unreachable');
  }

  killChildren(): void {
    this.runBeforeExit();
    for (const pid of this.childPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
