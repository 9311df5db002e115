// Run by tests/unit/nodeEngine.test.ts in a child node (the Vulkan environment must be set before dawn.node
// opens a driver): trains `steps` SGD steps of a network with the Node bundle of the engine and prints one JSON
// line with the adapter, each step's loss and correct count. The batches are drawn from Rng(dataSeed + step)
// exactly as the test's float64 reference draws them, or, with `inputs`, read from the folder the golden's
// inputs were written to (images.f32 and labels.i32, the steps' batches one after another, as PyTorch reads them).
// With `stateOut`, the network's state before and after the steps is written there as JSON ({ initial, final },
// each a map from state-dict name to numbers: a float32 prints exactly as a JSON number).
// usage: node nodeTrainSteps.mjs <path of engine.mjs> '<json: config, batch, seed, steps, dataSeed, hyper[, inputs, stateOut]>'
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundle, json] = process.argv.slice(2);
const { installDawn, createEngine, buildNetwork, Rng } = await import(pathToFileURL(bundle).href);
const { config, batch, seed, steps, dataSeed, hyper, inputs, stateOut } = JSON.parse(json);

/** A little-endian file as a typed array (copied: a Buffer's bytes need not be aligned). */
const readArray = (path, Type) => {
  const b = readFileSync(path);
  return new Type(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

function batchOf(step) {
  const size = batch * 3 * 32 * 32;
  if (inputs) {
    const images = readArray(join(inputs, 'images.f32'), Float32Array).slice(step * size, (step + 1) * size);
    const labels = readArray(join(inputs, 'labels.i32'), Int32Array).slice(step * batch, (step + 1) * batch);
    if (images.length !== size || labels.length !== batch) throw new Error(`${inputs} holds fewer than ${step + 1} batches`);
    return { images, labels };
  }
  const rng = new Rng(dataSeed + step);
  const images = new Float32Array(size).map(() => rng.normal());
  const labels = Int32Array.from({ length: batch }, () => rng.int(10));
  return { images, labels };
}

const plain = (state) => Object.fromEntries(Object.entries(state).map(([k, v]) => [k, Array.from(v)]));

const dawn = await installDawn();
if (!(await navigator.gpu.requestAdapter())) {
  console.log(JSON.stringify({ adapter: null }));
  process.exit(0);
}
const engine = await createEngine();
const net = await buildNetwork(engine, config, { batchSize: batch, seed });
const initial = stateOut ? await net.getState() : undefined;
const losses = [];
const correct = [];
for (let s = 0; s < steps; s++) {
  const { images, labels } = batchOf(s);
  const r = await net.trainStep(images, labels, hyper);
  losses.push(r.loss);
  correct.push(r.correct);
}
if (stateOut) writeFileSync(stateOut, JSON.stringify({ initial: plain(initial), final: plain(await net.getState()) }));
console.log(JSON.stringify({ adapter: engine.adapterName, losses, correct }));
net.destroy();
engine.gpu.destroy();
dawn.uninstall();
process.exit(0);
