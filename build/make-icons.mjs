#!/usr/bin/env node
// Draws Trickle's placeholder icons — a blue droplet — and writes them as PNG files, using
// only Node built-ins (zlib for deflate; the PNG container is encoded by hand).
//
//   node build/make-icons.mjs
//
// Writes:
//   resources/icon.png          512×512  app / window icon
//   resources/tray-idle.png      16×16   tray icon, idle
//   resources/tray-idle@2x.png   32×32   tray icon, idle, for 2× displays
//   build/icon.png              512×512  same as resources/icon.png, for electron-builder
//
// and for each tray state — idle, sending, paused, waiting (for capacity), attention — the
// coloured icons (Windows, Linux) and macOS template images (black + alpha only; the menu
// bar tints them), each at 1× (16 px) and 2× (32 px):
//   resources/tray-<state>.png, tray-<state>@2x.png, tray-<state>Template.png, tray-<state>Template@2x.png
// (tray-idle.png and tray-idle@2x.png are the plain droplet above.) Every state but idle has
// a badge in the lower right whose shape says the state without relying on its colour:
// sending ▶, paused ❚❚, waiting a clock, attention !.
//
// The output is deterministic for a given Node/zlib version; the generated files are
// committed, so this only needs re-running when the drawing changes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------
// PNG encoding (8-bit RGBA, no interlace, filter 0 on every row)

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData), 8 + data.length);
  return out;
}

/** @param {number} width @param {number} height @param {Uint8Array} rgba width*height*4 bytes */
function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace

  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }

  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------
// Drawing: a droplet = the convex hull of a disc and an apex point above it.
// Coordinates are in a unit square (0..1, y down).

const DROP = { cx: 0.5, cy: 0.62, r: 0.3, apexY: 0.08 };

function insideDroplet(x, y) {
  const { cx, cy, r, apexY } = DROP;
  const dx = x - cx;
  const dy = y - cy;
  if (dx * dx + dy * dy <= r * r) return true;
  // Triangle between the apex and the two tangent points on the circle.
  const d = cy - apexY; // apex-to-centre distance
  const along = y - apexY; // distance down the axis from the apex
  const halfAngleTan = r / Math.sqrt(d * d - r * r);
  const tangentDepth = (d * d - r * r) / d; // axial depth of the tangent points
  return along >= 0 && along <= tangentDepth && Math.abs(dx) <= along * halfAngleTan;
}

function insideHighlight(x, y) {
  // A soft oval glint on the upper left of the bulb.
  const ex = (x - 0.4) / 0.07;
  const ey = (y - 0.56) / 0.11;
  return ex * ex + ey * ey <= 1;
}

const TOP = [0x6c, 0xb4, 0xff]; // light blue
const BOTTOM = [0x1f, 0x6f, 0xe0]; // deep blue
const GLINT = [0xff, 0xff, 0xff];

/** @param {number} size @param {{ glint: boolean }} options */
function drawDroplet(size, { glint }) {
  const rgba = new Uint8Array(size * size * 4);
  const ss = size >= 64 ? 4 : 8; // supersampling per axis, for anti-aliased edges
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let covered = 0;
      let glinted = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) / size;
          const y = (py + (sy + 0.5) / ss) / size;
          if (insideDroplet(x, y)) {
            covered++;
            if (glint && insideHighlight(x, y)) glinted++;
          }
        }
      }
      if (covered === 0) continue;
      const t = Math.min(1, Math.max(0, (py + 0.5) / size - DROP.apexY) / (DROP.cy + DROP.r - DROP.apexY));
      const glintShare = covered ? (glinted / covered) * 0.55 : 0;
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) {
        const base = TOP[c] + (BOTTOM[c] - TOP[c]) * t;
        rgba[i + c] = Math.round(base + (GLINT[c] - base) * glintShare);
      }
      rgba[i + 3] = Math.round((covered / (ss * ss)) * 255);
    }
  }
  return encodePng(size, size, rgba);
}

// ---------------------------------------------------------------------------------------

function write(relative, bytes) {
  const file = join(root, relative);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  console.log(`wrote ${relative} (${bytes.length} bytes)`);
}

// ---------------------------------------------------------------------------------------
// Tray state icons: droplet + badge. Each sample point gets an RGBA colour (straight alpha);
// a pixel is the average of its samples, premultiplied then divided back.

const BADGE = { cx: 0.74, cy: 0.74, r: 0.26, gap: 0.06 };
const DROP_SHIFT = 0.1;

