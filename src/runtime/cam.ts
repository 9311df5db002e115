// Class activation maps for one image: in these nets global average pooling feeds the fc layer, so the gradient
// of a class score with respect to the last stage's feature maps A_k is W[c,k] / (H*W) at every position, and
// Grad-CAM (Selvaraju et al. 2017) on the last stage is exactly CAM (Zhou et al. 2016): ReLU(sum_k W[c,k] A_k), up
// to a positive factor. The forward pass runs on the GPU (a probe graph keeps A); the weighted sum over the C
// channels of the one image's H*W map (64 x 8 x 8 at width 16) is combined here from the read-back features and
// fc row: no backward pass is needed.
import type { Gpu } from '../gpu/gpu';
import type { ReadbackPool } from '../gpu/readback';
import { numel, type Phase } from '../graph/ir';
import type { StepTarget } from './targets';
import type { BufferRef } from '../kernels/kernel';

export interface ClassMaps {
  logits: number[];
  /** The feature maps' side (8 for CIFAR ResNets). */
  side: number;
  /** Per class, side*side values: ReLU(sum_k W[c,k] A_k[h,w]) / (H*W), row-major. */
  maps: number[][];
}

/**
 * Records nothing itself: `encodeForward` fills a batch-1 probe target and runs its forward pass in the encoder;
 * then the features, logits and the fc weight are read back and combined.
 */
export async function classMaps(
  gpu: Gpu,
  readback: ReadbackPool,
  target: StepTarget,
  fcWeight: BufferRef,
  classes: number,
  encodeForward: (enc: GPUCommandEncoder) => void,
): Promise<ClassMaps> {
  const p = target.net.probes;
  if (!p) throw new Error('class maps need a probe graph');
  if (target.batch !== 1) throw new Error('class maps are taken one image at a time');
  const shape = target.net.b.graph.tensors[p.features].shape;
  const [, c, h, w] = shape;
  const feat = target.compiled.refs.get(p.features)!;
  const sizes = [numel(shape) * 4, classes * 4, classes * c * 4];
  const staging = sizes.map((s) => readback.acquire(s));
  const enc = gpu.device.createCommandEncoder({ label: 'classMaps' });
  encodeForward(enc);
  const srcs = [feat, target.logits, fcWeight];
  srcs.forEach((r, i) => enc.copyBufferToBuffer(r.buffer, r.offset ?? 0, staging[i], 0, sizes[i]));
  gpu.device.queue.submit([enc.finish()]);
  const [a, logits, wt] = await Promise.all(staging.map(async (s, i) => new Float32Array(await readback.read(s, sizes[i]))));
  const hw = h * w;
  const maps = Array.from({ length: classes }, (_, k) => {
    const m = new Array<number>(hw).fill(0);
    for (let ch = 0; ch < c; ch++) {
      const wk = wt[k * c + ch];
      for (let i = 0; i < hw; i++) m[i] += wk * a[ch * hw + i];
    }
    return m.map((v) => Math.max(0, v / hw));
  });
  return { logits: Array.from(logits), side: h, maps };
}

/**
 * Input-gradient saliency (Simonyan et al. 2014) of the one image in a saliency target (eval-mode BN): for each
 * class c, max over the colour channels of |d(-log p_c) / d pixel|, 32x32 row-major. One forward + backward per class
 * on the GPU (the label written before each submit); the 3 x 32 x 32 gradient is reduced over its channels here.
 * `encodeInput` fills the target's images (and labels, which are then overwritten per class).
 */
export async function inputSaliency(
  gpu: Gpu,
  readback: ReadbackPool,
  target: StepTarget,
  classes: number,
  encodeInput: (enc: GPUCommandEncoder) => void,
): Promise<number[][]> {
  const g = target.net.inputGrad;
  if (g === undefined || target.batch !== 1) throw new Error('input saliency needs a batch-1 saliency target');
  const ref = target.compiled.refs.get(g)!;
  const q = gpu.device.queue;
  const first = gpu.device.createCommandEncoder({ label: 'saliency.input' });
  encodeInput(first);
  q.submit([first.finish()]);
  const bytes = 3 * 32 * 32 * 4;
  const reads: Promise<ArrayBuffer>[] = [];
  for (let c = 0; c < classes; c++) {
    q.writeBuffer(target.labels, 0, Int32Array.of(c));
    const enc = gpu.device.createCommandEncoder({ label: `saliency.${c}` });
    const pass = enc.beginComputePass({ label: `saliency.${c}` });
    target.compiled.record(pass, PHASES);
    pass.end();
    const staging = readback.acquire(bytes);
    enc.copyBufferToBuffer(ref.buffer, ref.offset ?? 0, staging, 0, bytes);
    q.submit([enc.finish()]);
    reads.push(readback.read(staging, bytes));
  }
  return (await Promise.all(reads)).map((buf) => {
    const d = new Float32Array(buf);
    return Array.from({ length: 1024 }, (_, i) => Math.max(Math.abs(d[i]), Math.abs(d[1024 + i]), Math.abs(d[2048 + i])));
  });
}

const PHASES: ReadonlySet<Phase> = new Set(['forward', 'backward']);
