// The UI's worker-event reducer (src/ui/store/events.ts), as a pure function: after a NaN-loss rollback the
// run's curves hold only the points of the state its weights went back to; a checkpoint load that fails leaves no
// run behind. Also the per-layer norms it keeps, and how the chart lays them out (src/ui/lib/normData.ts).
import { expect, test } from 'vitest';
import { decades, normSeries } from '../../src/ui/lib/normData';
import type { AppState } from '../../src/ui/store';
import { MAX_NORM_SAMPLES, reduceEvents } from '../../src/ui/store/events';
import type { RunView } from '../../src/ui/store/types';
import type { EvalPoint, LayerNorms, MetricPoint, RunState, WorkerEvent } from '../../src/train/protocol';

const metric = (runId: string, step: number): MetricPoint => ({
  runId,
  step,
  epoch: step / 100,
  lr: 0.1,
  trainLoss: step === 5 ? NaN : 2 - step / 10,
  trainAcc: 0.1,
  imagesPerSec: 1000,
  gpuBytes: 1 << 20,
});
const evalAt = (runId: string, step: number): EvalPoint => ({
  runId,
  step,
  epoch: step / 100,
  split: 'test',
  bnMode: 'eval',
  loss: 2,
  accuracy: 0.2,
  images: 100,
});
const metrics = (runId: string, steps: number[]): WorkerEvent => ({ type: 'metrics', points: steps.map((s) => metric(runId, s)) });

function runView(id: string): RunView {
  return {
    id,
    name: id,
    createdAt: 0,
    state: 'training',
    live: true,
    step: 0,
    totalSteps: 100,
    epoch: 0,
    paramCount: 1000,
    gpuBytes: 0,
    metrics: [],
    evals: [],
    elapsedMs: 0,
    trainingSince: 0,
    hasCheckpoint: false,
  };
}

function initial(): AppState {
  const s = {
    runs: { a: runView('a'), b: runView('b') },
    order: ['a', 'b'],
    engine: { status: 'ready' },
    data: { status: 'ready', quiet: false },
    alerts: [],
    predicting: false,
  };
  return s as unknown as AppState;
}

/** Applies batches as the store does: each result merged into the state. */
function apply(s: AppState, ...batches: WorkerEvent[][]): AppState {
  for (const b of batches) s = { ...s, ...reduceEvents(s, b) };
  return s;
}

/** What the trainer posts on a non-finite loss at step 5 with the last good state at step 3. */
const rollback = (runId: string, back = 3): WorkerEvent[] => [
  { type: 'runState', runId, state: 'paused', step: back, totalSteps: 100, epoch: back / 100, paramCount: 1000, gpuBytes: 1 << 20 },
  {
    type: 'error',
    runId,
    code: 'nan-loss',
    message: `The training loss became NaN at step 5. The run is back at step ${back}.`,
    advice: 'Lower the learning rate.',
    rolledBackTo: back,
  },
];
const steps = (s: AppState, id: string) => s.runs[id].metrics.map((p) => p.step);

test('a rollback in the same batch as the bad points drops the points after the rolled-back step', () => {
  const s = apply(initial(), [metrics('a', [1, 2, 3, 4, 5]), ...rollback('a')]);
  expect(steps(s, 'a')).toEqual([1, 2, 3]);
  expect(s.runs.a.step).toBe(3);
  expect(s.runs.a.state).toBe('paused');
  expect(s.alerts.map((a) => a.code)).toEqual(['nan-loss']);
});

test('points that arrived in earlier batches are dropped too, evaluations after the step as well; other runs keep theirs', () => {
  const s = apply(
    initial(),
    [metrics('a', [1, 2]), metrics('b', [1, 2, 3, 4, 5]), { type: 'evaluation', points: [evalAt('a', 2), evalAt('b', 4)] }],
    [metrics('a', [3, 4]), { type: 'evaluation', points: [evalAt('a', 4)] }],
    [metrics('a', [5]), rollback('a')[0]],
    [rollback('a')[1]],
  );
  expect(steps(s, 'a')).toEqual([1, 2, 3]);
  expect(s.runs.a.evals.map((p) => p.step)).toEqual([2]);
  expect(s.runs.a.step).toBe(3);
  expect(steps(s, 'b')).toEqual([1, 2, 3, 4, 5]);
  expect(s.runs.b.evals.map((p) => p.step)).toEqual([4]);
});

