// Sum of squares per segment of a flat array (shaders/sumsq.wgsl), e.g. one norm per parameter tensor.
import code from '../../shaders/sumsq.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { flatWg, type Tuning } from '../gpu/tuning';
import { uploadNew } from '../gpu/buffers';
import { cost } from './cost';
import { MAX_LOOP_ITERATIONS } from './loops';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'sumsq', code, bindings: ['read', 'read', 'rw', 'uniform'] };
// A power of two: the workgroup reduction halves it down to one.
const WG = 256;
/** Terms per run and runs per block in the shader (CHUNK there). */
const CHUNK = 64;

/**
 * out[i] = sum of x[offset_i .. offset_i + count_i)^2 (offsets and counts in elements of x, relative to
 * x's binding offset): one workgroup per segment, or one invocation per segment where gpu.tuning.reduce is 'serial'. The segment table is uploaded once, here. out must be
 * a different GPUBuffer from x (WebGPU: no buffer both read-only and read-write in a dispatch).
 */
export async function sumSquares(
  gpu: Gpu,
  label: string,
  segments: { offset: number; count: number }[],
  x: BufferRef,
  out: BufferRef,
  opts: { variant?: Tuning['reduce'] } = {},
): Promise<Dispatch> {
  const table = new Uint32Array(Math.max(2, segments.length * 2));
  segments.forEach((s, i) => {
    table[2 * i] = s.offset;
    table[2 * i + 1] = s.count;
  });
  const segs = { buffer: uploadNew(gpu, `${label}.segments`, table) };
  const total = segments.reduce((a, s) => a + s.count, 0);
  const c = cost(2 * total, total + 2 * segments.length, segments.length);
  // Per invocation: the element loop, the runs of CHUNK and the blocks of CHUNK runs over the longest segment
  // ('serial': one invocation a segment; the workgroup's threads each take a stride-WG share, then the tree).
  // Past MAX_LOOP_ITERATIONS (loops.ts) the serial variant gives way to the workgroup one.
  const longest = segments.reduce((a, s) => Math.max(a, s.count), 0);
  const serialLoops = longest + Math.ceil(longest / CHUNK) + Math.ceil(longest / CHUNK ** 2);
  const share = Math.ceil(longest / WG);
  const groupLoops = share + Math.ceil(share / CHUNK) + Math.log2(WG);
  if ((opts.variant ?? gpu.tuning.reduce) === 'serial' && serialLoops <= MAX_LOOP_ITERATIONS) {
    // One invocation per segment (CPU adapters: no barriers).
    const wg = flatWg(gpu.tuning, segments.length, 64);
    return prepare(gpu, def, {
      entry: 'sumsq_serial',
      label,
      buffers: [x, segs, out],
      uniforms: packUniforms([segments.length]),
      grid: grid1d(segments.length, wg),
      constants: { WG: wg },
      cost: c,
      loops: serialLoops,
    });
  }
  return prepare(gpu, def, {
    entry: 'sumsq',
    label,
    buffers: [x, segs, out],
    uniforms: packUniforms([segments.length]),
    grid: grid1d(segments.length, 1),
    constants: { WG },
    cost: c,
    loops: groupLoops,
  });
}
