// `torch-script`: the app's "Export as PyTorch script" from the command line (src/train/torchScript.ts): the
// train command's model and recipe options in, a self-contained .py out. No GPU involved; the GPU kit
// (scripts/device-pack.mjs) writes its PyTorch networks with it.
import { writeFileSync } from 'node:fs';
import { torchScript, torchScriptFileName } from '../train/torchScript';
import { helpText, parseArgs, UsageError, type Specs } from './args';
import { ConfigError } from '../model/config';
import { runConfigOf, TRAIN_SPECS } from './train';

const SKIP = new Set(['data', 'checkpoint', 'out', 'adapter', 'progress']);
export const TORCH_SCRIPT_SPECS: Specs = {
  ...Object.fromEntries(Object.entries(TRAIN_SPECS).filter(([k]) => !SKIP.has(k))),
  out: { kind: 'string', help: 'the .py file to write (default <name>.py)' },
};

export const TORCH_SCRIPT_HELP = helpText(
  'usage: node dist-node/engine.mjs torch-script [train options] [--out FILE.py]',
  TORCH_SCRIPT_SPECS,
);

export interface TorchScriptRequest {
  name: string;
  out: string;
  text: string;
}

export function torchScriptRequest(argv: readonly string[]): TorchScriptRequest | 'help' {
  const p = parseArgs(argv, TORCH_SCRIPT_SPECS, 'torch-script');
  if (p.help) return 'help';
  const config = runConfigOf(p, 'torch-script');
  const name = (p.name as string | undefined) ?? `${config.model.arch === 'plain' ? 'plain' : 'resnet'}-${config.model.depth}`;
  try {
    return { name, out: (p.out as string | undefined) ?? torchScriptFileName(name), text: torchScript(name, config) };
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`torch-script: ${e.message}`);
    throw e;
  }
}

export function runTorchScript(req: TorchScriptRequest): Promise<number> {
  writeFileSync(req.out, req.text);
  process.stderr.write(`wrote ${req.out}\n`);
  return Promise.resolve(0);
}