test('points of the retrained steps that follow the rollback in the same batch are kept', () => {
  const s = apply(initial(), [
    metrics('a', [1, 2, 3, 4, 5]),
    ...rollback('a', 2),
    { type: 'runState', runId: 'a', state: 'training', step: 2, totalSteps: 100, epoch: 0.02, paramCount: 1000, gpuBytes: 0 },
    metrics('a', [3, 4]),
  ]);
  expect(steps(s, 'a')).toEqual([1, 2, 3, 4]);
  expect(s.runs.a.metrics.every((p) => Number.isFinite(p.trainLoss))).toBe(true);
  expect(s.runs.a.step).toBe(4);
});

test('a NaN loss with no earlier state kept (no rolledBackTo) drops nothing', () => {
  const [state, error] = rollback('a', 5);
  const { rolledBackTo: _, ...noRollback } = error as Extract<WorkerEvent, { type: 'error' }>;
  const s = apply(initial(), [metrics('a', [1, 2, 3, 4, 5]), state, noRollback]);
  expect(steps(s, 'a')).toEqual([1, 2, 3, 4, 5]);
});

test('a device loss the worker recovers from keeps the runs live; each rebuilt run drops its points past its snapshot', () => {
  const lost: WorkerEvent = {
    type: 'error',
    code: 'device-lost',
    message: 'GPU device lost: unknown. Rebuilding the 2 runs on a new device.',
    advice: 'Resume them.',
    recovering: true,
  };
  const rebuilt = (runId: string, step: number): WorkerEvent[] => [
    { type: 'runState', runId, state: 'building', step: 0, totalSteps: 0, epoch: 0, paramCount: 0, gpuBytes: 0 },
    { type: 'runState', runId, state: 'paused', step, totalSteps: 100, epoch: step / 100, paramCount: 1000, gpuBytes: 1 << 20 },
    { type: 'error', runId, code: 'device-lost', message: `rebuilt at step ${step}`, advice: 'Resume it.', rolledBackTo: step },
  ];
  const s = apply(initial(), [metrics('a', [1, 2, 3, 4]), metrics('b', [1, 2, 3])], [lost], [...rebuilt('a', 2), ...rebuilt('b', 0)]);
  expect(s.engine.status).toBe('ready');
  expect(s.runs.a.live).toBe(true);
  expect(steps(s, 'a')).toEqual([1, 2]);
  expect(steps(s, 'b')).toEqual([]);
  expect([s.runs.a.step, s.runs.a.state, s.runs.a.error]).toEqual([2, 'paused', undefined]);
  expect(s.alerts.map((a) => a.code)).toEqual(['device-lost', 'device-lost', 'device-lost']);
});

test('a device loss without recovery marks the engine lost and the runs no longer live', () => {
  const s = apply(
    initial(),
    [metrics('a', [1, 2])],
    [{ type: 'error', code: 'device-lost', message: 'No new GPU device could be set up.', advice: 'Restart.' }],
  );
  expect(s.engine.status).toBe('lost');
  expect(s.runs.a.live).toBe(false);
  expect(steps(s, 'a')).toEqual([1, 2]);
});

// ---- checkpoint loads ------------------------------------------------------------------------------

/** State with run 'c' just made from a checkpoint file (as actions.loadCheckpointFile adds it) and selected. */
function loading(): AppState {
  const s = initial();
  const c: RunView = {
    ...runView('c'),
    name: 'broken',
    state: 'building',
    step: 0,
    totalSteps: 0,
    trainingSince: undefined,
    pendingLoad: true,
  };
  return { ...s, runs: { ...s.runs, c }, order: [...s.order, 'c'], selectedId: 'c' };
}
const runState = (runId: string, state: RunState, step = 0, totalSteps = 100): WorkerEvent => ({
  type: 'runState',
  runId,
  state,
  step,
  totalSteps,
  epoch: 0,
  paramCount: 1000,
  gpuBytes: 0,
});
const BAD_FILE = 'safetensors header length 7016996765293437281 is larger than the file (5000 bytes)';
/** What the worker posts when it cannot read the file: the run's error state, then the message. */
const loadFailed = (runId: string): WorkerEvent[] => [
  runState(runId, 'error', 0, 0),
  { type: 'error', runId, code: 'bad-checkpoint', message: BAD_FILE, advice: 'Load a .safetensors file saved by this app.' },
];

