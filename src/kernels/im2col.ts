// im2col and its adjoint col2im (shaders/im2col.wgsl). col layout [N, C*KH*KW, OH*OW].
import code from '../../shaders/im2col.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { convOutSize, type ConvGeom } from '../geometry';
import { cost, tapsInside } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'im2col', code, bindings: ['read', 'rw', 'uniform'] };
const WG = 256;

function uniforms(g: ConvGeom, count: number): Uint32Array {
  const { oh, ow } = convOutSize(g);
  return packUniforms([g.n, g.c, g.h, g.w, g.kh, g.kw, g.stride, g.pad, oh, ow, count]);
}

/** Column entries that read the image rather than its padding (im2col reads each once, col2im too). */
function insideEntries(g: ConvGeom): number {
  const { oh, ow } = convOutSize(g);
  return g.n * g.c * tapsInside(oh, g.kh, g.stride, g.pad, g.h) * tapsInside(ow, g.kw, g.stride, g.pad, g.w);
}

/** col[n, (c*KH+ki)*KW+kj, i*OW+j] = x[n, c, i*s-p+ki, j*s-p+kj] (0 in the padding). */
export function im2col(gpu: Gpu, label: string, g: ConvGeom, x: BufferRef, col: BufferRef): Promise<Dispatch> {
  const { oh, ow } = convOutSize(g);
  const count = g.n * g.c * g.kh * g.kw * oh * ow;
  return prepare(gpu, def, {
    entry: 'im2col',
    label,
    buffers: [x, col],
    uniforms: uniforms(g, count),
    grid: grid1d(count, WG),
    constants: { WG },
    cost: cost(0, insideEntries(g), count),
    loops: 0, // one column entry an invocation
  });
}

/** dx = the sum of every column entry each input element fed (gather; dx overwritten). */
export function col2im(gpu: Gpu, label: string, g: ConvGeom, col: BufferRef, dx: BufferRef): Promise<Dispatch> {
  const count = g.n * g.c * g.h * g.w;
  const reads = insideEntries(g);
  return prepare(gpu, def, {
    entry: 'col2im',
    label,
    buffers: [col, dx],
    uniforms: uniforms(g, count),
    grid: grid1d(count, WG),
    constants: { WG },
    cost: cost(reads, reads, count),
    loops: g.kh * (g.kw + 1), // every tap row, and every tap of the rows that reach the element
  });
}
