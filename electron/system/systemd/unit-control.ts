/** What `systemctl show -p ActiveState,SubState,MainPID,ExecMainStatus,ExecMainCode,NRestarts,InvocationID,Result` says of a unit. */
export interface UnitState {
  activeState: string;
  subState: string;
  /** 0 when no main process runs. */
  mainPid: number;
  /** Exit status or signal number of the last main process (ExecMainStatus). */
  execMainStatus: number;
  /** How the last main process ended: 'exited' | 'killed' | 'dumped' | '' (ExecMainCode, as text). */
  execMainCode: string;
  nRestarts: number;
  /** Empty when the unit never ran. */
  invocationId: string;
  /** 'success', 'exit-code', 'signal', 'oom-kill', ... */
  result: string;
}

/**
 * The privileged operations on the managed SGLang unit. Implemented directly with systemctl
 * (when root, in the helper daemon, or for `--user` units) and by the helper client over its
 * unix socket (when the engine is not root). Only the unit it was made for is ever touched: the
 * configured unit, or one slot's instance `name@<slot>.service` of a configured template.
 */
export interface UnitControl {
  /** The unit this controls, e.g. `sglang.service` or `sglang@gpu0.service`. */
  readonly unit: string;
  /**
   * Points the unit at a catalog model: writes `<unit>.d/50-switchboard.conf` atomically
   * (ExecStart from the model's argv on its slot's port, with systemd quoting; Environment=) and runs daemon-reload.
   */
  selectModel(modelId: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Clears a failed state so the unit can start again (reset-failed). */
  resetFailed(): Promise<void>;
  show(): Promise<UnitState>;
}
