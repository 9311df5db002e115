// The implicit-GEMM weight gradient for GPUs (shaders/conv_igemm_weight.wgsl): dw [O, C*KH*KW] summed over
// the images' positions with no column buffer, split over the images into partial sums when its few output
// tiles would leave a GPU idle (like the explicit path's split-K, conv.ts). Tiles are chosen by this model's
// traffic (cost.ts) within WebGPU's default workgroup limits.
import code from '../../shaders/conv_igemm_weight.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import type { Tuning } from '../gpu/tuning';
import { convOutSize, type ConvGeom } from '../geometry';
import { cost, inside, type Cost } from './cost';
import { packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';
import { splitsWithin } from './loops';
import { channelSum } from './pool';

const def: KernelDef = { name: 'conv_igemm_weight', code, bindings: ['read', 'read', 'rw', 'read', 'uniform'] };

/** Floats of workgroup memory (16 KiB) and invocations (256) a workgroup may use: WebGPU's defaults. */
const SHARED = 4096;
const THREADS = 256;

const up = (v: number, m: number) => Math.ceil(v / m) * m;
const floor4 = (v: number) => Math.floor(v / 4);

interface WeightTiles {
  BM: number;
  BN: number;
  TH: number;
  WG: number;
  SA: number;
  SP: number;
}

/** Input channels the columns r0 .. r0+bn-1 of dw read (the shader's `columns`). */
function channels(g: ConvGeom, r0: number, bn: number): number {
  const kk = g.kh * g.kw;
  return Math.min(g.c, Math.floor((r0 + bn - 1) / kk) + 1) - Math.floor(r0 / kk);
}

/** x rows and dw rows as vec4s: backward_weight4. */
const vec4 = (g: ConvGeom) => g.w % 4 === 0 && (g.c * g.kh * g.kw) % 4 === 0;

/** What one image costs a workgroup that reads `nch` channels: x values fetched (rows x columns). */
function xPerImage(g: ConvGeom, th: number, nch: number): number {
  const { oh, ow } = convOutSize(g);
  const s = g.stride;
  const ph = (th - 1) * s + g.kh;
  const pw = (ow - 1) * s + g.kw;
  const keep = Math.max(g.kh, s) - s;
  let rows = 0;
  for (let py0 = 0; py0 < oh; py0 += th) {
    const first = py0 > 0 && keep > 0 ? keep : 0;
    rows += inside(py0 * s - g.pad + first, ph - first, g.h);
  }
  const q0 = floor4(-g.pad);
  const cols = vec4(g) ? 4 * inside(q0, floor4(pw - 1 - g.pad) - q0 + 1, g.w / 4) : inside(-g.pad, pw, g.w);
  return nch * rows * cols;
}

/** The cost (cost.ts) of the dw dispatch with these tiles, `splits` partial sums. */
export function weightCost(g: ConvGeom, t: WeightTiles, splits: number): Cost {
  const { oh, ow } = convOutSize(g);
  const r = g.c * g.kh * g.kw;
  const rTiles = Math.ceil(r / t.BN);
  const oTiles = Math.ceil(g.o / t.BM);
  let x = 0;
  for (let i = 0; i < rTiles; i++) x += xPerImage(g, t.TH, channels(g, i * t.BN, t.BN));
  // dy: every column tile stages all of dy for its output channels; x: every channel tile its x rows.
  const reads = g.n * (rTiles * g.o * oh * ow + oTiles * x);
  const flops = rTiles * oTiles * g.n * Math.ceil(oh / t.TH) * t.TH * ow * t.BM * t.BN * 2;
  return cost(flops, reads, splits * g.o * r);
}

/**
 * A GPU's arithmetic per byte of memory traffic at which compute and memory take equal time (float32: an
 * H200 does ~67 TFLOP/s against ~4.8 TB/s; most GPUs sit between 10 and 20).
 */
const FLOPS_PER_BYTE = 14;

/**
 * The tiles with the least modelled time, max(flops, FLOPS_PER_BYTE * bytes) (a roofline): BM output
 * channels (a multiple of 4, up to 64) by BN columns (a multiple of 8) within 256 invocations, TH output
 * rows per chunk whose dy and x rows fit workgroup memory (and, with more than one chunk, at least the
 * KH - S rows the window keeps). Padding columns and rows cost flops; narrow tiles cost re-reads. Ties go
 * to the larger workgroup.
 */
function weightTiles(g: ConvGeom): WeightTiles {
  const { oh, ow } = convOutSize(g);
  const s = g.stride;
  const r = g.c * g.kh * g.kw;
  const keep = Math.max(g.kh, s) - s;
  const pw = (ow - 1) * s + g.kw;
  let best: WeightTiles | undefined;
  let bestTime = Infinity;
  const bms = [...new Set([4, 8, 16, 32, 64, Math.min(64, up(g.o, 4))])].filter((b) => b <= Math.min(64, up(g.o, 4)));
  for (const BM of bms) {
    const tm = BM / 4;
    for (let BN = 8; BN <= Math.min(up(r, 8), 8 * Math.floor(THREADS / tm)); BN += 8) {
      let nch = 0;
      for (let r0 = 0; r0 < r; r0 += BN) nch = Math.max(nch, channels(g, r0, BN));
      for (let TH = oh; TH >= 1; TH--) {
        const fits = BM * TH * ow + nch * ((TH - 1) * s + g.kh) * pw <= SHARED;
        if (!fits || (TH < oh && TH * s < keep)) continue;
        const t = { BM, BN, TH, WG: tm * (BN / 8), SA: tm * TH * ow, SP: nch * ((TH - 1) * s + g.kh) * pw };
        const c = weightCost(g, t, 1);
        const time = Math.max(c.flops, FLOPS_PER_BYTE * c.bytesRead);
        if (time < bestTime || (time === bestTime && best && t.WG > best.WG)) [best, bestTime] = [t, time];
      }
    }
  }
  if (!best) throw new Error(`conv_igemm_weight: no tile of ${JSON.stringify(g)} fits workgroup memory`);
  return best;
}

/**
 * Loop iterations of one invocation per image it sums (per chunk of TH output rows: its share of staging the
 * patch rows and dy, with 4-lane inner loops, the slide, and TH x OW multiply-add positions) and once (the
 * column offsets and the stores).
 */
function weightLoops(g: ConvGeom, t: WeightTiles): { perImage: number; fixed: number } {
  const { oh, ow } = convOutSize(g);
  const chunk = 1 + 5 * Math.ceil(t.SP / t.WG) + Math.ceil(t.SP / t.WG) + 5 * Math.ceil(t.SA / t.WG) + t.TH * ow;
  return { perImage: 1 + Math.ceil(oh / t.TH) * chunk, fixed: 8 + 8 * 4 };
}

/**
 * Partial sums to split the images into so the dispatch has about tuning.splitKGroups workgroups, while the
 * partials (written, then read back by the sum) stay below the data the gradient reads, and so that no
 * invocation loops past MAX_LOOP_ITERATIONS over its images (loops.ts); 1: no split.
 */
export function igemmWeightSplits(g: ConvGeom, tuning: Tuning): number {
  const t = weightTiles(g);
  const l = weightLoops(g, t);
  if (tuning.splitKGroups <= 0 || g.n < 2) return splitsWithin(g.n, l.perImage, l.fixed);
  const { oh, ow } = convOutSize(g);
  const r = g.c * g.kh * g.kw;
  const tiles = Math.ceil(r / t.BN) * Math.ceil(g.o / t.BM);
  const data = g.n * (g.c * g.h * g.w + g.o * oh * ow);
  const want = Math.min(g.n, Math.max(1, Math.floor(data / (2 * g.o * r))), Math.ceil(tuning.splitKGroups / tiles));
  return splitsWithin(g.n, l.perImage, l.fixed, want);
}

/**
 * dw = sum over images of dy x_col^T, dw overwritten. Split (igemmWeightSplits > 1): the dispatch writes
 * per-split partial sums [splits, O, C*KH*KW] into `partials` and a channel sum adds them into dw.
 */
export async function igemmBackwardWeight(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  dy: BufferRef,
  x: BufferRef,
  dw: BufferRef,
  partials?: BufferRef,
): Promise<Dispatch[]> {
  const { oh, ow } = convOutSize(g);
  const r = g.c * g.kh * g.kw;
  const t = weightTiles(g);
  const splits = igemmWeightSplits(g, gpu.tuning);
  if (splits > 1 && !partials)
    throw new Error(`${label}: weight gradient ${JSON.stringify(g)} needs ${splits * g.o * r} floats of partial sums`);
  const per = Math.ceil(g.n / splits);
  const out = splits > 1 ? partials! : dw;
  const d = prepare(gpu, def, {
    entry: vec4(g) ? 'backward_weight4' : 'backward_weight',
    label: `${label}.igemm`,
    buffers: [x, dy, out, x],
    uniforms: packUniforms([g.n, per, oh]),
    grid: [Math.ceil(r / t.BN), Math.ceil(g.o / t.BM), splits],
    constants: { KH: g.kh, KW: g.kw, S: g.stride, PAD: g.pad, M: g.o, K: g.c, IH: g.h, IW: g.w, OHF: oh, OWF: ow, ...t },
    cost: weightCost(g, t, splits),
    loops: per * weightLoops(g, t).perImage + weightLoops(g, t).fixed,
  });
  if (splits === 1) return [await d];
  // Partials [splits, O * C*KH*KW] summed over the splits: channel sums with n = splits, s = 1.
  return Promise.all([d, channelSum(gpu, `${label}.splitSum`, { n: splits, c: g.o * r, s: 1 }, partials!, dw, { variant: 'serial' })]);
}
