/** A slot's GPU set as people read it: `GPU 0`, `GPUs 1, 2, 3, 4`, `all GPUs` (null or absent), `no GPUs`. */
export function formatSlotGpus(gpus: readonly number[] | null | undefined): string {
  if (gpus === null || gpus === undefined) return 'all GPUs';
  if (gpus.length === 0) return 'no GPUs';
  return `${gpus.length === 1 ? 'GPU' : 'GPUs'} ${gpus.join(', ')}`;
}
