// Checkpoints through the trainer: save, load into a fresh network, the same evaluation and the same next
// losses (parameters, BN statistics, momentum and the data position all restored); PyTorch names in the file;
// bad files rejected with 'bad-checkpoint' and a message that says what is wrong; a renamed run's checkpoints; and, on the
// same trainer, the lesion study's progress events.
import { beforeAll, describe, expect, test } from 'vitest';
import { Trainer } from '../../src/train/trainer';
import { CHECKPOINT_FORMAT, MOMENTUM_PREFIX, readCheckpoint } from '../../src/train/checkpoint';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors';
import { stateLayout } from '../../src/model/stateLayout';
import { EventLog, runConfig, syntheticCifar } from './trainerHarness';

let trainer: Trainer;
let log: EventLog;
beforeAll(async () => {
  log = new EventLog();
  trainer = new Trainer(log.post, { cache: false });
  await trainer.setData(syntheticCifar(320, 64), 'synthetic');
});

const config = runConfig({
  model: { arch: 'residual', depth: 8, width: 4, shortcut: 'B' },
  batchSize: 8,
  steps: 40,
  seed: 5,
  evalImages: 40,
});

async function evaluate(runId: string) {
  const from = log.list.length;
  await trainer.handle({ type: 'evaluate', runId, split: 'test', bnModes: ['eval', 'train'] });
  return (await log.wait('evaluation', (e) => e.points[0].runId === runId, 120_000, from)).points;
}

async function stepAndWait(runId: string, count: number, until: number) {
  await trainer.handle({ type: 'step', runId, count });
  await log.wait('metrics', (e) => e.points.some((p) => p.runId === runId && p.step === until), 120_000);
}

const lossesOf = (runId: string, after: number) =>
  log
    .of('metrics')
    .flatMap((e) => e.points)
    .filter((p) => p.runId === runId && p.step > after)
    .map((p) => p.trainLoss);

