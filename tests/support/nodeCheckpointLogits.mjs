// Run by tests/unit/torchScript.test.ts in a child node (the Vulkan environment must be set before dawn.node opens
// a driver): trains `steps` SGD steps of a network with the Node bundle of the engine (so BN running statistics
// move), writes the engine's checkpoint (saveCheckpoint, as the app's "Save weights" does), a batch of images and
// the engine's eval-mode logits for them into DIR, and prints one JSON line.
// usage: node nodeCheckpointLogits.mjs <path of engine.mjs> DIR '<json: config, batch, seed, steps>'
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundle, dir, json] = process.argv.slice(2);
const { installDawn, createEngine, buildNetwork, saveCheckpoint, Rng } = await import(pathToFileURL(bundle).href);
const { config, runConfig, batch, seed, steps } = JSON.parse(json);

const dawn = await installDawn();
if (!(await navigator.gpu.requestAdapter())) {
  console.log(JSON.stringify({ adapter: null }));
  process.exit(0);
}
const engine = await createEngine();
const net = await buildNetwork(engine, config, { batchSize: batch, seed });
const rng = new Rng(seed + 1);
const draw = () => ({
  images: new Float32Array(batch * 3 * 32 * 32).map(() => rng.normal()),
  labels: Int32Array.from({ length: batch }, () => rng.int(10)),
});
for (let s = 0; s < steps; s++) {
  const { images, labels } = draw();
  await net.trainStep(images, labels, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
}
writeFileSync(join(dir, 'engine.safetensors'), await saveCheckpoint(net, { config: runConfig, step: steps, epoch: 0, name: 'engine' }));
const { images, labels } = draw();
const { logits } = await net.forward(images, labels, { bnMode: 'eval' });
writeFileSync(join(dir, 'engine.f32'), images);
console.log(JSON.stringify({ adapter: engine.adapterName, logits: Array.from(logits) }));
net.destroy();
engine.gpu.destroy();
dawn.uninstall();
process.exit(0);
