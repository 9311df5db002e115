// Costs (cost.ts) of the register-blocked convolution kernels for CPU adapters (conv_implicit.wgsl,
// conv3x3.wgsl), from the invocation-to-data mapping of each entry point. These kernels have no workgroup
// memory: an invocation reads its inputs straight from storage, so what a workgroup fetches is the union of
// what its invocations read, computed here workgroup by workgroup (`wg` consecutive invocations of one image).
import { convOutSize, type ConvGeom } from '../geometry';
import { cost, type Cost } from './cost';

/** Calls visit(t0, t1) for each workgroup's invocation range of a flat dispatch of `blocks` invocations. */
function groups(blocks: number, wg: number, visit: (t0: number, t1: number) => void) {
  for (let t0 = 0; t0 < blocks; t0 += wg) visit(t0, Math.min(blocks, t0 + wg));
}

const rowsIn = (first: number, total: number) => Math.min(8, total - first);

/** conv_implicit forward: invocation = 8 output channels x 8 columns of one output row, images in grid z. */
export function implicitForwardCost(g: ConvGeom, wg: number, bias: boolean): Cost {
  const { oh, ow } = convOutSize(g);
  const colBlocks = Math.ceil(ow / 8);
  const perBlock = oh * colBlocks;
  const blocks = Math.ceil(g.o / 8) * perBlock;
  let reads = 0;
  let flops = 0;
  groups(blocks, wg, (t0, t1) => {
    const spatial = new Set<number>();
    const kiByBlock = new Map<number, Set<number>>();
    for (let t = t0; t < t1; t++) {
      const ob = Math.floor(t / perBlock);
      const i = Math.floor((t % perBlock) / colBlocks);
      const cb = (t % perBlock) % colBlocks;
      const kis = kiByBlock.get(ob) ?? new Set<number>();
      kiByBlock.set(ob, kis);
      for (let ki = 0; ki < g.kh; ki++) {
        const yy = i * g.stride - g.pad + ki;
        if (yy < 0 || yy >= g.h) continue;
        kis.add(ki);
        flops += g.kw * g.c * 128;
        for (let kj = 0; kj < g.kw; kj++)
          for (let jj = 0; jj < 8; jj++) {
            const xx = (cb * 8 + jj) * g.stride - g.pad + kj;
            if (xx >= 0 && xx < g.w) spatial.add(yy * g.w + xx);
          }
      }
      if (bias) flops += 64;
    }
    reads += g.c * spatial.size;
    for (const [ob, kis] of kiByBlock) reads += rowsIn(8 * ob, g.o) * (g.c * kis.size * g.kw + (bias ? 1 : 0));
  });
  return cost(flops * g.n, reads * g.n, g.n * g.o * oh * ow);
}

/**
 * conv_implicit backward_input: invocation = 8 input channels x 8 input columns of one residue mod the
 * stride in one input row; each reads dy through the taps that reach its columns.
 */
export function implicitBackwardInputCost(g: ConvGeom, wg: number): Cost {
  const { oh, ow } = convOutSize(g);
  const s = g.stride;
  const colBlocks = s * Math.ceil(Math.ceil(g.w / s) / 8);
  const perBlock = g.h * colBlocks;
  const blocks = Math.ceil(g.c / 8) * perBlock;
  let reads = 0;
  let flops = 0;
  groups(blocks, wg, (t0, t1) => {
    const spatial = new Set<number>();
    const tapsByBlock = new Map<number, Set<number>>();
    for (let t = t0; t < t1; t++) {
      const cb = Math.floor(t / perBlock);
      const y = Math.floor((t % perBlock) / colBlocks);
      const sz = (t % perBlock) % colBlocks;
      const rho = sz % s;
      const m0 = Math.floor(sz / s) * 8;
      const taps = tapsByBlock.get(cb) ?? new Set<number>();
      tapsByBlock.set(cb, taps);
      for (let ki = (y + g.pad) % s; ki < g.kh; ki += s) {
        const ty = y + g.pad - ki;
        if (ty < 0) break;
        const i = ty / s;
        if (i >= oh) continue;
        for (let kj = (rho + g.pad) % s; kj < g.kw; kj += s) {
          taps.add(ki * g.kw + kj);
          flops += g.o * 128;
          const jb = (rho + g.pad - kj) / s + m0;
          for (let jj = 0; jj < 8; jj++) if (jb + jj >= 0 && jb + jj < ow) spatial.add(i * ow + jb + jj);
        }
      }
    }
    reads += g.o * spatial.size;
    for (const [cb, taps] of tapsByBlock) reads += rowsIn(8 * cb, g.c) * g.o * taps.size;
  });
  return cost(flops * g.n, reads * g.n, g.n * g.c * g.h * g.w);
}