test('a checkpoint load that fails leaves no run behind: gone from the runs, the order and the selection; the message stays', () => {
  for (const batches of [[loadFailed('c')], [[loadFailed('c')[0]], [loadFailed('c')[1]]]]) {
    const s = apply(loading(), ...batches);
    expect(s.runs).not.toHaveProperty('c');
    expect(s.order).toEqual(['a', 'b']);
    expect(s.selectedId).toBe('b');
    expect(s.alerts.map((a) => [a.code, a.runName, a.runId])).toEqual([['bad-checkpoint', 'broken', undefined]]);
  }
  // Points of the other runs in the same batch still land.
  const s = apply(loading(), [metrics('a', [1, 2]), ...loadFailed('c'), metrics('c', [1])]);
  expect(steps(s, 'a')).toEqual([1, 2]);
  expect(s.runs).not.toHaveProperty('c');
});

test('a checkpoint load that succeeds keeps its run, and a later fault no longer removes it', () => {
  let s = apply(loading(), [runState('c', 'building'), runState('c', 'ready')]);
  expect(s.runs.c.pendingLoad).toBe(true); // 'ready' comes before the weights are in
  s = apply(s, [runState('c', 'paused', 40)]);
  expect([s.runs.c.pendingLoad, s.runs.c.state, s.runs.c.step]).toEqual([undefined, 'paused', 40]);
  s = apply(s, [metrics('c', [41, 42, 43, 44, 45]), ...rollback('c', 43)]);
  expect(s.order).toEqual(['a', 'b', 'c']);
  expect(steps(s, 'c')).toEqual([41, 42, 43]);
});

test('continuing a stored run from its kept weights that fails keeps the run and its curves (only new loads are dropped)', () => {
  const s0 = initial();
  const stored = {
    ...s0,
    runs: { ...s0.runs, a: { ...s0.runs.a, metrics: [metric('a', 1), metric('a', 2)], state: 'building' as const } },
  };
  const s = apply(stored, loadFailed('a'));
  expect(s.order).toEqual(['a', 'b']);
  expect(steps(s, 'a')).toEqual([1, 2]);
  expect([s.runs.a.state, s.runs.a.error]).toEqual(['error', BAD_FILE]);
});

test('a load still pending when the device is lost for good is dropped; the other runs stay, no longer live', () => {
  const s = apply(loading(), [{ type: 'error', code: 'device-lost', message: 'No new GPU device could be set up.', advice: 'Restart.' }]);
  expect(s.order).toEqual(['a', 'b']);
  expect(s.runs).not.toHaveProperty('c');
  expect(s.runs.a.live).toBe(false);
});

// ---- per-layer norms ---------------------------------------------------------------------------------

const LAYERS = ['conv1.weight', 'layer1.0.conv1.weight', 'layer1.0.conv2.weight', 'fc.weight'];
const normsAt = (runId: string, step: number, layers = LAYERS): LayerNorms => ({
  runId,
  step,
  layers: layers.slice(), // a fresh array per sample, as structured clone gives
  grad: layers.map((_, i) => step * 10 ** (i - layers.length)),
  weight: layers.map(() => 1),
});
const norms = (runId: string, steps: number[]): WorkerEvent => ({ type: 'layerNorms', points: steps.map((s) => normsAt(runId, s)) });
const normSteps = (s: AppState, id: string) => s.runs[id].layerNorms?.map((p) => p.step);

test('layer norms are kept per run, the latest last, with the layer names shared between samples', () => {
  const s = apply(initial(), [norms('a', [1, 2]), norms('b', [1])], [norms('a', [3]), norms('nope', [1])]);
  expect(normSteps(s, 'a')).toEqual([1, 2, 3]);
  expect(normSteps(s, 'b')).toEqual([1]);
  const a = s.runs.a.layerNorms!;
  expect(a.at(-1)).toMatchObject({ step: 3, layers: LAYERS, grad: normsAt('a', 3).grad });
  expect(a[2].layers).toBe(a[0].layers);
  expect(s.runs).not.toHaveProperty('nope');
});

