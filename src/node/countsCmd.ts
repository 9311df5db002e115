// `counts`: a network's parameters, multiply-adds and Table 1 rows (src/model/table1.ts) as one JSON line. No GPU.
//   node dist-node/engine.mjs counts --model resnet50 [--input 224] [--classes 1000]
import { ConfigError, IMAGENET_DEPTHS, resolveConfig, type ModelConfig, type ResolvedConfig } from '../model/config';
import { countParams } from '../model/counts';
import { table1 } from '../model/table1';
import { helpText, parseArgs, UsageError, type Specs } from './args';

export const COUNTS_SPECS: Specs = {
  model: {
    kind: 'string',
    help: `resnetD or plainD: D = ${IMAGENET_DEPTHS.join('/')} the ImageNet family (Table 1), any other 6n+2 the CIFAR one`,
    default: 'resnet50',
  },
  family: { kind: 'string', choices: ['imagenet', 'cifar'], help: 'which family D names (ResNet-50 and -152 exist in both)' },
  input: { kind: 'int', help: 'image height = width (default 224 for ImageNet, 32 for CIFAR)' },
  classes: { kind: 'int', help: 'classes of the fc head (default 1000 for ImageNet, 10 for CIFAR)' },
  width: { kind: 'int', help: "first stage's filters (default 64 for ImageNet, 16 for CIFAR)" },
  shortcut: {
    kind: 'string',
    choices: ['A', 'B'],
    help: 'A: zero-padded identity, B: 1x1 projection (default B for ImageNet, A for CIFAR)',
  },
  stem: {
    kind: 'string',
    choices: ['imagenet', 'cifar'],
    help: 'ImageNet family: 7x7 stride-2 conv + max-pool, or 3x3 stride 1',
    default: 'imagenet',
  },
  'stride-at': {
    kind: 'string',
    choices: ['3x3', '1x1'],
    help: "where a downsampling bottleneck strides: torchvision's v1.5 or the paper's",
    default: '3x3',
  },
  block: { kind: 'string', choices: ['basic', 'bottleneck'], help: 'CIFAR family: the block (ImageNet: by depth)' },
};

export const COUNTS_HELP = helpText(
  'usage: node dist-node/engine.mjs counts --model resnet50 [--input 224] [--classes 1000]',
  COUNTS_SPECS,
  'Prints {"model", "config", "input", "params", "buffers", "macs", "stages"}: params as torchvision counts them\n' +
    '(weights, biases, BN gamma and beta), buffers the BN running statistics, macs every conv and the fc at the input\n' +
    "size, stages the rows of the paper's Table 1 (output size, blocks, one block's layers, params and macs).",
);

/** What `--model resnetD` / `plainD` names: D = 18/34/50/101/152 the ImageNet family, any other depth the CIFAR one. */
export function modelName(name: string, command: string): { arch: 'residual' | 'plain'; depth: number; family: 'imagenet' | 'cifar' } {
  const m = /^(resnet|plain)(\d+)$/.exec(name);
  if (!m) throw new UsageError(`${command}: --model takes resnetD or plainD (resnet18, resnet50, plain34, resnet56), not '${name}'`);
  const depth = Number(m[2]);
  return {
    arch: m[1] === 'plain' ? 'plain' : 'residual',
    depth,
    family: (IMAGENET_DEPTHS as readonly number[]).includes(depth) ? 'imagenet' : 'cifar',
  };
}

export interface CountsRequest {
  model: string;
  config: ResolvedConfig;
  input: number;
}

export function countsRequest(argv: readonly string[]): CountsRequest | 'help' {
  const p = parseArgs(argv, COUNTS_SPECS, 'counts');
  if (p.help) return 'help';
  const name = String(p.model);
  const named = modelName(name, 'counts');
  const family = (p.family as 'imagenet' | 'cifar' | undefined) ?? named.family;
  const model: ModelConfig = { arch: named.arch, depth: named.depth, family };
  if (p.classes !== undefined) model.classes = p.classes as number;
  if (p.width !== undefined) model.width = p.width as number;
  if (p.shortcut !== undefined) model.shortcut = p.shortcut as 'A' | 'B';
  if (p.block !== undefined) model.block = p.block as 'basic' | 'bottleneck';
  if (family === 'imagenet') Object.assign(model, { stem: p.stem, strideAt: p['stride-at'] });
  try {
    const config = resolveConfig(model);
    const input = (p.input as number | undefined) ?? (family === 'imagenet' && config.stem === 'imagenet' ? 224 : 32);
    table1(config, input); // an impossible input size is a usage error too
    return { model: name, config, input };
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`counts: ${e.message}`);
    throw e;
  }
}

export function runCounts(req: CountsRequest): Promise<number> {
  const t = table1(req.config, req.input);
  const { buffers } = countParams(req.config);
  process.stdout.write(
    JSON.stringify({ model: req.model, config: req.config, input: req.input, params: t.params, buffers, macs: t.macs, stages: t.rows }) +
      '\n',
  );
  return Promise.resolve(0);
}
