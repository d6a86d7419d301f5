import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** `command` as an absolute path: itself when it names a path, else the first executable match on PATH; null when none. */
export async function findExecutable(command: string, pathVariable = process.env.PATH ?? ''): Promise<string | null> {
  const candidates = command.includes('/')
    ? [resolve(command)]
    : pathVariable
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return null;
}
