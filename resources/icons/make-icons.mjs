#!/usr/bin/env node
// Draws the app icon (two toggle switches on a dark rounded square: one model on, one off) and
// writes it as PNG at every size the desktop and electron-builder use: 16x16.png … 512x512.png.
// Plain Node (zlib for the PNG data), anti-aliased with signed distances. Run: node resources/icons/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const SIZES = [16, 32, 48, 64, 128, 256, 512];
const BACKGROUND = [15, 23, 42]; // slate-900
const TRACK_ON = [37, 99, 235]; // blue-600
const TRACK_OFF = [71, 85, 105]; // slate-600
const KNOB = [248, 250, 252];
const LED = [34, 197, 94]; // green-500

/** Distance (in icon units, 0..1) from p to a rounded box centred at c with half size h, radius r; < 0 inside. */
function roundedBox(px, py, cx, cy, hx, hy, r) {
  const qx = Math.abs(px - cx) - hx + r;
  const qy = Math.abs(py - cy) - hy + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function circle(px, py, cx, cy, r) {
  return Math.hypot(px - cx, py - cy) - r;
}

/** The layers, back to front: [signed distance fn, colour]. */
function layers() {
  const pill = (cy, on) => [
    [(x, y) => roundedBox(x, y, 0.5, cy, 0.3, 0.1, 0.1), on ? TRACK_ON : TRACK_OFF],
    [(x, y) => circle(x, y, on ? 0.7 : 0.3, cy, 0.075), KNOB],
  ];
  return [[(x, y) => roundedBox(x, y, 0.5, 0.5, 0.46, 0.46, 0.2), BACKGROUND], ...pill(0.36, true), ...pill(0.66, false), [(x, y) => circle(x, y, 0.7, 0.36, 0.03), LED]];
}

function render(size) {
  const rgba = Buffer.alloc(size * size * 4);
  const shapes = layers();
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const x = (i + 0.5) / size;
      const y = (j + 0.5) / size;
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const [distance, colour] of shapes) {
        // Coverage from the distance in pixels: a one-pixel soft edge at every size.
        const coverage = Math.min(1, Math.max(0, 0.5 - distance(x, y) * size));
        if (coverage === 0) continue;
        const outA = coverage + a * (1 - coverage);
        r = (colour[0] * coverage + r * a * (1 - coverage)) / outA;
        g = (colour[1] * coverage + g * a * (1 - coverage)) / outA;
        b = (colour[2] * coverage + b * a * (1 - coverage)) / outA;
        a = outA;
      }
      rgba.set([Math.round(r), Math.round(g), Math.round(b), Math.round(a * 255)], (j * size + i) * 4);
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter method, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let j = 0; j < size; j++) rgba.copy(rows, j * (size * 4 + 1) + 1, j * size * 4, (j + 1) * size * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

for (const size of SIZES) {
  const file = join(import.meta.dirname, `${size}x${size}.png`);
  writeFileSync(file, png(size, render(size)));
  console.log(`wrote ${file}`);
}
