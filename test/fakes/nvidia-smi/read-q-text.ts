// `nvidia-smi -q` text into flat "Section/Label" → value maps: the top block and one map per GPU.

/** One GPU block of `-q`: its header bus id and every labelled value by path ("GPU Power Readings/Power Draw"). */
export interface QTextGpu {
  busId: string;
  values: Map<string, string>;
}

/** A whole `-q` output. */
export interface QText {
  top: Map<string, string>;
  gpus: QTextGpu[];
}

const GPU_HEADER = /^GPU ([0-9A-Fa-f]{8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s*$/;
const VALUE_LINE = /^( *)(\S.*?)\s+: ?(.*)$/;
const INDENT = 4;

/** Reads `-q` text; sections nest by four-space indentation, labels are trimmed (some end in a space). */
export function readQText(text: string): QText {
  const result: QText = { top: new Map(), gpus: [] };
  const sections: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const header = GPU_HEADER.exec(line);
    if (header) {
      result.gpus.push({ busId: header[1] ?? '', values: new Map() });
      sections.length = 0;
      continue;
    }
    if (line.trim() === '' || line.startsWith('=')) continue;
    const value = VALUE_LINE.exec(line);
    const depth = Math.floor((value?.[1] ?? /^ */.exec(line)![0]).length / INDENT);
    const gpu = result.gpus.at(-1);
    if (!gpu || depth === 0) {
      if (value) result.top.set((value[2] ?? '').trim(), (value[3] ?? '').trim());
      continue;
    }
    sections.length = depth - 1;
    if (value) gpu.values.set([...sections, (value[2] ?? '').trim()].join('/'), (value[3] ?? '').trim());
    else sections.push(line.trim());
  }
  return result;
}
