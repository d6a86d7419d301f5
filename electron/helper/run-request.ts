import { HelperError, type HelperErrorBody, type HelperRequest } from '../../shared/helper-protocol.js';
import type { HelperDispatch } from './operations.js';

/** How one request ended. */
export type RequestOutcome = { ok: true; result: unknown } | { ok: false; error: HelperErrorBody };

/** Runs a request; never rejects. Unexpected exceptions become `internal` and are logged with their stack. */
export async function runRequest(dispatch: HelperDispatch, request: HelperRequest, log: (line: string) => void): Promise<RequestOutcome> {
  try {
    return { ok: true, result: await dispatch(request) };
  } catch (err) {
    if (err instanceof HelperError) return { ok: false, error: { code: err.code, message: err.message } };
    log(`${request.op} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return { ok: false, error: { code: 'internal', message: `internal error in ${request.op}: ${err instanceof Error ? err.message : String(err)}` } };
  }
}