const STATES = {
  sending: { badge: [0x1a, 0x9e, 0x4b], glyph: 'play' }, // green
  paused: { badge: [0x6b, 0x72, 0x80], glyph: 'pause', greyDrop: true }, // grey
  waiting: { badge: [0xe0, 0x8a, 0x00], glyph: 'clock' }, // amber
  attention: { badge: [0xd9, 0x2d, 0x20], glyph: 'bang' }, // red
};

const GREY_TOP = [0xb4, 0xbb, 0xc6];
const GREY_BOTTOM = [0x7d, 0x86, 0x94];

/** Is (x, y) on the badge's glyph? Coordinates relative to the badge centre, in badge radii. */
function onGlyph(glyph, u, v) {
  switch (glyph) {
    case 'play': // a right-pointing triangle
      return u >= -0.38 && u <= 0.52 && Math.abs(v) <= (0.52 - u) * 0.62;
    case 'pause': // two bars
      return Math.abs(v) <= 0.5 && ((u >= -0.45 && u <= -0.12) || (u >= 0.12 && u <= 0.45));
    case 'clock': // two clock hands, at three o'clock
      return (Math.abs(u + 0.06) <= 0.14 && v >= -0.58 && v <= 0.12) || (Math.abs(v) <= 0.14 && u >= -0.2 && u <= 0.5);
    case 'bang': // an exclamation mark
      return (Math.abs(u) <= 0.14 && v >= -0.62 && v <= 0.18) || Math.hypot(u, v - 0.45) <= 0.16;
    default:
      return false;
  }
}

/**
 * The colour of one sample point of a state's icon, or null where it is transparent.
 * template: black shapes only, the glyph cut out of the badge.
 */
function sampleState(state, x, y, template) {
  const spec = STATES[state];
  const bx = x - BADGE.cx;
  const by = y - BADGE.cy;
  const badgeDist = Math.hypot(bx, by);
  if (badgeDist <= BADGE.r) {
    const glyph = onGlyph(spec.glyph, bx / BADGE.r, by / BADGE.r);
    if (template) return glyph ? null : [0, 0, 0];
    return glyph ? GLINT : spec.badge;
  }
  // A transparent gap around the badge keeps it apart from the droplet at 16 px; the droplet
  // moves a little to the left to make room.
  if (badgeDist <= BADGE.r + BADGE.gap) return null;
  if (!insideDroplet(x + DROP_SHIFT, y)) return null;
  if (template) return [0, 0, 0];
  const t = Math.min(1, Math.max(0, y - DROP.apexY) / (DROP.cy + DROP.r - DROP.apexY));
  const [top, bottom] = spec.greyDrop ? [GREY_TOP, GREY_BOTTOM] : [TOP, BOTTOM];
  return top.map((c, i) => c + (bottom[i] - c) * t);
}

/** The plain droplet, black, for the idle template image. */
function sampleIdleTemplate(x, y) {
  return insideDroplet(x, y) ? [0, 0, 0] : null;
}

function drawSampled(size, sample) {
  const rgba = new Uint8Array(size * size * 4);
  const ss = 8;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0];
      let covered = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const colour = sample((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size);
          if (!colour) continue;
          covered++;
          for (let c = 0; c < 3; c++) sum[c] += colour[c];
        }
      }
      if (covered === 0) continue;
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(sum[c] / covered);
      rgba[i + 3] = Math.round((covered / (ss * ss)) * 255);
    }
  }
  return encodePng(size, size, rgba);
}

const appIcon = drawDroplet(512, { glint: true });
write('resources/icon.png', appIcon);
write('build/icon.png', appIcon);
write('resources/tray-idle.png', drawDroplet(16, { glint: false }));
write('resources/tray-idle@2x.png', drawDroplet(32, { glint: false }));
write('resources/tray-idleTemplate.png', drawSampled(16, sampleIdleTemplate));
write('resources/tray-idleTemplate@2x.png', drawSampled(32, sampleIdleTemplate));
for (const state of Object.keys(STATES)) {
  for (const [suffix, size] of [
    ['', 16],
    ['@2x', 32],
  ]) {
    write(
      `resources/tray-${state}${suffix}.png`,
      drawSampled(size, (x, y) => sampleState(state, x, y, false)),
    );
    write(
      `resources/tray-${state}Template${suffix}.png`,
      drawSampled(size, (x, y) => sampleState(state, x, y, true)),
    );
  }
}
