// The analysis lab's instruments on the GPU against the float64 interpreter of the same graph variant, on tiny
// nets: layer responses (std per 3x3 layer) and residual ratios ||F(x)||/||x|| (probe graph), and the logits of
// nets with one block removed (lesion graphs).
import { beforeAll, describe, expect, test } from 'vitest';
import { buildNetwork, createEngine, type Engine, type ModelConfig, type Network } from '../../src/index';
import { buildNetGraph, type NetGraphOptions } from '../../src/model/resnet';
import { resolveConfig } from '../../src/model/config';
import { interpret, type Values } from '../../src/graph/interpret';
import { Rng } from '../../src/util/rng';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const BATCH = 2;

function batch(seed: number) {
  const rng = new Rng(seed);
  return {
    images: new Float32Array(BATCH * 3 * 32 * 32).map(() => rng.normal()),
    labels: Int32Array.from({ length: BATCH }, () => rng.int(10)),
  };
}

/** A network whose BN statistics and affine parameters are not the initial 0/1 values, so eval mode is exercised. */
async function trainedLike(cfg: ModelConfig): Promise<Network> {
  const network = await buildNetwork(engine, cfg, { batchSize: BATCH, seed: 5 });
  const state = await network.getState();
  const rng = new Rng(9);
  for (const [name, a] of Object.entries(state)) {
    if (name.endsWith('running_mean')) a.forEach((_, i) => (a[i] = rng.uniform(-0.5, 0.5)));
    if (name.endsWith('running_var')) a.forEach((_, i) => (a[i] = rng.uniform(0.5, 2)));
    if (/bn\d\.(weight|bias)$|shortcut\.1\.(weight|bias)$/.test(name)) a.forEach((v, i) => (a[i] = v + rng.uniform(-0.3, 0.3)));
  }
  network.setState(state);
  return network;
}

/** The float64 interpreter on the eval-mode graph variant, with the network's state. */
async function reference(network: Network, cfg: ModelConfig, images: Float32Array, labels: Int32Array, variant: NetGraphOptions) {
  const net = buildNetGraph(resolveConfig(cfg), labels.length, 'eval', variant);
  const state = await network.getState();
  const v: Values = new Map();
  for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
  v.set(net.images, Float64Array.from(images));
  v.set(net.labels, Float64Array.from(labels));
  interpret(net.b.graph, v, new Set(['forward']));
  return { net, v };
}

function std(a: Float64Array): number {
  const m = a.reduce((s, x) => s + x, 0) / a.length;
  return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length);
}
const norm = (a: Float64Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));

