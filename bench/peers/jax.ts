// jax-js peer (WebGPU): the same network, trained the same way, written as a jax-js user would: NCHW / OIHW
// (lax.convGeneralDilated's native layout), the loss differentiated with valueAndGrad (BN batch statistics
// returned as aux), and the whole training step (forward, backward, SGD with momentum and weight decay,
// BN running update) under one jit. jax-js arrays are reference counted: every use of an array consumes one
// reference, so a value used twice is passed as `.ref` first.
import { blockUntilReady, defaultDevice, getWebGPUDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad, grad } from '@jax-js/jax';
import { BN_EPS, BN_MOMENTUM, layout, unbiasedFactors, type ConvBn, type Layout } from './arch';
import { timeSteps, type ConvJob, type Framework, type InferJob, type Timing, type TrainJob } from '../compareTypes';

type Arr = np.Array;
type Tree = { [name: string]: Arr };
type Moments = { [bn: string]: [Arr, Arr] };

const PAD1: [number, number][] = [
  [1, 1],
  [1, 1],
];

const conv = (x: Arr, w: Arr, stride: number) => lax.convGeneralDilated(x, w, [stride, stride], PAD1);

/** BN over (N, H, W) per channel; train mode records the batch mean and biased variance in `moments`. */
function batchNorm(y: Arr, p: Tree, stats: Tree | undefined, bn: string, moments: Moments | undefined): Arr {
  const c = y.shape[1];
  const gamma = p[`${bn}.weight`].reshape([1, c, 1, 1]);
  const beta = p[`${bn}.bias`].reshape([1, c, 1, 1]);
  let centered: Arr;
  let variance: Arr;
  if (stats === undefined) {
    const mean = y.ref.mean([0, 2, 3], { keepdims: true });
    centered = y.sub(mean.ref);
    variance = centered.ref.mul(centered.ref).mean([0, 2, 3], { keepdims: true });
    moments![bn] = [mean, variance.ref];
  } else {
    centered = y.sub(stats[`${bn}.running_mean`].reshape([1, c, 1, 1]));
    variance = stats[`${bn}.running_var`].reshape([1, c, 1, 1]);
  }
  const inv = np.reciprocal(np.sqrt(variance.add(BN_EPS)));
  return centered.mul(inv).mul(gamma).add(beta);
}

function convBn(x: Arr, c: ConvBn, relu: boolean, p: Tree, stats: Tree | undefined, moments: Moments | undefined): Arr {
  const y = batchNorm(conv(x, p[`${c.conv}.weight`], c.stride), p, stats, c.bn, moments);
  return relu ? nn.relu(y) : y;
}

/** Mean softmax cross-entropy. Train mode: `stats` undefined, batch moments collected into `moments`. */
function lossOf(lay: Layout, p: Tree, stats: Tree | undefined, x: Arr, onehot: Arr, moments: Moments | undefined): Arr {
  let h = convBn(x, lay.stem, true, p, stats, moments);
  for (const b of lay.blocks) {
    const y1 = convBn(b.residual ? h.ref : h, b.conv1, true, p, stats, moments);
    const y = convBn(y1, b.conv2, !b.residual, p, stats, moments);
    if (!b.residual) {
      h = y;
      continue;
    }
    let sc = h;
    if (b.shortcut) {
      // Option A: x[:, :, ::2, ::2] (no strided slices in jax-js: reshape and take phase 0), zero channels each side.
      const [n, c, hh, ww] = sc.shape;
      sc = sc.reshape([n, c, hh / 2, 2, ww / 2, 2]).slice([], [], [], 0, [], 0);
      sc = np.pad(sc, [
        [0, 0],
        [b.shortcut.padEachSide, b.shortcut.padEachSide],
        [0, 0],
        [0, 0],
      ]);
    }
    h = nn.relu(y.add(sc));
  }
  const pooled = h.mean([2, 3]);
  const logits = np.matmul(pooled, p['fc.weight'].transpose()).add(p['fc.bias']);
  return nn.logSoftmax(logits, -1).mul(onehot).sum(-1).mean().neg();
}

/** Splits the state dict into parameters and BN statistics, as device arrays with their real shapes. */
function toArrays(lay: Layout, state: Record<string, Float32Array>): { params: Tree; stats: Tree } {
  const convs = [lay.stem, ...lay.blocks.flatMap((b) => [b.conv1, b.conv2])];
  const shapes = new Map<string, number[]>(convs.map((c) => [`${c.conv}.weight`, [c.cout, c.cin, 3, 3]]));
  shapes.set('fc.weight', [lay.classes, convs[convs.length - 1].cout]);
  const params: Tree = {};
  const stats: Tree = {};
  for (const [name, data] of Object.entries(state)) {
    const a = np.array(data as Float32Array<ArrayBuffer>, { shape: shapes.get(name) ?? [data.length] });
    (name.includes('running_') ? stats : params)[name] = a;
  }
  return { params, stats };
}

