import { describe, expect, it } from 'vitest';
import { findGroupId } from './read-group-id.js';

const GROUP_FILE = 'root:x:0:\nsudo:x:27:alice\nsglang-switchboard:x:993:alice,bob\nsglang:x:994:\nbroken:x::\n';

describe('findGroupId', () => {
  it.each([
    ['sglang-switchboard', 993],
    ['sglang', 994],
    ['root', 0],
    ['sglang-switch', null],
    ['broken', null],
    ['', null],
  ])('%s → %s', (name, gid) => {
    expect(findGroupId(GROUP_FILE, name)).toBe(gid);
  });
});
