// Convolution without a column buffer (shaders/conv_implicit.wgsl): the same three products as the
// im2col + GEMM path in conv.ts, reading the image directly. conv.ts chooses between the two; the
// explicit path stays the tested reference (DESIGN.md), and both pass the same tests.
import code from '../../shaders/conv_implicit.wgsl?raw';
import code3x3 from '../../shaders/conv3x3.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { flatWg } from '../gpu/tuning';
import { convOutSize, type ConvGeom } from '../geometry';
import {
  conv3x3RowCost,
  conv3x3WeightCost,
  implicitBackwardInputCost,
  implicitBackwardWeightCost,
  implicitForwardCost,
} from './convImplicitCost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

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
  });
}

/** dw = sum over images and positions of dy x_col^T, dw overwritten. Invocations: 8 x 8 blocks of dw [O, C*KH*KW]. */
export function convImplicitBackwardWeight(
  gpu: Gpu,
  label: string,
  g: ConvGeom,
  dy: BufferRef,
  x: BufferRef,
  dw: BufferRef,
): Promise<Dispatch> {
  if (use3x3(gpu, g)) {
    // One invocation per 4 output channels x 1 input channel (all 9 taps).
    const d = dispatchFor(gpu, Math.ceil(g.o / 4) * g.c, 1);
    return prepare(gpu, def3x3, {
      entry: 'backward_weight',
      label,
      buffers: [x, dy, dw, dy],
      uniforms: packUniforms([g.n]),
      grid: d.grid,
      constants: { ...geometry3x3(g), WG: d.WG },
      cost: conv3x3WeightCost(g, d.WG),
    });
  }
  const d = dispatchFor(gpu, blocks8(g.o) * blocks8(g.c * g.kh * g.kw), 1);
  return prepare(gpu, def, {
    entry: 'backward_weight',
    label,
    buffers: [x, dy, dw, dy],
    uniforms: packUniforms([g.n]),
    grid: d.grid,
    constants: { ...geometry(g), WG: d.WG },
    cost: implicitBackwardWeightCost(g, d.WG),
  });
}
