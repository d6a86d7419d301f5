/** Readable causes of the write failures a user can fix (Node's own text for the rest). */
const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
};

/** The errno code of a file-system error ("ENOSPC"), or undefined for anything else. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * "no space left on device (ENOSPC)" for a file-system error (Node's message without the syscall and
 * path, which the caller names better); the bare message for anything else.
 */
export function describeErrno(err: unknown): string {
  const code = errnoOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code === undefined) return message;
  // Node's form is "ENOSPC: no space left on device, write '/path'": keep the description.
  const described = ERRNO_TEXT[code] ?? /^[A-Z0-9]+: ([^,]+)/.exec(message)?.[1] ?? message;
  return `${described} (${code})`;
}