export function jaxPeer(): Framework {
  const inputs = (job: InferJob) => ({
    x: np.array(job.images as Float32Array<ArrayBuffer>, { shape: [job.batch, 3, 32, 32] }),
    onehot: nn.oneHot(np.array(job.labels as Int32Array<ArrayBuffer>, { dtype: np.int32 }), 10).astype(np.float32),
  });
  const readScalar = async (a: Arr) => (await a.data())[0];

  return {
    id: 'jax-webgpu',
    async init() {
      const devices = await init('webgpu');
      if (!devices.includes('webgpu')) throw new Error(`jax-js has no WebGPU device (got ${devices.join(', ') || 'none'})`);
      defaultDevice('webgpu');
      const info = getWebGPUDevice().adapterInfo;
      return `jax-js webgpu: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ')}`;
    },

    async train(job: TrainJob): Promise<Timing> {
      const lay = layout(job.net);
      let { params, stats } = toArrays(lay, job.state);
      let mom: Tree = tree.map((p: Arr) => np.zeros(p.shape), params) as Tree;
      const { x, onehot } = inputs(job);
      const { lr, momentum: mu, weightDecay: wd } = job.hyper;
      const unbiased = unbiasedFactors(lay, job.batch);
      const f = (p: Tree, xx: Arr, oh: Arr): [Arr, Moments] => {
        const moments: Moments = {};
        return [lossOf(lay, p, undefined, xx, oh, moments), moments];
      };
      const step = jit((p: Tree, m: Tree, s: Tree, xx: Arr, oh: Arr) => {
        const [[loss, moments], grads] = valueAndGrad(f, { hasAux: true })(tree.ref(p), xx, oh) as unknown as [[Arr, Moments], Tree];
        const newP: Tree = {};
        const newM: Tree = {};
        for (const name of Object.keys(p)) {
          const w = p[name];
          const mNew = m[name].mul(mu).add(grads[name].add(w.ref.mul(wd)));
          newP[name] = w.sub(mNew.ref.mul(lr));
          newM[name] = mNew;
        }
        const newS: Tree = {};
        for (const [bn, [mean, variance]] of Object.entries(moments)) {
          const c = mean.shape[1];
          const cnt = unbiased.get(bn)!; // n / (n - 1): the running variance is the unbiased one
          newS[`${bn}.running_mean`] = s[`${bn}.running_mean`].mul(1 - BN_MOMENTUM).add(mean.reshape([c]).mul(BN_MOMENTUM));
          newS[`${bn}.running_var`] = s[`${bn}.running_var`].mul(1 - BN_MOMENTUM).add(variance.reshape([c]).mul(BN_MOMENTUM * cnt));
        }
        return [newP, newM, newS, loss] as [Tree, Tree, Tree, Arr];
      });
      try {
        return await timeSteps(job.warmup, job.steps, job.deadline, async () => {
          let loss: Arr;
          [params, mom, stats, loss] = step(params, mom, stats, x.ref, onehot.ref);
          return readScalar(loss);
        });
      } finally {
        tree.dispose([params, mom, stats, x, onehot]);
        step.dispose();
      }
    },

    async infer(job: InferJob): Promise<Timing> {
      const lay = layout(job.net);
      const { params, stats } = toArrays(lay, job.state);
      const { x, onehot } = inputs(job);
      const fwd = jit((p: Tree, s: Tree, xx: Arr, oh: Arr) => lossOf(lay, p, s, xx, oh, undefined));
      try {
        return await timeSteps(job.warmup, job.steps, job.deadline, () =>
          readScalar(fwd(tree.ref(params), tree.ref(stats), x.ref, onehot.ref)),
        );
      } finally {
        tree.dispose([params, stats, x, onehot]);
        fwd.dispose();
      }
    },

    async conv(job: ConvJob): Promise<Timing> {
      const rnd = (shape: number[], seed: number) => {
        let s = seed;
        const d = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
        return np.array(d, { shape });
      };
      const x = rnd([job.n, job.c, job.h, job.w], 1);
      const w = rnd([job.o, job.c, 3, 3], 2);
      const dy = rnd([job.n, job.o, job.h, job.w], 3);
      // Gradients as a jax-js user gets them: grad of <conv(x, w), dy> (what the training step's backward runs).
      const fwd = jit((a: Arr, b: Arr) => conv(a, b, 1));
      const dInput = jit((a: Arr, b: Arr, c: Arr) => grad((xx: Arr) => conv(xx, b, 1).mul(c).sum())(a));
      const dWeight = jit((a: Arr, b: Arr, c: Arr) => grad((ww: Arr) => conv(a, ww, 1).mul(c).sum())(b));
      const op = () =>
        job.kind === 'forward'
          ? fwd(x.ref, w.ref)
          : job.kind === 'inputGrad'
            ? dInput(x.ref, w.ref, dy.ref)
            : dWeight(x.ref, w.ref, dy.ref);
      // jax-js is lazy: disposing an output that has not been realised cancels its computation, so every
      // rep's output is kept until all of them are ready (disposing the previous one ran only the last conv).
      const batchOfReps = async () => {
        const outs: Arr[] = [];
        for (let i = 0; i < job.reps; i++) outs.push(op());
        await blockUntilReady(outs);
        for (const o of outs) o.dispose();
        return undefined;
      };
      try {
        return await timeSteps(job.warmup, job.steps, job.deadline, batchOfReps, job.reps);
      } finally {
        tree.dispose([x, w, dy]);
        for (const f of [fwd, dInput, dWeight]) f.dispose();
      }
    },

    async dispose() {},
  };
}