/** Input positions a set of taps (ki * KW + kj) of one channel reads over every output position. */
function tapFootprint(g: ConvGeom, taps: Set<number>): number {
  const { oh, ow } = convOutSize(g);
  let n = 0;
  for (let yy = 0; yy < g.h; yy++) {
    const cols = new Set<number>();
    for (const tap of taps) {
      const ki = Math.floor(tap / g.kw);
      const kj = tap % g.kw;
      const ty = yy + g.pad - ki;
      if (ty < 0 || ty % g.stride !== 0 || ty / g.stride >= oh) continue;
      for (let j = 0; j < ow; j++) {
        const xx = j * g.stride - g.pad + kj;
        if (xx >= 0 && xx < g.w) cols.add(xx);
      }
    }
    n += cols.size;
  }
  return n;
}

/** conv_implicit backward_weight: invocation = 8 output channels x 8 columns r = (c, ki, kj) of dw, all images. */
export function implicitBackwardWeightCost(g: ConvGeom, wg: number): Cost {
  const { oh, ow } = convOutSize(g);
  const kk = g.kh * g.kw;
  const r = g.c * kk;
  const colBlocks = Math.ceil(r / 8);
  const blocks = Math.ceil(g.o / 8) * colBlocks;
  let reads = 0;
  groups(blocks, wg, (t0, t1) => {
    const oRows = new Set<number>();
    const tapsByChannel = new Map<number, Set<number>>();
    for (let t = t0; t < t1; t++) {
      const o0 = Math.floor(t / colBlocks) * 8;
      for (let k = 0; k < 8; k++) oRows.add(Math.min(o0 + k, g.o - 1));
      for (let k = 0; k < 8; k++) {
        const col = Math.min((t % colBlocks) * 8 + k, r - 1);
        const c = Math.floor(col / kk);
        const taps = tapsByChannel.get(c) ?? new Set<number>();
        tapsByChannel.set(c, taps.add(col % kk));
      }
    }
    reads += oRows.size * oh * ow;
    for (const taps of tapsByChannel.values()) reads += tapFootprint(g, taps);
  });
  return cost(blocks * g.n * oh * ow * 128, reads * g.n, g.o * r);
}

/** conv3x3 forward (or, `input`, backward_input): invocation = 8 channels x 8 columns of one row. */
export function conv3x3RowCost(g: ConvGeom, wg: number, pass: 'forward' | 'input', bias: boolean): Cost {
  const [outCh, inCh] = pass === 'forward' ? [g.o, g.c] : [g.c, g.o];
  const w4 = g.w / 4;
  const colBlocks = Math.ceil(g.w / 8);
  const perBlock = g.h * colBlocks;
  const blocks = Math.ceil(outCh / 8) * perBlock;
  let reads = 0;
  let flops = 0;
  groups(blocks, wg, (t0, t1) => {
    const chunks = new Set<number>();
    const kiByBlock = new Map<number, Set<number>>();
    for (let t = t0; t < t1; t++) {
      const ob = Math.floor(t / perBlock);
      const y = Math.floor((t % perBlock) / colBlocks);
      const q = ((t % perBlock) % colBlocks) * 2;
      const kis = kiByBlock.get(ob) ?? new Set<number>();
      kiByBlock.set(ob, kis);
      for (let ki = 0; ki < 3; ki++) {
        const yy = pass === 'forward' ? y + ki - 1 : y + 1 - ki;
        if (yy < 0 || yy >= g.h) continue;
        kis.add(ki);
        flops += inCh * 384;
        for (let d = -1; d <= 2; d++) if (q + d >= 0 && q + d < w4) chunks.add(yy * w4 + q + d);
      }
      if (bias) flops += 64;
    }
    reads += inCh * 4 * chunks.size;
    for (const [ob, kis] of kiByBlock) reads += rowsIn(8 * ob, outCh) * (inCh * 3 * kis.size + (bias ? 1 : 0));
  });
  return cost(flops * g.n, reads * g.n, g.n * outCh * g.h * g.w);
}

/** conv3x3 backward_weight: invocation = 4 output channels x 1 input channel (9 taps), all images. */
export function conv3x3WeightCost(g: ConvGeom, wg: number): Cost {
  const blocks = Math.ceil(g.o / 4) * g.c;
  const image = g.n * g.h * g.w;
  let reads = 0;
  groups(blocks, wg, (t0, t1) => {
    const os = new Set<number>();
    const cs = new Set<number>();
    for (let t = t0; t < t1; t++) {
      const o0 = Math.floor(t / g.c) * 4;
      for (let k = 0; k < 4; k++) os.add(Math.min(o0 + k, g.o - 1));
      cs.add(t % g.c);
    }
    reads += (os.size + cs.size) * image;
  });
  return cost(blocks * 288 * (image / 4), reads, g.o * g.c * 9);
}
