import type { ApiError } from './engine-state.js';

/** An error with a stable code, carried to API clients as `{ error: { code, message, details } }`. */
export class EngineError extends Error {
  readonly code: ApiError['code'];
  readonly details?: Record<string, unknown>;

  constructor(code: ApiError['code'], message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
    this.details = details;
  }

  /** The shape that crosses the API boundary. */
  toApiError(): ApiError {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}
