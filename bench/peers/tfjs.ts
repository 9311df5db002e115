// TensorFlow.js peer (WebGPU or WebGL backend): the same network, trained the same way, written as a TF.js
// user would: NHWC (TF.js's native layout; weights HWIO), tf.variableGrads over the loss, SGD with momentum and
// weight decay as PyTorch does it (d = g + wd p; m = mu m + d; p -= lr m), BN with batch statistics from
// tf.moments (gradients flow through them) and PyTorch's running-statistics update.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { BN_EPS, BN_MOMENTUM, layout, unbiasedFactors, type ConvBn, type Layout } from './arch';
import { timeSteps, type ConvJob, type Framework, type FrameworkId, type InferJob, type Timing, type TrainJob } from '../compareTypes';

type Backend = 'webgpu' | 'webgl';
let jobCounter = 0;

class TfjsModel {
  readonly params = new Map<string, tf.Variable>();
  readonly stats = new Map<string, tf.Variable>();
  readonly moms = new Map<string, tf.Variable>();
  private readonly prefix = `j${jobCounter++}/`;

  constructor(
    readonly lay: Layout,
    state: Record<string, Float32Array>,
    withMomentum: boolean,
  ) {
    const convs = [this.lay.stem, ...this.lay.blocks.flatMap((b) => [b.conv1, b.conv2])];
    const convShape = new Map(convs.map((c) => [`${c.conv}.weight`, [c.cout, c.cin, 3, 3]]));
    const last = convs[convs.length - 1].cout;
    for (const [name, data] of Object.entries(state)) {
      const value = tf.tidy(() => {
        const oihw = convShape.get(name);
        if (oihw) return tf.tensor4d(data, oihw as [number, number, number, number]).transpose([2, 3, 1, 0]);
        if (name === 'fc.weight') return tf.tensor2d(data, [lay.classes, last]);
        return tf.tensor1d(data);
      });
      const isStat = name.includes('running_');
      const v = tf.variable(value, !isStat, this.prefix + name);
      value.dispose();
      (isStat ? this.stats : this.params).set(name, v);
      if (!isStat && withMomentum) this.moms.set(name, tf.variable(tf.zerosLike(v), false, `${this.prefix}${name}.momentum`));
    }
  }

  /** conv (pad 1) + BN (+ ReLU). In train mode the batch moments are kept (tf.keep) in `moments` for the running update. */
  private convBn(x: tf.Tensor4D, c: ConvBn, relu: boolean, train: boolean, moments: [string, tf.Tensor, tf.Tensor][]): tf.Tensor4D {
    const y = tf.conv2d(x, this.params.get(`${c.conv}.weight`) as tf.Tensor4D, c.stride, 1);
    const gamma = this.params.get(`${c.bn}.weight`)!;
    const beta = this.params.get(`${c.bn}.bias`)!;
    let out: tf.Tensor4D;
    if (train) {
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      moments.push([c.bn, tf.keep(mean), tf.keep(variance)]);
      out = tf.batchNorm(y, mean, variance, beta, gamma, BN_EPS) as tf.Tensor4D;
    } else {
      out = tf.batchNorm(
        y,
        this.stats.get(`${c.bn}.running_mean`)!,
        this.stats.get(`${c.bn}.running_var`)!,
        beta,
        gamma,
        BN_EPS,
      ) as tf.Tensor4D;
    }
    return relu ? tf.relu(out) : out;
  }

  /** Mean softmax cross-entropy of the batch. */
  loss(x: tf.Tensor4D, onehot: tf.Tensor2D, train: boolean, moments: [string, tf.Tensor, tf.Tensor][]): tf.Scalar {
    let h = this.convBn(x, this.lay.stem, true, train, moments);
    for (const b of this.lay.blocks) {
      let y = this.convBn(h, b.conv1, true, train, moments);
      y = this.convBn(y, b.conv2, !b.residual, train, moments);
      if (!b.residual) {
        h = y;
        continue;
      }
      let sc = h;
      if (b.shortcut) {
        // Option A: x[:, ::2, ::2, :], then zero channels each side. TF.js has no strided-slice gradient, so view
        // [N, H, W, C] as [N*H/2, 2, W/2, 2C] (row phase, column pairs) and slice phase 0 of both: 4-D ops only.
        const [n, hh, ww, c] = h.shape;
        sc = h
          .reshape([(n * hh) / 2, 2, ww / 2, 2 * c])
          .slice([0, 0, 0, 0], [(n * hh) / 2, 1, ww / 2, c])
          .reshape([n, hh / 2, ww / 2, c]) as tf.Tensor4D;
        sc = tf.pad(sc, [
          [0, 0],
          [0, 0],
          [0, 0],
          [b.shortcut.padEachSide, b.shortcut.padEachSide],
        ]) as tf.Tensor4D;
      }
      h = tf.relu(tf.add(y, sc)) as tf.Tensor4D;
    }
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    const logits = tf.add(
      tf.matMul(pooled, this.params.get('fc.weight') as tf.Tensor2D, false, true),
      this.params.get('fc.bias')!,
    ) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
  }

