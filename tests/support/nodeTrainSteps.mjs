// Run by tests/unit/nodeEngine.test.ts in a child node (the Vulkan environment must be set before dawn.node
// opens a driver): trains `steps` SGD steps of a network with the Node bundle of the engine, on batches drawn
// from Rng(dataSeed + step) exactly as the test's float64 reference draws them, and prints one JSON line.
// usage: node nodeTrainSteps.mjs <path of engine.mjs> '<json: config, batch, seed, steps, dataSeed, hyper>'
import { pathToFileURL } from 'node:url';

const [bundle, json] = process.argv.slice(2);
const { installDawn, createEngine, buildNetwork, Rng } = await import(pathToFileURL(bundle).href);
const { config, batch, seed, steps, dataSeed, hyper } = JSON.parse(json);

const dawn = await installDawn();
if (!(await navigator.gpu.requestAdapter())) {
  console.log(JSON.stringify({ adapter: null }));
  process.exit(0);
}
const engine = await createEngine();
const net = await buildNetwork(engine, config, { batchSize: batch, seed });
const losses = [];
for (let s = 0; s < steps; s++) {
  const rng = new Rng(dataSeed + s);
  const images = new Float32Array(batch * 3 * 32 * 32).map(() => rng.normal());
  const labels = Int32Array.from({ length: batch }, () => rng.int(10));
  losses.push((await net.trainStep(images, labels, hyper)).loss);
}
console.log(JSON.stringify({ adapter: engine.adapterName, losses }));
net.destroy();
engine.gpu.destroy();
dawn.uninstall();
process.exit(0);
