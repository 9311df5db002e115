// Implicit-GEMM convolution for GPUs (shaders/conv_igemm.wgsl: forward and input gradient;
// shaders/conv_igemm_weight.wgsl: weight gradient): no column buffer, tiles in workgroup memory, 4 x 8
// outputs per invocation. conv.ts routes a pass here when gpu.tuning.conv[pass] is 'igemm'. This file
// picks the tiles (within WebGPU's default limits, so every adapter runs them) and models their cost; the
// weight gradient's wrapper is convIgemmWeight.ts.
import code from '../../shaders/conv_igemm.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { convOutSize, type ConvGeom } from '../geometry';
import { cost, inside, type Cost } from './cost';
import { packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const gatherDef: KernelDef = { name: 'conv_igemm', code, bindings: ['read', 'read', 'rw', 'read', 'uniform'] };

/** Floats of workgroup memory a tile may use: 16 KiB, WebGPU's default maxComputeWorkgroupStorageSize. */
const SHARED = 4096;
/** Invocations per workgroup: WebGPU's default maxComputeInvocationsPerWorkgroup. */
const THREADS = 256;

const up = (v: number, m: number) => Math.ceil(v / m) * m;
const floor4 = (v: number) => Math.floor(v / 4);

// ---- forward and input gradient: out[n, m, position] = sum over k, taps of A[m, k, tap] in0[n, k, ...] ----

type GatherPass = 'forward' | 'input';

/** A gather product: out channels m, summed channels k, the image read (ih x iw) and written (ohf x owf). */
interface Gather {
  pass: GatherPass;
  g: ConvGeom;
  m: number;
  k: number;
  ih: number;
  iw: number;
  ohf: number;
  owf: number;
  /** Residue classes (the strided input gradient: S*S) and the largest class's rows and columns. */
  classes: number;
  ch: number;
  cw: number;
  /** The most taps any class has along y and x. */
  ty: number;
  tx: number;
}

function gather(g: ConvGeom, pass: GatherPass): Gather {
  const { oh, ow } = convOutSize(g);
  if (pass === 'forward')
    return { pass, g, m: g.o, k: g.c, ih: g.h, iw: g.w, ohf: oh, owf: ow, classes: 1, ch: oh, cw: ow, ty: g.kh, tx: g.kw };
  const s = g.stride;
  return {
    pass,
    g,
    m: g.c,
    k: g.o,
    ih: oh,
    iw: ow,
    ohf: g.h,
    owf: g.w,
    classes: s * s,
    ch: Math.ceil(g.h / s),
    cw: Math.ceil(g.w / s),
    ty: Math.ceil(g.kh / s),
    tx: Math.ceil(g.kw / s),
  };
}

/** The shader's forwardAxis / inputAxis: taps, patch origin and extent of a tile starting at p0. */
function axis(pr: Gather, residue: number, p0: number, k: number, tile: number) {
  const { stride: s, pad } = pr.g;
  if (pr.pass === 'forward') return { n: k, origin: p0 * s - pad, len: (tile - 1) * s + k };
  const k0 = (residue + pad) % s;
  const n = k0 < k ? Math.ceil((k - k0) / s) : 0;
  return { n, origin: p0 + (residue + pad - k0) / s - (n - 1), len: tile + Math.max(n, 1) - 1 };
}

/** Patch rows (or columns) of the largest class for a tile of `tile` positions. */
const patchLen = (pr: Gather, tile: number, taps: number) => (pr.pass === 'forward' ? (tile - 1) * pr.g.stride + taps : tile + taps - 1);

interface GatherTiles {
  BM: number;
  TW: number;
  TH: number;
  TN: number;
  BC: number;
  WG: number;
  SA: number;
  SP: number;
}

/**
 * Tiles: all output channels up to 64 (so the input patch is fetched once per image tile), rows of up to 32
 * positions, as many rows and images as 256 invocations hold; then fewer images and rows until the grid has
 * `groups` workgroups (about one per compute unit of a large GPU: more would fetch the weights again for
 * little gain) and the patch of one summed channel fits; then the summed channels per step.
 */
function gatherTiles(pr: Gather, n: number, groups: number): GatherTiles {
  const BM = Math.min(64, up(pr.m, 4));
  const TW = Math.min(32, up(pr.cw, 8));
  const budget = Math.max(1, Math.floor(THREADS / ((BM / 4) * (TW / 8))));
  let TH = Math.min(pr.ch, budget);
  let TN = TH === pr.ch ? Math.max(1, Math.min(n, Math.floor(budget / pr.ch))) : 1;
  const count = () => Math.ceil(pr.m / BM) * Math.ceil(pr.ch / TH) * Math.ceil(pr.cw / TW) * Math.ceil(n / TN) * pr.classes;
  const perChannel = () => TN * patchLen(pr, TH, pr.ty) * patchLen(pr, TW, pr.tx) + BM * pr.ty * pr.tx;
  while ((count() < groups || perChannel() > SHARED) && TN > 1) TN = Math.ceil(TN / 2);
  while ((count() < groups || perChannel() > SHARED) && TH > 1) TH = Math.ceil(TH / 2);
  if (perChannel() > SHARED) throw new Error(`conv_igemm: a ${pr.g.kh}x${pr.g.kw} patch of ${TW} columns does not fit workgroup memory`);
  // Summed channels per step: the fewest padding channels (they cost flops), then the fewest steps.
  const most = Math.min(pr.k, Math.floor(SHARED / perChannel()));
  let BC = most;
  for (let bc = most; bc >= 1; bc--) if (Math.ceil(pr.k / bc) * bc < Math.ceil(pr.k / BC) * BC) BC = bc;
  return {
    BM,
    TW,
    TH,
    TN,
    BC,
    WG: (BM / 4) * TN * TH * (TW / 8),
    SA: (BM / 4) * BC * pr.ty * pr.tx,
    SP: BC * TN * patchLen(pr, TH, pr.ty) * patchLen(pr, TW, pr.tx),
  };
}

/** Rows of the input read as vec4s (and out rows stored as vec4s): the *4 entries. */
function gatherVec4(pr: Gather): boolean {
  return pr.iw % 4 === 0 && pr.owf % 4 === 0 && (pr.pass === 'forward' || pr.g.stride === 1);
}

/** The cost (cost.ts) of a gather dispatch, following the shader's staging loops. */
export function gatherCost(pr: Gather, t: GatherTiles, n: number, vec4: boolean, bias: boolean): Cost {
  const s = pr.pass === 'forward' ? 1 : pr.g.stride;
  const [tilesY, tilesX, mTiles, images] = [Math.ceil(pr.ch / t.TH), Math.ceil(pr.cw / t.TW), Math.ceil(pr.m / t.BM), Math.ceil(n / t.TN)];
  const steps = Math.ceil(pr.k / t.BC);
  let reads = 0;
  let flops = 0;
  for (let cls = 0; cls < pr.classes; cls++)
    for (let ty = 0; ty < tilesY; ty++) {
      const ay = axis(pr, Math.floor(cls / s), ty * t.TH, pr.g.kh, t.TH);
      for (let tx = 0; tx < tilesX; tx++) {
        const ax = axis(pr, cls % s, tx * t.TW, pr.g.kw, t.TW);
        const taps = ay.n * ax.n;
        if (taps === 0) continue;
        // Weights: every workgroup stages those of its channels, all taps, for each summed channel.
        reads += images * pr.m * pr.k * taps;
        // The patch: rows and columns inside the image (whole vec4 chunks in the *4 entries), per image.
        const q0 = floor4(ax.origin);
        const cols = vec4 ? 4 * inside(q0, floor4(ax.origin + ax.len - 1) - q0 + 1, pr.iw / 4) : inside(ax.origin, ax.len, pr.iw);
        reads += mTiles * n * pr.k * inside(ay.origin, ay.len, pr.ih) * cols;
        flops += mTiles * images * 2 * t.BM * t.TN * t.TH * t.TW * steps * t.BC * taps;
      }
    }
  const outs = n * pr.m * pr.ohf * pr.owf;
  if (bias) {
    reads += images * tilesY * tilesX * pr.m;
    flops += outs;
  }
  return cost(flops, reads, outs);
}

/**
 * Loop iterations of one gather invocation, bounded by its tiles: per step of BC summed channels, its share of
 * the A and patch staging (with a 4-lane inner loop each) and BC x ty x tx multiply-add taps; then the stores.
 */
function gatherLoops(pr: Gather, t: GatherTiles): number {
  const steps = Math.ceil(pr.k / t.BC);
  const perStep = 1 + 5 * Math.ceil(t.SA / t.WG) + 5 * Math.ceil(t.SP / t.WG) + t.BC * (1 + pr.ty * (1 + pr.tx));
  return steps * perStep + 64;
}

function geometry(pr: Gather): Record<string, number> {
  const { g } = pr;
  const kk = g.kh * g.kw;
  const [AM, AK] = pr.pass === 'forward' ? [g.c * kk, kk] : [kk, g.c * kk];
  return { KH: g.kh, KW: g.kw, S: g.stride, PAD: g.pad, M: pr.m, K: pr.k, IH: pr.ih, IW: pr.iw, OHF: pr.ohf, OWF: pr.owf, AM, AK };
}

function gatherDispatch(
  gpu: Gpu,
  label: string,
  pr: Gather,
  in0: BufferRef,
  w: BufferRef,
  bias: BufferRef | undefined,
  out: BufferRef,
): Promise<Dispatch> {
  const n = pr.g.n;
  const t = gatherTiles(pr, n, gpu.tuning.convGroups);
  const vec4 = gatherVec4(pr);
  const grid: [number, number, number] = [
    Math.ceil(pr.ch / t.TH) * Math.ceil(pr.cw / t.TW),
    Math.ceil(pr.m / t.BM),
    Math.ceil(n / t.TN) * pr.classes,
  ];
  const entry = (pr.pass === 'forward' ? 'forward' : 'backward_input') + (vec4 ? '4' : '');
  return prepare(gpu, gatherDef, {
    entry,
    label,
    buffers: [in0, w, out, bias ?? w],
    uniforms: packUniforms([n, pr.k, t.BC]),
    grid,
    constants: { ...geometry(pr), ...t, ...(pr.pass === 'forward' ? { BIAS: bias ? 1 : 0 } : {}) },
    cost: gatherCost(pr, t, n, vec4, !!bias),
    loops: gatherLoops(pr, t),
  });
}

/** y = conv(x, w) (+ bias[o]), y overwritten. */
export function igemmForward(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  x: BufferRef,
  w: BufferRef,
  bias: BufferRef | undefined,
  y: BufferRef,
): Promise<Dispatch> {
  return gatherDispatch(gpu, label, gather(g, 'forward'), x, w, bias, y);
}

/** dx = the input gradient of conv for output gradient dy, dx overwritten (every element, zeros included). */
export function igemmBackwardInput(gpu: Gpu, label: string, g: ConvGeom, dy: BufferRef, w: BufferRef, dx: BufferRef): Promise<Dispatch> {
  return gatherDispatch(gpu, label, gather(g, 'input'), dy, w, undefined, dx);
}