  dispose() {
    for (const m of [this.params, this.stats, this.moms]) for (const v of m.values()) v.dispose();
  }
}

export function tfjsPeer(backend: Backend): Framework {
  const id: FrameworkId = backend === 'webgpu' ? 'tfjs-webgpu' : 'tfjs-webgl';

  const activate = async () => {
    if (tf.getBackend() === backend) return;
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' failed to initialise`);
    await tf.ready();
  };

  /** Inputs converted to NHWC and one-hot labels, uploaded once. */
  const inputs = (job: InferJob) =>
    tf.tidy(() => ({
      x: tf.tensor4d(job.images, [job.batch, 3, 32, 32]).transpose([0, 2, 3, 1]) as tf.Tensor4D,
      onehot: tf.oneHot(tf.tensor1d(job.labels, 'int32'), 10).toFloat() as tf.Tensor2D,
    }));

  const readScalar = async (t: tf.Tensor) => {
    try {
      return (await t.data())[0];
    } finally {
      t.dispose();
    }
  };

  return {
    id,
    async init() {
      tf.enableProdMode();
      await activate();
      const b = tf.backend() as unknown as Record<string, unknown>;
      let desc = `tfjs ${tf.version.tfjs} ${backend}`;
      try {
        if (backend === 'webgl') {
          const gl = (b.gpgpu as { gl: WebGL2RenderingContext }).gl;
          const ext = gl.getExtension('WEBGL_debug_renderer_info');
          desc += `: ${gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)}`;
        } else {
          const info = (b.device as GPUDevice).adapterInfo;
          desc += `: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ')}`;
        }
      } catch {
        // description only
      }
      return desc;
    },

    async train(job: TrainJob): Promise<Timing> {
      await activate();
      const model = new TfjsModel(layout(job.net), job.state, true);
      const { x, onehot } = inputs(job);
      const { lr, momentum: mu, weightDecay: wd } = job.hyper;
      const paramList = [...model.params.values()];
      const unbiased = unbiasedFactors(model.lay, job.batch);
      const step = () => {
        const loss = tf.tidy(() => {
          const moments: [string, tf.Tensor, tf.Tensor][] = [];
          const { value, grads } = tf.variableGrads(() => model.loss(x, onehot, true, moments), paramList);
          for (const [name, p] of model.params) {
            const m = model.moms.get(name)!;
            const mNew = tf.add(tf.mul(m, mu), tf.add(grads[p.name], tf.mul(p, wd)));
            m.assign(mNew);
            p.assign(tf.sub(p, tf.mul(mNew, lr)));
          }
          for (const [bn, mean, variance] of moments) {
            const rm = model.stats.get(`${bn}.running_mean`)!;
            const rv = model.stats.get(`${bn}.running_var`)!;
            rm.assign(tf.add(tf.mul(rm, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
            rv.assign(tf.add(tf.mul(rv, 1 - BN_MOMENTUM), tf.mul(variance, BN_MOMENTUM * unbiased.get(bn)!)));
            mean.dispose();
            variance.dispose();
          }
          return value;
        });
        return readScalar(loss);
      };
      try {
        return await timeSteps(job.warmup, job.steps, job.deadline, step);
      } finally {
        x.dispose();
        onehot.dispose();
        model.dispose();
      }
    },

    async infer(job: InferJob): Promise<Timing> {
      await activate();
      const model = new TfjsModel(layout(job.net), job.state, false);
      const { x, onehot } = inputs(job);
      try {
        return await timeSteps(job.warmup, job.steps, job.deadline, () => readScalar(tf.tidy(() => model.loss(x, onehot, false, []))));
      } finally {
        x.dispose();
        onehot.dispose();
        model.dispose();
      }
    },

    async conv(job: ConvJob): Promise<Timing> {
      await activate();
      const rnd = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', 3);
      const xShape: [number, number, number, number] = [job.n, job.h, job.w, job.c];
      const x = rnd(xShape) as tf.Tensor4D;
      const w = rnd([3, 3, job.c, job.o]) as tf.Tensor4D;
      const dy = rnd([job.n, job.h, job.w, job.o]) as tf.Tensor4D;
      const op = (): tf.Tensor => {
        if (job.kind === 'forward') return tf.conv2d(x, w, 1, 1);
        if (job.kind === 'inputGrad') return tf.conv2dTranspose(dy, w, xShape, 1, 1);
        // The kernel TF.js's Conv2D gradient runs for the filter (no public op wraps it).
        return tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { strides: 1, pad: 1, dataFormat: 'NHWC', filterShape: [3, 3, job.c, job.o] },
          ) as tf.Tensor;
      };
      const batchOfReps = async () => {
        let out: tf.Tensor | undefined;
        for (let i = 0; i < job.reps; i++) {
          out?.dispose();
          out = op();
        }
        await out!.data();
        out!.dispose();
        return undefined;
      };
      try {
        return await timeSteps(job.warmup, job.steps, job.deadline, batchOfReps, job.reps);
      } finally {
        for (const t of [x, w, dy]) t.dispose();
      }
    },

    async dispose() {
      // Backends stay registered (the other TF.js framework may still use the engine); variables are freed per job.
    },
  };
}
