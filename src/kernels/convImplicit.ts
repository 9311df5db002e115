// Convolution without a column buffer (shaders/conv_implicit.wgsl): the same three products as the
// im2col + GEMM path in conv.ts, reading the image directly. conv.ts chooses between the two; the
// explicit path stays the tested reference (DESIGN.md), and both pass the same tests.
import code from '../../shaders/conv_implicit.wgsl?raw';
import code3x3 from '../../shaders/conv3x3.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { flatWg, type Tuning } from '../gpu/tuning';
import { convOutSize, type ConvGeom } from '../geometry';
import {
  conv3x3RowCost,
  conv3x3WeightCost,
  implicitBackwardInputCost,
  implicitBackwardWeightCost,
  implicitForwardCost,
} from './convImplicitCost';
import type { Cost } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';
import { splitsWithin } from './loops';
import { channelSum } from './pool';

const def: KernelDef = { name: 'conv_implicit', code, bindings: ['read', 'read', 'rw', 'read', 'uniform'] };
const def3x3: KernelDef = { name: 'conv3x3', code: code3x3, bindings: def.bindings };

/**
 * 3x3, stride 1, padding 1 with rows of 16 or more, a multiple of 4 (the unstrided ResNet convolutions of
 * stages 1 and 2): the vec4-row kernel of shaders/conv3x3.wgsl where gpu.tuning.conv3x3 allows it, else
 * the general one. Measured on SwiftShader at batch 4: 1.1-1.3x the general kernel at 32x32 (weight
 * gradient 1.4-1.9x), even at 16x16, slower at 8x8 (half of each row's chunk reads are padding).
 */
export const isConv3x3 = (g: ConvGeom) => g.kh === 3 && g.kw === 3 && g.stride === 1 && g.pad === 1 && g.w % 4 === 0 && g.w >= 16;
const use3x3 = (gpu: Gpu, g: ConvGeom) => gpu.tuning.conv3x3 && isConv3x3(g);
const geometry3x3 = (g: ConvGeom) => ({ C: g.c, H: g.h, W: g.w, O: g.o });

function geometry(g: ConvGeom): Record<string, number> {
  const { oh, ow } = convOutSize(g);
  return { C: g.c, H: g.h, W: g.w, O: g.o, KH: g.kh, KW: g.kw, S: g.stride, PAD: g.pad, OH: oh, OW: ow };
}

/** `blocks` invocations (8 x 8 output blocks) per image, `batches` images in grid z. */
function dispatchFor(gpu: Gpu, blocks: number, batches: number) {
  const wg = flatWg({ ...gpu.tuning, minGroups: Math.ceil(gpu.tuning.minGroups / batches) }, blocks, gpu.tuning.gemmDirectWg);
  const [gx, gy] = grid1d(blocks, wg);
  return { grid: [gx, gy, batches] as [number, number, number], WG: wg };
}

const blocks8 = (v: number) => Math.ceil(v / 8);

/** y = conv(x, w) (+ bias[o]), y overwritten. Invocations: 8 channels x 8 columns of one output row. */
export function convImplicitForward(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  x: BufferRef,
  w: BufferRef,
  bias: BufferRef | undefined,
  y: BufferRef,
): Promise<Dispatch> {
  if (use3x3(gpu, g)) {
    const d = dispatchFor(gpu, blocks8(g.o) * g.h * blocks8(g.w), g.n);
    return prepare(gpu, def3x3, {
      entry: 'forward',
      label,
      buffers: [x, w, y, bias ?? w],
      uniforms: packUniforms([g.n]),
      grid: d.grid,
      constants: { ...geometry3x3(g), WG: d.WG, BIAS: bias ? 1 : 0 },
      cost: conv3x3RowCost(g, d.WG, 'forward', !!bias),
      loops: 8 + 3 * (1 + g.c) + 16 * 4, // weight rows; 3 kernel rows x C channels; 16 stores of 4 lanes
    });
  }
  const { oh, ow } = convOutSize(g);
  const d = dispatchFor(gpu, blocks8(g.o) * oh * blocks8(ow), g.n);
  return prepare(gpu, def, {
    entry: 'forward',
    label,
    buffers: [x, w, y, bias ?? w],
    uniforms: packUniforms([g.n]),
    grid: d.grid,
    constants: { ...geometry(g), WG: d.WG, BIAS: bias ? 1 : 0 },
    cost: implicitForwardCost(g, d.WG, !!bias),
    loops: 8 + g.kh * (1 + g.kw * (1 + g.c)) + 16 * 4, // row offsets; KH x KW taps x C channels; the stores
  });
}

/**
 * dx = the input gradient of conv for output gradient dy, dx overwritten. Invocations: 8 channels x 8
 * columns of one input row that share a residue mod the stride (so they share their taps).
 */