test('layer norms keep at most MAX_NORM_SAMPLES samples per run, the newest', () => {
  const all = Array.from({ length: MAX_NORM_SAMPLES + 50 }, (_, i) => i + 1);
  const s = apply(initial(), [norms('a', all.slice(0, 120))], [norms('a', all.slice(120))]);
  expect(s.runs.a.layerNorms).toHaveLength(MAX_NORM_SAMPLES);
  expect(s.runs.a.layerNorms!.at(-1)!.step).toBe(all.at(-1));
  expect(s.runs.a.layerNorms![0].step).toBe(51);
});

test('a NaN-loss rollback drops the layer norms past the step, from earlier batches and its own; the latest is then the one it went back to', () => {
  const s = apply(
    initial(),
    [norms('a', [1, 2]), norms('b', [2, 4])],
    [norms('a', [4]), metrics('a', [5])],
    [norms('a', [5]), ...rollback('a')],
  );
  expect(normSteps(s, 'a')).toEqual([1, 2]);
  expect(s.runs.a.layerNorms!.at(-1)!.step).toBe(2);
  expect(normSteps(s, 'b')).toEqual([2, 4]);
  // The retrained steps after the rollback, in the same batch, stay.
  const again = apply(initial(), [norms('a', [2, 4, 5]), ...rollback('a'), norms('a', [4])]);
  expect(normSteps(again, 'a')).toEqual([2, 4]);
});

test('a rebuild after a device loss drops the layer norms past its snapshot; back to step 0 it leaves none (the chart shows its empty state)', () => {
  const rebuilt = (runId: string, step: number): WorkerEvent => ({
    type: 'error',
    runId,
    code: 'device-lost',
    message: `rebuilt at step ${step}`,
    advice: 'Resume it.',
    rolledBackTo: step,
  });
  const s = apply(initial(), [norms('a', [1, 2, 3]), norms('b', [1, 2])], [rebuilt('a', 1), rebuilt('b', 0)]);
  expect(normSteps(s, 'a')).toEqual([1]);
  expect(s.runs.b.layerNorms).toBeUndefined();
});

test('the norm chart puts layers at their relative depth; projection shortcuts go beside their block, off the line', () => {
  const layers = [
    'conv1.weight',
    'layer1.0.conv1.weight',
    'layer1.0.conv2.weight',
    'layer2.0.conv1.weight',
    'layer2.0.conv2.weight',
    'layer2.0.shortcut.0.weight',
    'fc.weight',
  ];
  const n: LayerNorms = { runId: 'a', step: 7, layers, grad: [1e-6, 0, 1e-4, 1e-3, 1e-2, 5e-3, NaN], weight: [1, 1, 2, 1, 1, 0.5, 1] };
  const { main, side } = normSeries(n, 'grad');
  expect(main.map((p) => p.layer)).toEqual(layers.filter((l) => !l.includes('shortcut')));
  expect(main.map((p) => p.x)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(main.map((p) => p.v)).toEqual([1e-6, null, 1e-4, 1e-3, 1e-2, null]); // zero and NaN: gaps on a log axis
  expect(main.map((p) => p.lg)).toEqual([-6, null, -4, -3, -2, null]);
  expect(main[3]).toMatchObject({ index: 4, count: 6, step: 7 });
  expect(side).toEqual([{ x: 0.6, v: 5e-3, lg: Math.log10(5e-3), layer: 'layer2.0.shortcut.0.weight', index: 4, count: 6, step: 7 }]);
  expect(normSeries(n, 'ratio').main[2].v).toBeCloseTo(5e-5);
  expect(normSeries(n, 'grad')).toBe(normSeries(n, 'grad'));
  // A plain twin of the same depth (no shortcuts) lines up layer by layer.
  const plain = normSeries(
    { ...n, layers: layers.filter((l) => !l.includes('shortcut')), grad: [1, 1, 1, 1, 1, 1], weight: [1, 1, 1, 1, 1, 1] },
    'grad',
  );
  expect(plain.main.map((p) => [p.x, p.layer])).toEqual(main.map((p) => [p.x, p.layer]));
});

test('the log axis spans whole decades around the values', () => {
  expect(decades([3e-6, null, 0.2, 4])).toEqual({ domain: [-6, 1], ticks: [-6, -5, -4, -3, -2, -1, 0, 1] });
  expect(decades([1])).toEqual({ domain: [-1, 1], ticks: [-1, 0, 1] });
  expect(decades([1e-12, 1])?.ticks).toEqual([-12, -10, -8, -6, -4, -2, 0]); // every other decade past 7
  expect(decades([null])).toBeUndefined();
});
