// The engine for Node, built into one ES module (`npm run build:node` -> dist-node/engine.mjs, WGSL inlined) that
// imports only 'webgpu' and node: built-ins. As a library: installDawn() then the same API as src/index.ts.
// As a program: `node dist-node/engine.mjs train|bench|soak|torch-script|counts|predict [options]`; it first starts itself again with the Vulkan
// environment when the machine needs one (src/node/vulkan.ts). Nothing in the browser build imports this folder.
import { DawnError, describeAdapter, installDawn } from './dawn'; // first: the WebGPU globals must exist before the engine's modules are evaluated
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { runTrain, trainRequest, TRAIN_HELP } from './train';
import { benchRequest, runBench, BENCH_HELP } from './bench';
import { soakRequest, runSoak, SOAK_HELP } from './soak';
import { torchScriptRequest, runTorchScript, TORCH_SCRIPT_HELP } from './torchScriptCmd';
import { countsRequest, runCounts, COUNTS_HELP } from './countsCmd';
import { predictRequest, runPredict, PREDICT_HELP } from './predictCmd';
import { UsageError } from './args';
import { relaunchWhenNoAdapter, relaunchWithVulkan } from './vulkan';

export * from '../index';
export { installDawn, describeAdapter, DawnError, type Dawn, type DawnOptions, type AdapterDescription } from './dawn';
export { vulkanPlan, relaunchWithVulkan, type VulkanPlan } from './vulkan';
export { runTrain, trainRequest, TRAIN_SPECS, type TrainRequest, type TrainSummary } from './train';
export { benchRequest, runBench, type BenchRequest } from './bench';
export { HeadlessTrainer, type HeadlessResult } from '../train/headless';
export { benchConfig, benchLines, benchPlan, type BenchConfig, type BenchResult } from '../train/benchmark';
export { loadCifar10, type Cifar10 } from '../data/cifar';
export { saveCheckpoint, readCheckpoint, checkpointFileName } from '../train/checkpoint';
export { metricsCsv, metricsJson } from '../train/metricsFormat';
export { torchScript, torchScriptFileName } from '../train/torchScript';
export type { RunConfig, MetricPoint, EvalPoint } from '../train/protocol';
export { Rng } from '../util/rng';

interface Command<R> {
  /** Reads the options (no GPU involved); a UsageError for anything wrong. */
  parse(argv: readonly string[]): R | 'help';
  run(req: R): Promise<number>;
  help: string;
  adapter(req: R): string | undefined;
  /** False for commands that never touch the GPU (no Vulkan relaunch). */
  gpu?: boolean;
}
const command = <R>(c: Command<R>) => c as Command<unknown>;
const COMMANDS: Record<string, Command<unknown>> = {
  train: command({ parse: (a) => trainRequest(a), run: runTrain, help: TRAIN_HELP, adapter: (r) => r.adapter }),
  bench: command({ parse: benchRequest, run: runBench, help: BENCH_HELP, adapter: (r) => r.adapter }),
  soak: command({ parse: soakRequest, run: runSoak, help: SOAK_HELP, adapter: (r) => r.adapter }),
  'torch-script': command({
    parse: torchScriptRequest,
    run: runTorchScript,
    help: TORCH_SCRIPT_HELP,
    adapter: () => undefined,
    gpu: false,
  }),
  counts: command({ parse: countsRequest, run: runCounts, help: COUNTS_HELP, adapter: () => undefined, gpu: false }),
  predict: command({ parse: predictRequest, run: runPredict, help: PREDICT_HELP, adapter: (r) => r.adapter }),
};

const USAGE = `usage: node engine.mjs <command> [options]
commands:
  train   train a CIFAR-10 ResNet or plain net headless (--help for options)
  bench   the engine benchmark on this machine's GPU adapter
  soak    a long run that checks GPU memory, heap and step time stay flat
  torch-script  the run's network and recipe as a self-contained PyTorch script (.py)
  counts  a network's parameters, multiply-adds and Table 1 rows as one JSON line (no GPU)
  predict a checkpoint's (or torchvision state dict's) logits on raw images, one JSON line per image
`;

/** Whether Dawn finds an adapter in this process's Vulkan environment (a probe before the command's own request). */
async function dawnHasAdapter(): Promise<boolean> {
  const dawn = await installDawn({});
  try {
    return !!(await describeAdapter(dawn.gpu));
  } catch {
    return false;
  } finally {
    dawn.uninstall();
  }
}

/** Runs a command line (without node and the script); returns the exit code (0 done, 1 failed, 2 bad usage). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`unknown command '${name}'\n${USAGE}`);
    return 2;
  }
  try {
    // Options are checked before anything else, so a mistake is reported at once, by this process.
    const req = cmd.parse(rest);
    if (req === 'help') {
      process.stdout.write(cmd.help);
      return 0;
    }
    if (cmd.gpu === false) return await cmd.run(req);
    const adapter = { adapter: cmd.adapter(req) };
    const log = (s: string) => process.stderr.write(`${s}\n`);
    return relaunchWithVulkan(adapter, log) ?? (await relaunchWhenNoAdapter(adapter, dawnHasAdapter, log)) ?? (await cmd.run(req));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof DawnError) {
      process.stderr.write(`${name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

const isMain = (() => {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
})();
// process.exit: Dawn's threads would otherwise keep node alive after the work is done.
if (isMain) void main(process.argv.slice(2)).then((code) => process.exit(code));