describe.each([
  ['resnet-8 A', { arch: 'residual', depth: 8 }],
  ['resnet-8 B', { arch: 'residual', depth: 8, shortcut: 'B' }],
  ['plain-8', { arch: 'plain', depth: 8 }],
  ['plain-8 no BN', { arch: 'plain', depth: 8, batchNorm: false }],
] as [string, ModelConfig][])('%s', (_, cfg) => {
  test('layer responses and residual ratios match the float64 reference', async () => {
    const network = await trainedLike(cfg);
    try {
      const { images, labels } = batch(3);
      const got = await network.layerResponses(images, labels);
      const { net, v } = await reference(network, cfg, images, labels, { probe: true });
      const p = net.probes!;
      // depth 8: the stem and two 3x3 layers in each of 3 blocks
      expect(got.layers.map((l) => l.name)).toEqual([
        'conv1',
        ...['layer1.0', 'layer2.0', 'layer3.0'].flatMap((b) => [`${b}.conv1`, `${b}.conv2`]),
      ]);
      got.layers.forEach((l, i) => {
        const want = std(v.get(p.responses[i].id)!);
        expect(Math.abs(l.std - want), `${l.name}: ${l.std} vs ${want}`).toBeLessThan(1e-4 * want + 1e-6);
      });
      expect(got.blocks.length).toBe(cfg.arch === 'residual' ? 3 : 0);
      got.blocks.forEach((k, i) => {
        const want = norm(v.get(p.blocks[i].residual)!) / norm(v.get(p.blocks[i].shortcut)!);
        expect(Math.abs(k.ratio - want), `${k.name}: ${k.ratio} vs ${want}`).toBeLessThan(1e-4 * want);
      });
      // The probe graph computes the same function as the plain eval graph: same logits.
      const plainEval = await network.forward(images, labels, { bnMode: 'eval' });
      const ref = v.get(net.logits)!;
      plainEval.logits.forEach((x, i) => expect(Math.abs(x - ref[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(ref[i]))));
    } finally {
      network.destroy();
    }
  });

  test('lesioned logits (each block removed in turn) match the float64 reference', async () => {
    const network = await trainedLike(cfg);
    try {
      const { images, labels } = batch(4);
      const whole = await network.forward(images, labels, { bnMode: 'eval' });
      for (let lesion = 0; lesion < 3; lesion++) {
        const got = await network.forward(images, labels, { bnMode: 'eval', variant: { lesion } });
        const { net, v } = await reference(network, cfg, images, labels, { lesion });
        const want = v.get(net.logits)!;
        let scale = 0;
        let worst = 0;
        want.forEach((w, i) => ((scale = Math.max(scale, Math.abs(w))), (worst = Math.max(worst, Math.abs(got.logits[i] - w)))));
        expect(worst, `block ${lesion}`).toBeLessThan(1e-4 * scale + 1e-5);
        // Removing a block changes the function (the variant is not the whole net by mistake).
        expect(got.logits.some((x, i) => Math.abs(x - whole.logits[i]) > 1e-3)).toBe(true);
      }
      network.dropVariants();
    } finally {
      network.destroy();
    }
  });
});

test('a lesion index outside the net is refused', () => {
  expect(() => buildNetGraph(resolveConfig({ arch: 'residual', depth: 8 }), 1, 'eval', { lesion: 3 })).toThrow(/no block 3/);
});

describe.each([
  ['resnet-8 B', { arch: 'residual', depth: 8, shortcut: 'B' }],
  ['plain-8', { arch: 'plain', depth: 8 }],
] as [string, ModelConfig][])('%s', (_, cfg) => {
  test('re-estimated BN statistics are the average of the batch statistics; weights unchanged', async () => {
    const network = await trainedLike(cfg);
    try {
      const before = await network.getState();
      const batches = [batch(21), batch(22), batch(23)];
      await network.reestimateBn(batches);
      const after = await network.getState();
      // float64: each batch's statistics through the train-mode graph (forward only), averaged
      const net = buildNetGraph(resolveConfig(cfg), BATCH, 'train');
      const sums = new Map<string, Float64Array>();
      for (const { images, labels } of batches) {
        const v: Values = new Map();
        for (const p of net.stateOrder) v.set(p.id, Float64Array.from(before[p.name]));
        v.set(net.images, Float64Array.from(images));
        v.set(net.labels, Float64Array.from(labels));
        interpret(net.b.graph, v, new Set(['forward']));
        for (const n of net.b.graph.nodes) {
          if (n.kind !== 'bnRunningUpdate') continue;
          const m = (n.attrs as { count: number }).count;
          const bn = n.name.replace(/\.update$/, '');
          const add = (key: string, a: Float64Array, scale: number) => {
            const s = sums.get(key) ?? new Float64Array(a.length);
            a.forEach((x, i) => (s[i] += (x * scale) / batches.length));
            sums.set(key, s);
          };
          add(`${bn}.running_mean`, v.get(n.inputs[0])!, 1);
          add(`${bn}.running_var`, v.get(n.inputs[1])!, m / (m - 1));
        }
      }
      expect(sums.size).toBeGreaterThan(0);
      for (const name of Object.keys(after)) {
        const want = sums.get(name);
        if (!want) {
          expect(after[name], `${name} unchanged`).toEqual(before[name]);
          continue;
        }
        after[name].forEach((x, i) => expect(Math.abs(x - want[i]), `${name}[${i}]`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[i]))));
      }
    } finally {
      network.destroy();
    }
  });
});

