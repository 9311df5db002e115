// Softmax cross-entropy loss with its gradient and the batch metrics (shaders/softmax_xent.wgsl).
import code from '../../shaders/softmax_xent.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import type { Tuning } from '../gpu/tuning';
import { cost } from './cost';
import { MAX_LOOP_ITERATIONS, strided } from './loops';
import { packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'softmax_xent', code, bindings: ['read', 'read', 'rw', 'rw', 'uniform'] };
const WG = 256;

/**
 * logits [n, k], labels int32 [n] -> dlogits [n, k] = (softmax - onehot) / count, and metrics (4 floats):
 * [0] mean loss of this batch, [1] correct predictions, [2] += sum of losses, [3] += correct count
 * (the caller zeroes [2] and [3] before an evaluation loop). Labels outside [0, k), e.g. -1 padding the
 * last evaluation batch, are ignored: no loss, zero dlogits, not counted. One workgroup does the whole
 * batch, so it suits n up to about a thousand and k up to a few hundred. The 'serial' variant (CPU
 * adapters, gpu.tuning.reduce) does it in one invocation without barriers while its loops stay within
 * MAX_LOOP_ITERATIONS; opts.variant asks for one.
 */
export function softmaxXent(
  gpu: Gpu,
  label: string,
  n: number,
  k: number,
  logits: BufferRef,
  labels: BufferRef,
  dlogits: BufferRef,
  metrics: BufferRef,
  opts: { variant?: Tuning['reduce'] } = {},
): Promise<Dispatch> {
  if (!(n >= 1 && k >= 1)) throw new Error(`${label}: softmaxXent needs n >= 1 and k >= 1, got n=${n} k=${k}`);
  // A row takes three loops over its k logits (max, sum of exponentials, gradient) and one pass of the row loop;
  // the rows are counted first. One invocation doing all n rows ('serial') stays within MAX_LOOP_ITERATIONS
  // (loops.ts) only for small batches: past it the workgroup shares the rows out.
  const perRow = 1 + 3 * k;
  const serialLoops = n + n * perRow;
  const serial = (opts.variant ?? gpu.tuning.reduce) === 'serial' && serialLoops <= MAX_LOOP_ITERATIONS;
  const rows = strided(0, n, WG);
  return prepare(gpu, def, {
    entry: serial ? 'main_serial' : 'main',
    label,
    buffers: [logits, labels, dlogits, metrics],
    uniforms: packUniforms([n, k, 0]), // Params.zero keeps the serial Kahan sum compensated (softmax_xent.wgsl)
    grid: [1, 1, 1],
    constants: serial ? {} : { WG },
    // Logits, labels and the two running metrics in; dlogits and the 4 metrics out. About 5 flops per logit
    // (max, exp, sum, scale, subtract).
    cost: cost(5 * n * k, n * k + n + 2, n * k + 4),
    loops: serial ? serialLoops : rows + rows * perRow + 2 * Math.log2(WG),
  });
}
