// The comparison's peers (TF.js WebGPU, jax-js) in Node on Dawn, for the GPU kit (device/run.sh, part c): the same
// networks, weights (our seeded initial state), data and SGD recipe as src/train/benchmark.ts and bench/compare.ts,
// timed by each peer's own code (bench/peers/*.ts, unchanged). Built by `npm run device:pack` into peers.mjs:
//   node peers.mjs [--models resnet20,plain20] [--batch 128] [--infer 512] [--steps 5] [--warmup 2] [--frameworks tfjs-webgpu,jax-webgpu] [--seconds 60]
// One JSON line per (framework, network, batch) on stdout: images/s, ms/step (median), warm-up ms, losses.
import { dawn } from './peersDawn'; // first: navigator.gpu before the peers' modules are evaluated
import { describeAdapter } from '../src/node/dawn';
import { tfjsPeer } from './peers/tfjs';
import { jaxPeer } from './peers/jax';
import { median, type Framework, type FrameworkId } from './compareTypes';
import type { NetSpec } from './peers/arch';
import { buildNetGraph } from '../src/model/resnet';
import { resolveConfig } from '../src/model/config';
import { initialState } from '../src/model/init';
import { Rng } from '../src/util/rng';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
};
const PEERS: Partial<Record<FrameworkId, () => Framework>> = { 'tfjs-webgpu': () => tfjsPeer('webgpu'), 'jax-webgpu': jaxPeer };

async function main(): Promise<number> {
  const models = arg('models', 'resnet20').split(',');
  const batches = arg('batch', '128').split(',').map(Number);
  const inferBatch = Number(arg('infer', '0'));
  const steps = Number(arg('steps', '5'));
  const warmup = Number(arg('warmup', '2'));
  const seconds = Number(arg('seconds', '60'));
  const ids = arg('frameworks', 'tfjs-webgpu,jax-webgpu').split(',') as FrameworkId[];
  const adapter = await describeAdapter(dawn.gpu);
  process.stdout.write(`${JSON.stringify({ adapter: adapter ?? null, runtime: `node ${process.version}`, peers: ids })}\n`);
  const hyper = { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 };
  for (const id of ids) {
    const make = PEERS[id];
    if (!make) {
      process.stdout.write(`${JSON.stringify({ runtime: id, error: 'unknown peer' })}\n`);
      continue;
    }
    let f: Framework | undefined;
    try {
      f = make();
      const backend = await f.init();
      for (const model of models) {
        const m = /^(resnet|plain)(\d+)$/.exec(model);
        if (!m) throw new Error(`'${model}' is not a network name like resnet20`);
        const net: NetSpec = { arch: m[1] === 'resnet' ? 'residual' : 'plain', depth: Number(m[2]) };
        const g = buildNetGraph(resolveConfig(net), 1, 'train');
        const state = initialState(g.b.graph, g.stateOrder, 0);
        for (const [i, batch] of batches.entries()) {
          const rng = new Rng(1);
          const images = new Float32Array(batch * 3 * 32 * 32).map(() => rng.normal());
          const labels = Int32Array.from({ length: batch }, () => rng.int(10));
          const line: Record<string, unknown> = { runtime: id, backend, model, batch };
          try {
            const t = await f.train({
              net,
              batch,
              warmup,
              steps,
              state,
              images,
              labels,
              hyper,
              deadline: performance.now() + seconds * 1000,
            });
            const ms = median(t.ms);
            Object.assign(line, {
              imagesPerSec: +(batch / (ms / 1000)).toFixed(2),
              msPerStep: +ms.toFixed(2),
              steps: t.ms.length,
              warmupMs: Math.round(t.warmupMs),
              losses: t.losses?.map((l) => +l.toFixed(5)),
            });
            if (inferBatch && i === 0) {
              const r2 = new Rng(2);
              const xi = new Float32Array(inferBatch * 3 * 32 * 32).map(() => r2.normal());
              const li = Int32Array.from({ length: inferBatch }, () => r2.int(10));
              const ti = await f.infer({
                net,
                batch: inferBatch,
                warmup,
                steps,
                state,
                images: xi,
                labels: li,
                deadline: performance.now() + seconds * 1000,
              });
              const mi = median(ti.ms);
              line.infer = { batch: inferBatch, imagesPerSec: +(inferBatch / (mi / 1000)).toFixed(2), msPerBatch: +mi.toFixed(2) };
            }
          } catch (e) {
            line.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          }
          process.stdout.write(`${JSON.stringify(line)}\n`);
        }
      }
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ runtime: id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) })}\n`);
    } finally {
      await f?.dispose().catch(() => undefined);
    }
  }
  dawn.uninstall();
  return 0;
}

// process.exit: Dawn's threads would otherwise keep node alive.
void main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`peers: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