describe('BN histograms', () => {
  test('the histogram kernel counts as the float64 reference, outside values in the end bins', async () => {
    const { histogram: hist } = await import('../../src/kernels/histogram');
    const ref = await import('../../src/reference/histogram');
    const { createStorage } = await import('../../src/gpu/buffers');
    const { record } = await import('../../src/kernels/kernel');
    const gpu = engine.gpu;
    const rng = new Rng(2);
    const n = 5000;
    const x = new Float32Array(n).map(() => rng.normal() * 2 + 0.5);
    const xb = createStorage(gpu, 'hist.x', n * 4);
    gpu.device.queue.writeBuffer(xb, 0, x);
    const out = createStorage(gpu, 'hist.out', 64 * 4);
    const d = await hist(gpu, 'hist', n, 24, { buffer: xb }, { buffer: out }, { lo: -3, hi: 3 }); // tails beyond +-3 go to the end bins
    const enc = gpu.device.createCommandEncoder();
    enc.clearBuffer(out);
    const pass = enc.beginComputePass();
    record(pass, [d]);
    pass.end();
    const rb = gpu.device.createBuffer({ size: 24 * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.copyBufferToBuffer(out, 0, rb, 0, 24 * 4);
    gpu.device.queue.submit([enc.finish()]);
    await rb.mapAsync(GPUMapMode.READ);
    const got = Array.from(new Uint32Array(rb.getMappedRange()));
    const want = ref.histogram(x, 24, -3, 3);
    expect(got.reduce((a, b) => a + b, 0)).toBe(n);
    const diff = got.reduce((a, g, i) => a + Math.abs(g - want[i]), 0);
    expect(diff).toBeLessThanOrEqual(2 * ref.nearEdges(x, 24, -3, 3, 1e-5));
    expect(want[0]).toBeGreaterThan(0); // the tails were exercised
    for (const b of [xb, out, rb]) b.destroy();
  });

  test('activations before and after BN of a layer match the float64 reference', async () => {
    const cfg: ModelConfig = { arch: 'residual', depth: 8 };
    const network = await trainedLike(cfg);
    try {
      const ref = await import('../../src/reference/histogram');
      const { images, labels } = batch(5);
      const bins = 16;
      const got = await network.bnHistograms(images, labels, 'layer2.0.conv2', bins);
      const { net, v } = await reference(network, cfg, images, labels, { probe: true });
      const p = net.probes!;
      const tensors = [
        p.bnInputs.find((r) => r.name === 'layer2.0.conv2')!.id,
        p.responses.find((r) => r.name === 'layer2.0.conv2')!.id,
      ].map((id) => v.get(id)!);
      // per channel: the batch statistics of the BN input, and the running statistics (drift)
      const ch = got.channels!;
      const state = await network.getState();
      expect(ch.runningMean).toEqual(Array.from(state['layer2.0.bn2.running_mean']));
      expect(ch.runningVar).toEqual(Array.from(state['layer2.0.bn2.running_var']));
      const x = tensors[0];
      const [nImg, c, hw] = [BATCH, 32, x.length / BATCH / 32];
      for (let k = 0; k < c; k++) {
        const vals: number[] = [];
        for (let n = 0; n < nImg; n++) for (let i = 0; i < hw; i++) vals.push(x[(n * c + k) * hw + i]);
        const m = vals.reduce((a, b) => a + b, 0) / vals.length;
        const va = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
        expect(Math.abs(ch.batchMean[k] - m), `mean ${k}`).toBeLessThan(1e-4 * Math.sqrt(va) + 1e-6);
        expect(Math.abs(ch.batchVar[k] - va), `var ${k}`).toBeLessThan(1e-4 * va + 1e-9);
      }
      [got.before, got.after].forEach((h, k) => {
        const a = tensors[k];
        const mean = a.reduce((s, x) => s + x, 0) / a.length;
        expect(Math.abs(h.mean - mean)).toBeLessThan(1e-4 * std(a) + 1e-6);
        expect(Math.abs(h.std - std(a))).toBeLessThan(1e-4 * std(a));
        expect(h.lo).toBeCloseTo(h.mean - 4 * h.std, 5);
        expect(h.counts.reduce((s, c) => s + c, 0)).toBe(a.length);
        const want = ref.histogram(a, bins, h.lo, h.hi);
        const diff = h.counts.reduce((s, c, i) => s + Math.abs(c - want[i]), 0);
        // a value can change bins only if float32 rounding moves it across an edge
        expect(diff).toBeLessThanOrEqual(2 * ref.nearEdges(a, bins, h.lo, h.hi, 1e-3));
      });
    } finally {
      network.destroy();
    }
  });
});

test('loss landscape: the loss at base + a*d1 + b*d2 matches the float64 reference at known points', async () => {
  const { LandscapeProbe, filterNormalisedDirection } = await import('../../src/runtime/landscape');
  const { lincomb: refLincomb } = await import('../../src/reference/lincomb');
  const cfg: ModelConfig = { arch: 'residual', depth: 8 };
  const network = await trainedLike(cfg);
  try {
    const state = await network.getState();
    const shapes = network.stateShapes();
    const params = Object.fromEntries(shapes.filter((t) => t.kind === 'param').map((t) => [t.name, state[t.name]]));
    const rng = new Rng(77);
    const d1 = filterNormalisedDirection(params, shapes, rng);
    const d2 = filterNormalisedDirection(params, shapes, rng);
    // filter normalisation: each conv filter of d1 has the norm of the same filter of the weights
    const w = params['layer1.0.conv1.weight'];
    const per = w.length / 16;
    const n2 = (a: Float32Array, f: number) => Math.sqrt(a.subarray(f * per, (f + 1) * per).reduce((s, x) => s + x * x, 0));
    expect(n2(d1['layer1.0.conv1.weight'], 3)).toBeCloseTo(n2(w, 3), 4);
    expect(d1['bn1.weight'].every((x) => x === 0)).toBe(true);

    const target = await network.target('train', BATCH);
    const { images, labels } = batch(8);
    engine.gpu.device.queue.writeBuffer(target.images, 0, images);
    engine.gpu.device.queue.writeBuffer(target.labels, 0, labels);
    const probe = await LandscapeProbe.create(engine.gpu, network, target, params, d1, d2, 2);
    const { ReadbackPool } = await import('../../src/gpu/readback');
    const readback = new ReadbackPool(engine.gpu);
    const points = [
      [0, 0],
      [0.5, -0.3],
      [1, 1],
    ] as const;
    let chunks = 0;
    const got = await probe.evaluate(points, { count: 1, fill: () => undefined }, readback, { onChunk: () => chunks++ });
    probe.destroy();
    expect(chunks).toBe(2); // chunk of 2 points, then 1

    const net = buildNetGraph(resolveConfig(cfg), BATCH, 'train');
    for (const [i, [a, b]] of points.entries()) {
      const v: Values = new Map();
      for (const p of net.stateOrder) {
        const x = Float64Array.from(state[p.name]);
        v.set(p.id, params[p.name] ? refLincomb(params[p.name], d1[p.name], d2[p.name], a, b) : x);
      }
      v.set(net.images, Float64Array.from(images));
      v.set(net.labels, Float64Array.from(labels));
      interpret(net.b.graph, v, new Set(['forward']));
      const want = v.get(net.metrics)![0];
      expect(Math.abs(got[i] - want), `(${a}, ${b}): ${got[i]} vs ${want}`).toBeLessThan(1e-4 * Math.max(1, want));
    }
    expect(got[1]).not.toBeCloseTo(got[0], 3); // the directions move the loss
  } finally {
    network.destroy();
  }
});

test('class activation maps (Grad-CAM on the last stage) match the float64 reference', async () => {
  const cfg: ModelConfig = { arch: 'residual', depth: 8 };
  const network = await trainedLike(cfg);
  try {
    const rng = new Rng(31);
    const image = new Float32Array(3 * 32 * 32).map(() => rng.normal());
    const got = await network.classMaps(image);
    const { net, v } = await reference(network, cfg, image, Int32Array.of(0), { probe: true });
    const a = v.get(net.probes!.features)!; // [1, 64, 8, 8]
    const w = (await network.getState())['fc.weight'];
    expect(got.side).toBe(8);
    const logits = v.get(net.logits)!;
    got.logits.forEach((x, i) => expect(Math.abs(x - logits[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(logits[i]))));
    let scale = 0;
    let worst = 0;
    for (let c = 0; c < 10; c++) {
      for (let i = 0; i < 64; i++) {
        let s = 0;
        for (let k = 0; k < 64; k++) s += w[c * 64 + k] * a[k * 64 + i];
        const want = Math.max(0, s / 64);
        scale = Math.max(scale, want);
        worst = Math.max(worst, Math.abs(got.maps[c][i] - want));
      }
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-4 * scale + 1e-6);
    // one map per class, not the same map ten times
    expect(got.maps[0].join()).not.toBe(got.maps[1].join());
  } finally {
    network.destroy();
  }
});

describe.each([
  ['resnet-8 B', { arch: 'residual', depth: 8, shortcut: 'B' }],
  ['plain-8', { arch: 'plain', depth: 8 }],
] as [string, ModelConfig][])('%s', (_, cfg) => {
  test('input-gradient saliency (eval-mode BN) matches the float64 gradient of the loss per class', async () => {
    const { appendBackward } = await import('../../src/graph/autodiff');
    const network = await trainedLike(cfg);
    try {
      const rng = new Rng(41);
      const image = new Float32Array(3 * 32 * 32).map(() => rng.normal());
      const got = await network.inputSaliency(image);
      expect(got.length).toBe(10);
      const state = await network.getState();
      for (const c of [0, 7]) {
        const net = buildNetGraph(resolveConfig(cfg), 1, 'eval', { saliency: true });
        const gid = appendBackward(net.b, { wrt: 'input' }).get(net.images)!;
        // no parameter gradient is left in the graph
        expect(net.b.graph.nodes.some((n) => n.kind === 'conv2dGradWeight' || n.kind === 'linearGradWeight')).toBe(false);
        const v: Values = new Map();
        for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
        v.set(net.images, Float64Array.from(image));
        v.set(net.labels, Float64Array.of(c));
        interpret(net.b.graph, v, new Set(['forward', 'backward']));
        const d = v.get(gid)!;
        const want = Array.from({ length: 1024 }, (_, i) => Math.max(Math.abs(d[i]), Math.abs(d[1024 + i]), Math.abs(d[2048 + i])));
        const scale = Math.max(...want);
        expect(scale).toBeGreaterThan(0);
        const worst = Math.max(...want.map((w, i) => Math.abs(got[c][i] - w)));
        expect(worst, `class ${c}`).toBeLessThan(2e-3 * scale);
      }
      expect(got[0].join()).not.toBe(got[7].join());
    } finally {
      network.destroy();
    }
  });
});

test("the kernel profile's FLOPs and bytes per op kind equal formulas from the layer shapes ('cpu' profile)", async () => {
  const { profileGradientStep } = await import('../../src/runtime/labProfile');
  const { TUNINGS } = await import('../../src/gpu/tuning');
  const { numel } = await import('../../src/graph/ir');
  // Pinned to the 'cpu' profile, whose kernels the formulas below describe, whatever profile this adapter picks.
  const cpu = { ...engine, gpu: { ...engine.gpu, tuning: TUNINGS.cpu } };
  const batch = 8;
  const network = await buildNetwork(cpu, { arch: 'residual', depth: 8 }, { batchSize: batch, seed: 3 });
  try {
    const target = await network.target('train', batch);
    const got = await profileGradientStep(cpu.gpu, target);
    const g = target.compiled.graph;
    const node = new Map(g.nodes.map((n) => [`${n.kind} ${n.name}`, n]));
    // Taps of a k-wide window at stride s and padding p that fall inside an axis of `size`, over `out` outputs.
    const inside = (size: number, k: number, s: number, p: number, out: number) => {
      let t = 0;
      for (let o = 0; o < out; o++) t += Math.max(0, Math.min(o * s - p + k, size) - Math.max(o * s - p, 0));
      return t;
    };
    type Sum = { flops: number; read: number; written: number };
    const want: Record<string, Sum> = {};
    const have: Record<string, Sum> = {};
    const add = (m: Record<string, Sum>, k: string, f: number, r: number, w: number) => {
      const e = (m[k] ??= { flops: 0, read: 0, written: 0 });
      [e.flops, e.read, e.written] = [e.flops + f, e.read + r, e.written + w];
    };
    for (const k of got.kernels) {
      const n = node.get(k.label)!;
      add(have, n.kind, k.flops, k.bytesRead, k.bytesWritten);
      const ins = n.inputs.map((i) => g.tensors[i].shape);
      const outs = n.outputs.map((i) => g.tensors[i].shape);
      const inFloats = ins.reduce((a, sh) => a + numel(sh), 0);
      const outFloats = outs.reduce((a, sh) => a + numel(sh), 0);
      const count = numel(outs[0]);
      // Every kernel writes each of its outputs once; flat kernels read each input once.
      const flat = (flops: number) => add(want, n.kind, flops, 4 * inFloats, 4 * outFloats);
      switch (n.kind) {
        case 'conv2d':
        case 'conv2dGradInput':
        case 'conv2dGradWeight': {
          const w = n.kind === 'conv2dGradWeight' ? outs[0] : ins[1];
          const [o, c, kh, kw] = w;
          const x = n.kind === 'conv2dGradInput' ? outs[0] : n.kind === 'conv2d' ? ins[0] : ins[1];
          const y = n.kind === 'conv2d' ? outs[0] : ins[0];
          const { stride, pad } = n.attrs as { stride: number; pad: number };
          // The implicit forward and input-gradient kernels skip the kernel rows that fall on the padding but
          // compute every column tap of a row (a vector of outputs at once); the weight gradient multiplies every
          // tap (padding reads as 0). Reads: at least one of each input (checked below).
          const taps = n.kind === 'conv2dGradWeight' ? kh * kw * y[2] * y[3] : inside(x[2], kh, stride, pad, y[2]) * kw * y[3];
          add(want, n.kind, 2 * batch * o * c * taps, k.bytesRead, 4 * outFloats);
          expect(k.bytesRead, k.label).toBeGreaterThanOrEqual(4 * inFloats);
          break;
        }
        case 'relu':
        case 'reluGrad':
          flat(count);
          break;
        case 'biasGrad':
          flat(4 * numel(ins[0])); // a compensated (Kahan) sum over the batch: 4 flops a term
          break;
        case 'add':
          flat(((n.attrs as { relu: boolean }).relu ? 2 : 1) * count);
          break;
        case 'avgPool':
          flat(numel(ins[0]));
          break;
        case 'avgPoolGrad':
          flat(count);
          break;
        case 'shortcutA': {
          // Option A copies every stride-th pixel of x into the first channels and writes zeros in the rest.
          const { stride } = n.attrs as { stride: number };
          add(want, n.kind, 0, (4 * numel(ins[0])) / stride ** 2, 4 * outFloats);
          break;
        }
        case 'shortcutAGrad':
          // ...and its gradient reads only those first channels of dy (half of them: cout = 2 cin).
          add(want, n.kind, 0, (4 * numel(ins[0])) / 2, 4 * outFloats);
          break;
        default:
          // GEMMs, BN and the loss: at least the useful work, each input read and each output written once.
          add(want, n.kind, k.flops, k.bytesRead, 4 * outFloats);
          expect(k.bytesRead, k.label).toBeGreaterThanOrEqual(4 * inFloats);
          if (n.kind === 'linear') expect(k.flops, k.label).toBeGreaterThanOrEqual(2 * batch * ins[1][0] * ins[1][1]);
      }
    }
    expect(Object.keys(have).sort()).toEqual(Object.keys(want).sort());
    for (const kind of Object.keys(want)) expect(have[kind], kind).toEqual(want[kind]);
    expect(have.conv2d.flops).toBeGreaterThan(0);
  } finally {
    network.destroy();
  }
});

test('the kernel profile carries the cost model: its FLOPs and bytes per op kind equal Network.costModel()', async () => {
  const { profileGradientStep } = await import('../../src/runtime/labProfile');
  const network = await buildNetwork(engine, { arch: 'residual', depth: 8 }, { batchSize: BATCH, seed: 3 });
  try {
    const target = await network.target('train', BATCH);
    const got = await profileGradientStep(engine.gpu, target);
    const model = await network.costModel();
    expect(got.kernels.length).toBeGreaterThan(0);
    expect(got.timestamps).toBe(engine.gpu.hasTimestamps);
    // Times only where the adapter has timestamp queries (a tiny kernel may still read 0 ms on a fast GPU).
    expect(got.kernels.reduce((a, k) => a + k.ms, 0) > 0).toBe(got.timestamps);
    const sums: Record<string, [number, number, number]> = {};
    for (const k of got.kernels) {
      const s = (sums[k.label.split(' ')[0]] ??= [0, 0, 0]);
      [s[0], s[1], s[2]] = [s[0] + k.flops, s[1] + k.bytesRead, s[2] + k.bytesWritten];
    }
    for (const [kind, s] of Object.entries(sums))
      expect(s, kind).toEqual([model.byKind[kind].flops, model.byKind[kind].bytesRead, model.byKind[kind].bytesWritten]);
    // Only the SGD update and the running-statistics nodes are left out of the profile.
    const running = target.compiled.graph.nodes.filter((n) => n.phase === 'running').map((n) => n.kind);
    const left = Object.keys(model.byKind).filter((k) => !(k in sums));
    expect(left.sort()).toEqual([...new Set(['sgd', ...running])].sort());
    expect(Object.values(sums).reduce((a, s) => a + s[0], 0)).toBeGreaterThan(0);
  } finally {
    network.destroy();
  }
});