describe('checkpoint round trip', () => {
  let bytes: ArrayBuffer;

  test('save, load into a fresh run: same evaluation, then the same losses as the original', async () => {
    await trainer.handle({ type: 'createRun', runId: 'orig', name: 'orig run', config, start: false });
    await stepAndWait('orig', 3, 3);
    const before = await evaluate('orig');
    const from = log.list.length;
    await trainer.handle({ type: 'save', runId: 'orig', requestId: 's1' });
    const ck = await log.wait('checkpoint', (e) => e.runId === 'orig', 60_000, from);
    expect(ck.fileName).toBe('orig_run-step3.safetensors');
    bytes = ck.bytes.slice(0);

    await trainer.handle({ type: 'load', runId: 'copy', name: 'copy', bytes: ck.bytes });
    expect(log.list.filter((e) => e.type === 'runState' && e.runId === 'copy').at(-1)).toMatchObject({
      state: 'paused',
      step: 3,
      totalSteps: 40,
    });
    const after = await evaluate('copy');
    expect(after.map((p) => [p.bnMode, p.loss, p.accuracy, p.step])).toEqual(before.map((p) => [p.bnMode, p.loss, p.accuracy, p.step]));
    console.log(
      'eval loss before/after load:',
      before.map((p) => `${p.bnMode} ${p.loss}`).join(', '),
      '|',
      after.map((p) => `${p.bnMode} ${p.loss}`).join(', '),
    );

    // Momentum, BN statistics and the position in the data order came along: the next steps match.
    await stepAndWait('orig', 2, 5);
    await stepAndWait('copy', 2, 5);
    expect(lossesOf('copy', 3)).toHaveLength(2);
    expect(lossesOf('copy', 3)).toEqual(lossesOf('orig', 3));
  });

  test('the file: PyTorch state-dict names, momentum buffers, run metadata', () => {
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(bytes));
    const layout = stateLayout(config.model);
    for (const e of layout) expect(tensors[e.name], e.name).toMatchObject({ dtype: 'F32', shape: e.shape });
    for (const e of layout.filter((x) => x.kind === 'param'))
      expect(tensors[MOMENTUM_PREFIX + e.name], e.name).toMatchObject({ dtype: 'F32', shape: e.shape });
    expect(Object.keys(tensors)).toHaveLength(layout.length + layout.filter((x) => x.kind === 'param').length);
    expect(tensors['layer2.0.shortcut.1.running_var']).toBeDefined();
    expect(metadata).toMatchObject({ format: CHECKPOINT_FORMAT, step: '3', name: 'orig run' });
    expect(JSON.parse(metadata.runConfig)).toEqual(config);
    // A PyTorch-written file also carries num_batches_tracked (I64): accepted.
    const withCounts = { ...tensors, 'bn1.num_batches_tracked': { dtype: 'I64' as const, shape: [], data: BigInt64Array.of(3n) } };
    expect(readCheckpoint(encodeSafetensors(withCounts, metadata)).meta.step).toBe(3);
  });

  test('bad files: not safetensors, not ours, wrong shapes, NaN weights', async () => {
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(bytes));
    const wider = { ...metadata, runConfig: JSON.stringify({ ...config, model: { ...config.model, width: 8 } }) };
    const nan = { ...tensors, 'fc.bias': { ...tensors['fc.bias'], data: new Float32Array(10).fill(NaN) } };
    const cases: [string, Uint8Array, RegExp][] = [
      ['garbage', new TextEncoder().encode('hello, this is not a checkpoint'), /not a safetensors file/],
      ['no metadata', encodeSafetensors(tensors), /not a ResNet Playground run checkpoint/],
      [
        'wrong width',
        encodeSafetensors(tensors, wider),
        /does not fit this network.*conv1\.weight \(expected F32 \[8, 3, 3, 3\], found F32 \[4, 3, 3, 3\]\)/,
      ],
      ['nan', encodeSafetensors(nan, metadata), /'fc\.bias' holds NaN/],
      [
        'bad config',
        encodeSafetensors(tensors, { ...metadata, runConfig: '{"model":{"arch":"residual","depth":9}}' }),
        /run settings.*depth 9/,
      ],
    ];
    for (const [name, file, message] of cases) {
      const from = log.list.length;
      const buf = file.slice().buffer;
      await trainer.handle({ type: 'load', runId: `bad-${name}`, name, bytes: buf });
      const err = await log.wait('error', (e) => e.runId === `bad-${name}`, 10_000, from);
      expect(err.code, name).toBe('bad-checkpoint');
      expect(err.message, name).toMatch(message);
      expect(
        log.list.slice(from).some((e) => e.type === 'runState' && e.runId === `bad-${name}` && e.state === 'error'),
        name,
      ).toBe(true);
    }
  });
});

test("a renamed run's checkpoints carry its new name, in the file name and the metadata", async () => {
  await trainer.handle({ type: 'createRun', runId: 'named', name: 'first name', config, start: false });
  await stepAndWait('named', 1, 1);
  await trainer.handle({ type: 'rename', runId: 'named', name: 'second try' });
  const from = log.list.length;
  await trainer.handle({ type: 'save', runId: 'named', requestId: 'n1' });
  const ck = await log.wait('checkpoint', (e) => e.runId === 'named', 60_000, from);
  expect(ck.fileName).toBe('second_try-step1.safetensors');
  expect(readCheckpoint(new Uint8Array(ck.bytes)).meta.name).toBe('second try');
});

test('the lesion study reports its passes as it goes (the whole net, then each block), then the result', async () => {
  await trainer.handle({ type: 'createRun', runId: 'lesioned', name: 'lesioned', config, start: false });
  await stepAndWait('lesioned', 1, 1);
  const from = log.list.length;
  await trainer.handle({ type: 'labLesion', runId: 'lesioned', images: 16 });
  const result = await log.wait('labLesion', (e) => e.runId === 'lesioned', 120_000, from);
  expect(result.blocks.map((b) => b.name)).toEqual(['layer1.0', 'layer2.0', 'layer3.0']);
  const passes = log.list
    .slice(from)
    .filter((e) => e.type === 'labProgress' && e.runId === 'lesioned')
    .map((e) => (e.type === 'labProgress' ? `${e.kind} ${e.done}/${e.total}` : ''));
  expect(passes).toEqual(['lesion 1/4', 'lesion 2/4', 'lesion 3/4']);
  expect(log.list.indexOf(result)).toBeGreaterThan(log.list.findLastIndex((e) => e.type === 'labProgress'));
});
