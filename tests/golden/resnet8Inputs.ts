// The inputs of the PyTorch golden (tests/golden/resnet8-torch.json): ResNet-8's initial state from our
// initialiser and seeded batches from our Rng. The GPU test (tests/gpu/torchGolden.test.ts) and the script that
// hands them to PyTorch (scripts/torch-golden-inputs.mjs) both build them from here, so only the outputs are
// committed. Regenerate the golden (by hand; not part of CI):
//   node scripts/torch-golden-inputs.mjs /tmp/golden && /usr/bin/python3 scripts/torch_golden.py /tmp/golden tests/golden/resnet8-torch.json
// then the browser's float32 losses the Node test must reproduce (tests/golden/resnet8-engine-losses.json):
//   RECORD_ENGINE_LOSSES=1 npx vitest run --project gpu tests/gpu/torchGolden.test.ts
import type { ModelConfig } from '../../src/model/config';
import { resolveConfig } from '../../src/model/config';
import { buildNetGraph } from '../../src/model/resnet';
import { initialState } from '../../src/model/init';
import { stateLayout } from '../../src/model/stateLayout';
import { encodeSafetensors, type Tensor } from '../../src/model/safetensors';
import { Rng } from '../../src/util/rng';

export const GOLDEN = {
  config: { arch: 'residual', depth: 8, shortcut: 'A', batchNorm: true } satisfies ModelConfig,
  /** Initialisation seed (Network.create's `seed`). */
  seed: 7,
  batch: 8,
  steps: 3,
  /** Step i's batch comes from Rng(dataSeed + i). */
  dataSeed: 100,
  hyper: { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 },
};

/** One batch per step: standard normal images (NCHW) and uniform labels. */
export function goldenBatches(): { images: Float32Array; labels: Int32Array }[] {
  return Array.from({ length: GOLDEN.steps }, (_, step) => {
    const rng = new Rng(GOLDEN.dataSeed + step);
    const images = new Float32Array(GOLDEN.batch * 3 * 32 * 32).map(() => rng.normal());
    const labels = Int32Array.from({ length: GOLDEN.batch }, () => rng.int(10));
    return { images, labels };
  });
}

/** What Network.create(…, { seed: GOLDEN.seed }) starts from, by state-dict name. */
export function goldenInitialState(): Record<string, Float32Array> {
  const net = buildNetGraph(resolveConfig(GOLDEN.config), GOLDEN.batch, 'train');
  return initialState(net.b.graph, net.stateOrder, GOLDEN.seed);
}

/**
 * The files torch_golden.py reads: state.safetensors (initial state, PyTorch names and shapes), images.f32 and
 * labels.i32 (the steps' batches one after another, little-endian), meta.json (config, shapes, hyperparameters).
 */
export function goldenInputFiles(): Record<string, Uint8Array> {
  const state = goldenInitialState();
  const tensors: Record<string, Tensor> = {};
  for (const e of stateLayout(GOLDEN.config)) tensors[e.name] = { dtype: 'F32', shape: e.shape, data: state[e.name] };
  const batches = goldenBatches();
  const images = new Float32Array(batches.flatMap((b) => Array.from(b.images)));
  const labels = new Int32Array(batches.flatMap((b) => Array.from(b.labels)));
  const meta = { ...GOLDEN, config: resolveConfig(GOLDEN.config), imageShape: [GOLDEN.batch, 3, 32, 32] };
  return {
    'state.safetensors': encodeSafetensors(tensors),
    'images.f32': new Uint8Array(images.buffer),
    'labels.i32': new Uint8Array(labels.buffer),
    'meta.json': new TextEncoder().encode(JSON.stringify(meta, null, 2)),
  };
}
