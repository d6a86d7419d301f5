// `nvidia-smi nvlink --status` (also `nvlink -s`): a header per GPU, then link lines or a "no NVLink" message.

import type { NvlinkAbsence, NvlinkLink, NvlinkStatus } from './gpu-types.js';

const GPU_HEADER = /^GPU (\d+): (.*) \(UUID: (.*)\)\s*$/;
const LINK_LINE = /^\s*Link (\d+): (.*?)\s*$/;

// All three exit 0; "Nvlink"/"NVLink" capitalisation differs between drivers.
const ABSENCE_MESSAGES: [RegExp, NvlinkAbsence][] = [
  [/does not have or support nvlink/i, 'not-supported'],
  [/all links are inactive/i, 'all-links-inactive'],
  [/not supported for devices in mig mode/i, 'mig-mode'],
];

/** One entry per GPU header, in output order; lines before the first header are ignored. */
export function parseNvlinkStatus(text: string): NvlinkStatus[] {
  const gpus: NvlinkStatus[] = [];
  for (const line of text.split(/\r?\n/)) {
    const header = GPU_HEADER.exec(line);
    if (header) {
      gpus.push({ index: Number(header[1]), name: (header[2] ?? '').trim(), uuid: (header[3] ?? '').trim(), links: [] });
      continue;
    }
    const current = gpus.at(-1);
    if (current) readBodyLine(current, line);
  }
  return gpus;
}

function readBodyLine(gpu: NvlinkStatus, line: string): void {
  const link = LINK_LINE.exec(line);
  if (link) {
    gpu.links.push(toLink(Number(link[1]), link[2] ?? ''));
    return;
  }
  const absence = ABSENCE_MESSAGES.find(([pattern]) => pattern.test(line));
  if (absence) {
    gpu.none = absence[1];
    gpu.message = line.trim();
  }
}

function toLink(link: number, state: string): NvlinkLink {
  const speed = /^(\d+(?:\.\d+)?) GB\/s$/.exec(state);
  return speed ? { link, speedGBs: Number(speed[1]), active: true } : { link, speedGBs: null, active: false };
}

/** True when the GPU has at least one link up. */
export function hasActiveNvlink(gpu: NvlinkStatus): boolean {
  return gpu.links.some((l) => l.active);
}
