// torchvision's weights in, the app's checkpoints out, with torchvision itself on the other side
// (scripts/torchvision_weights.py, Debian's python3-torchvision):
//   in:  torchvision writes a seeded ResNet-18 (and ResNet-50) state dict as bare safetensors; the app reads the
//        network off its names and shapes, loads it, and its float64 graph gives torchvision's float64 logits;
//   out: a checkpoint the app writes (encodeCheckpoint, as "Save weights" does) loads into
//        torchvision.models.resnet18 with strict names, and torchvision's logits equal ours.
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type ModelConfig } from '../../src/model/config';
import { buildNetGraph } from '../../src/model/resnet';
import { interpret, type Values } from '../../src/graph/interpret';
import { encodeCheckpoint, readCheckpoint } from '../../src/train/checkpoint';
import type { RunConfig } from '../../src/train/protocol';
import { stateLayout } from '../../src/model/stateLayout';
import { filledImages, filledState } from '../support/torchvisionFill';
import { findTorchvisionPython, NO_TORCHVISION } from '../support/torchPython';
import { CI } from '../support/ci';

const python = findTorchvisionPython();
if (!python && CI) throw new Error(`CI run: ${NO_TORCHVISION}. Under CI this is a failure, not a skip.`);
if (!python) console.warn(`SKIP torchvisionWeights: ${NO_TORCHVISION}`);

const SIZE = 64;
const COUNT = 2;
const IMAGE_SEED = 20150;
const dir = mkdtempSync(join(tmpdir(), 'tv-weights-'));

function script(...args: string[]): { logits?: number[]; tensors?: number } {
  const r = spawnSync(python!, ['scripts/torchvision_weights.py', ...args], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`torchvision_weights.py ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** Our float64 graph's eval-mode logits of the hash images. */
function ourLogits(model: ModelConfig, state: Record<string, Float32Array>): Float64Array {
  const net = buildNetGraph(resolveConfig(model), COUNT, 'eval', { imageSize: SIZE });
  const v: Values = new Map();
  for (const p of net.stateOrder) v.set(p.id, Float64Array.from(state[p.name]));
  v.set(net.images, Float64Array.from(filledImages(IMAGE_SEED, COUNT, SIZE)));
  v.set(net.labels, new Float64Array(COUNT));
  return interpret(net.b.graph, v, new Set(['forward'])).get(net.logits)!;
}

function expectSameLogits(ours: Float64Array, theirs: number[]): void {
  expect(ours.length).toBe(theirs.length);
  const scale = Math.max(...theirs.map(Math.abs));
  const err = Math.max(...theirs.map((w, i) => Math.abs(ours[i] - w)));
  console.log(`max |ours - torchvision| = ${err.toExponential(2)} (logits up to ${scale.toFixed(2)})`);
  expect(scale).toBeGreaterThan(0.1); // not trivially zero
  expect(err / scale).toBeLessThan(1e-9); // both float64 from the same float32 values: only the order of sums differs
}

const recipe = (model: ModelConfig): RunConfig => ({
  model,
  batchSize: 8,
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: 'constant',
  warmupSteps: 0,
  steps: 10,
  seed: 1,
  augment: true,
  valCount: 0,
  evalEvery: 0,
  evalImages: 0,
  evalBnModes: ['eval'],
});

describe.skipIf(!python)('torchvision weights in and out', () => {
  test("in: torchvision's seeded ResNet-18 (10 classes) loads as a run and gives torchvision's logits", () => {
    const file = join(dir, 'tv-resnet18.safetensors');
    expect(script('export', 'resnet18', file, '--seed', '3', '--num-classes', '10').tensors).toBe(122); // with num_batches_tracked
    const ckpt = readCheckpoint(new Uint8Array(readFileSync(file)), recipe);
    expect(ckpt.meta.config.model).toMatchObject({ family: 'imagenet', arch: 'residual', depth: 18, width: 64, classes: 10 });
    const theirs = script('logits', 'resnet18', file, '--size', `${SIZE}`, '--count', `${COUNT}`, '--seed', `${IMAGE_SEED}`);
    expectSameLogits(ourLogits(ckpt.meta.config.model, ckpt.state), theirs.logits!);
  }, 300_000);

  test("in: torchvision's ResNet-50 file is read as ResNet-50 (bottlenecks, v1.5, 1000 classes)", () => {
    const file = join(dir, 'tv-resnet50.safetensors');
    script('export', 'resnet50', file, '--seed', '4');
    const ckpt = readCheckpoint(new Uint8Array(readFileSync(file)), recipe);
    expect(resolveConfig(ckpt.meta.config.model)).toEqual(resolveConfig({ family: 'imagenet', arch: 'residual', depth: 50 }));
  }, 300_000);

  test("out: the app's checkpoint of a ResNet-18 loads into torchvision.models.resnet18 and gives our logits", () => {
    const model: ModelConfig = { family: 'imagenet', arch: 'residual', depth: 18, classes: 5 };
    const layout = stateLayout(model);
    const state = filledState(layout, 11);
    const momentum = Object.fromEntries(layout.filter((e) => e.kind === 'param').map((e) => [e.name, state[e.name].map((x) => x / 7)]));
    const file = join(dir, 'ours-resnet18.safetensors');
    writeFileSync(file, encodeCheckpoint({ config: recipe(model), step: 12, epoch: 0.5, name: 'ours' }, state, momentum));
    const theirs = script('logits', 'resnet18', file, '--size', `${SIZE}`, '--count', `${COUNT}`, '--seed', `${IMAGE_SEED}`);
    expectSameLogits(ourLogits(model, state), theirs.logits!);
  }, 300_000);
});
