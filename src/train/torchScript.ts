// "Export as PyTorch script": a self-contained Python file (torch only) that is the same run as the app's: the
// network with our state-dict names (DESIGN.md, src/model/stateLayout.ts), the app's initial weights, batches,
// augmentation draws and schedule (ported from src/util/rng.ts, src/train/sampler.ts, src/reference/augment.ts),
// the app's CIFAR-10 files read and checked as src/data/cifar.ts does, our safetensors checkpoints read and
// written (struct + json, no safetensors package); on one GPU or several (torchrun; DistributedDataParallel with
// synchronised BatchNorm, so N processes train the same run). The Python lives in torchScript.template.py; this
// file fills in the run. Pure: text in, text out, so the UI, the Node CLI and the GPU kit (device/torch_bench.py
// imports the generated module's build_model) all use this one generator.
import PY_TEMPLATE from './torchScript.template.py?raw';
import type { RunConfig } from './protocol';
import { ConfigError, resolveConfig } from '../model/config';

/** The file name the export offers: `<name>.py` with characters Python module names cannot hold replaced. */
export function torchScriptFileName(name: string): string {
  const base = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
  return `${/^\d/.test(base) ? `run_${base}` : base}.py`;
}

/** The Python script for a run: its architecture, recipe and seed baked in (see the file comment). */
export function torchScript(name: string, config: RunConfig): string {
  resolveConfig(config.model);
  if ((config.imageSize ?? 32) !== 32)
    throw new ConfigError(`the PyTorch export trains at 32x32 so far, not at the run's ${config.imageSize}x${config.imageSize} inputs`);
  const json = JSON.stringify(config);
  if (json.includes("'''")) throw new Error('torchScript: the run config cannot be embedded');
  const file = torchScriptFileName(name);
  return PY_TEMPLATE.replaceAll('__NAME_JSON__', JSON.stringify(name))
    .replaceAll('__CONFIG_JSON__', json)
    .replaceAll('__NAME__', name.replace(/"""|\\/g, '_'))
    .replaceAll('__FILE__', file)
    .replaceAll('__SEED__', String(config.seed))
    .replaceAll('__BATCH__', String(config.batchSize));
}
