/** list[i], failing the test with a clear message when the list is shorter (instead of a TypeError further on). */
export function nth<T>(list: readonly T[], i: number): T {
  const item = list[i];
  if (item === undefined) throw new Error(`expected at least ${i + 1} items, got ${list.length}`);
  return item;
}
