import type { PowerLimitChange } from '../../../shared/helper-protocol.js';
import { helperRequest } from '../../helper/helper-client.js';
import { toPowerLimitError, type PowerLimits } from './power-limits.js';

/** Power limits through the privileged helper's socket, for an engine that is not root. */
export class HelperPowerLimits implements PowerLimits {
  constructor(readonly socketPath: string) {}

  async setPowerLimit(gpu: string, watts: number, revertAfterS?: number): Promise<PowerLimitChange> {
    return this.call(() => helperRequest(this.socketPath, { op: 'setPowerLimit', gpu, watts, ...(revertAfterS !== undefined ? { revertAfterS } : {}) }));
  }

  async confirm(changeId: string): Promise<void> {
    await this.call(() => helperRequest(this.socketPath, { op: 'confirmPowerLimit', changeId }));
  }

  async revert(changeId: string): Promise<number> {
    return (await this.call(() => helperRequest(this.socketPath, { op: 'revertPowerLimit', changeId }))).restoredW;
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      // The client's messages already name the socket ("no one listens on /run/…/helper.sock").
      throw toPowerLimitError(err);
    }
  }
}
