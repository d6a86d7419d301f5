import { ApiCallError } from '../../../shared/switchboard-api.js';

/** An error shown on a GPU card (or the preset bar); `minW`/`maxW` when the engine refused a limit with its range. */
export interface CardError {
  code: string;
  message: string;
  minW?: number;
  maxW?: number;
}

/** Reads an API error into what the card shows; the UI branches on `code`, never on the text. */
export function toCardError(err: unknown, action: string): CardError {
  if (err instanceof ApiCallError) {
    const minW = numberOr(err.details?.minW);
    const maxW = numberOr(err.details?.maxW);
    if (err.code === 'bad_request' && minW !== undefined && maxW !== undefined) {
      return { code: err.code, message: `Refused: ${err.message} (allowed ${minW}–${maxW} W)`, minW, maxW };
    }
    if (err.code === 'unavailable') return { code: err.code, message: `Power limits are unavailable: ${err.message}` };
    if (err.code === 'unauthorized') return { code: err.code, message: `Not permitted to change power limits: ${err.message}` };
    return { code: err.code, message: `${action} failed: ${err.message}` };
  }
  return { code: 'internal', message: `${action} failed: ${err instanceof Error ? err.message : String(err)}` };
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
