import { readFile } from 'node:fs/promises';

/** The gid of `name` in an /etc/group-format text, or null. */
export function findGroupId(groupFile: string, name: string): number | null {
  for (const line of groupFile.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}

/** Looks a group up in /etc/group (local groups only: the helper's group is a system group made by sysusers). */
export async function readGroupId(name: string, groupFilePath = '/etc/group'): Promise<number | null> {
  return findGroupId(await readFile(groupFilePath, 'utf8'), name);
}
