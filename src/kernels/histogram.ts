// Histogram of a flat array (shaders/histogram.wgsl): the BatchNorm lab's activations before and after BN.
import code from '../../shaders/histogram.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';
import { cost } from './cost';

const def: KernelDef = { name: 'histogram', code, bindings: ['read', 'rw', 'uniform'] };
const WG = 256;

const uniforms = (count: number, bins: number, lo: number, hi: number) =>
  packUniforms([count, bins, { f32: lo }, { f32: bins / (hi - lo) }]);

/**
 * Counts of `count` elements of x in `bins` equal bins over [lo, hi) (outside values in the end bins), added into
 * `out` (bins u32 counts, zeroed before the dispatch). setHistogramRange changes the range for the next submit.
 */
export function histogram(
  gpu: Gpu,
  label: string,
  count: number,
  bins: number,
  x: BufferRef,
  out: BufferRef,
  range: { lo: number; hi: number } = { lo: -1, hi: 1 },
): Promise<Dispatch> {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`${label}: ${bins} bins`);
  if (!(range.hi > range.lo)) throw new Error(`${label}: empty range [${range.lo}, ${range.hi})`);
  return prepare(gpu, def, {
    entry: 'histogram',
    label,
    buffers: [x, out],
    uniforms: uniforms(count, bins, range.lo, range.hi),
    grid: grid1d(count, WG),
    constants: { WG },
    cost: cost(3 * count, count, bins),
    loops: 0, // no loops in the shader
  });
}

export function setHistogramRange(gpu: Gpu, d: Dispatch, count: number, bins: number, lo: number, hi: number): void {
  if (!(hi > lo)) throw new Error(`${d.label}: empty range [${lo}, ${hi})`);
  const u = uniforms(count, bins, lo, hi);
  gpu.device.queue.writeBuffer(d.uniforms!, 0, u.buffer, u.byteOffset, u.byteLength);
}