export function convImplicitBackwardInput(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  dy: BufferRef,
  w: BufferRef,
  dx: BufferRef,
): Promise<Dispatch> {
  if (use3x3(gpu, g)) {
    const d = dispatchFor(gpu, blocks8(g.c) * g.h * blocks8(g.w), g.n);
    return prepare(gpu, def3x3, {
      entry: 'backward_input',
      label,
      buffers: [dy, w, dx, w],
      uniforms: packUniforms([g.n]),
      grid: d.grid,
      constants: { ...geometry3x3(g), WG: d.WG },
      cost: conv3x3RowCost(g, d.WG, 'input', false),
      loops: 8 + 3 * (1 + g.o) + 16 * 4, // weight rows; 3 kernel rows x O channels; 16 stores of 4 lanes
    });
  }
  const colBlocks = g.stride * blocks8(Math.ceil(g.w / g.stride));
  const d = dispatchFor(gpu, blocks8(g.c) * g.h * colBlocks, g.n);
  return prepare(gpu, def, {
    entry: 'backward_input',
    label,
    buffers: [dy, w, dx, w],
    uniforms: packUniforms([g.n]),
    grid: d.grid,
    constants: { ...geometry(g), WG: d.WG },
    cost: implicitBackwardInputCost(g, d.WG),
    loops: 8 + g.kh * (1 + g.kw * (1 + g.o)) + 16 * 4, // at most every tap (a stride skips some) x O channels
  });
}

/**
 * Loop iterations of one weight-gradient invocation: per image it sums (the image loop's pass, each output row,
 * and each 8-column block or vec4 chunk of it) and once (row offsets, stores).
 */
function weightLoops(g: ConvGeom, threeByThree: boolean): { perImage: number; fixed: number } {
  if (threeByThree) return { perImage: 1 + g.h * (1 + g.w / 4), fixed: 4 };
  const { oh, ow } = convOutSize(g);
  return { perImage: 1 + oh * (1 + ow), fixed: 8 + 16 * 4 };
}

/**
 * Grid-z slices the implicit weight gradient cuts the images into, each summing its share into its own partial
 * sums, so that no invocation loops past MAX_LOOP_ITERATIONS (loops.ts): at batch 128, a 1x1 convolution on 32x32
 * maps would loop 128 x 1056 times in one invocation. 1: one slice writes dw itself.
 */
export function implicitWeightSplits(g: ConvGeom, tuning: Tuning): number {
  const l = weightLoops(g, tuning.conv3x3 && isConv3x3(g));
  return splitsWithin(g.n, l.perImage, l.fixed);
}

/**
 * dw = sum over images and positions of dy x_col^T, dw overwritten. Invocations: 8 x 8 blocks of dw [O, C*KH*KW]
 * (the 3x3 kernel: 4 output channels x 1 input channel), per grid-z slice of the images; with more than one
 * slice (implicitWeightSplits) the slices write [splits, O, C*KH*KW] partial sums into `partials` and a channel
 * sum adds them into dw.
 */
export async function convImplicitBackwardWeight(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  dy: BufferRef,
  x: BufferRef,
  dw: BufferRef,
  partials?: BufferRef,
): Promise<Dispatch[]> {
  const threeByThree = use3x3(gpu, g);
  const splits = implicitWeightSplits(g, gpu.tuning);
  const r = g.c * g.kh * g.kw;
  if (splits > 1 && !partials)
    throw new Error(`${label}: weight gradient ${JSON.stringify(g)} needs ${splits * g.o * r} floats of partial sums`);
  const per = Math.ceil(g.n / splits);
  const out = splits > 1 ? partials! : dw;
  const l = weightLoops(g, threeByThree);
  // Each slice writes its own O x R sums.
  const more = (c: Cost): Cost => ({ ...c, bytesWritten: c.bytesWritten * splits });
  const d = threeByThree
    ? // One invocation per 4 output channels x 1 input channel (all 9 taps).
      (() => {
        const d = dispatchFor(gpu, Math.ceil(g.o / 4) * g.c, splits);
        return prepare(gpu, def3x3, {
          entry: 'backward_weight',
          label,
          buffers: [x, dy, out, dy],
          uniforms: packUniforms([g.n, per]),
          grid: d.grid,
          constants: { ...geometry3x3(g), WG: d.WG },
          cost: more(conv3x3WeightCost(g, d.WG)),
          loops: per * l.perImage + l.fixed,
        });
      })()
    : (() => {
        const d = dispatchFor(gpu, blocks8(g.o) * blocks8(r), splits);
        return prepare(gpu, def, {
          entry: 'backward_weight',
          label,
          buffers: [x, dy, out, dy],
          uniforms: packUniforms([g.n, per]),
          grid: d.grid,
          constants: { ...geometry(g), WG: d.WG },
          cost: more(implicitBackwardWeightCost(g, d.WG)),
          loops: per * l.perImage + l.fixed,
        });
      })();
  if (splits === 1) return [await d];
  // Partials [splits, O * C*KH*KW] summed over the splits: channel sums with n = splits, s = 1.
  return Promise.all([d, channelSum(gpu, `${label}.splitSum`, { n: splits, c: g.o * r, s: 1 }, partials!, dw, { variant: 'serial' })]);
}
