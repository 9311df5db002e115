// `predict`: a checkpoint's logits on raw images, headless, one JSON line per image.
//   node dist-node/engine.mjs predict --model resnet18 --checkpoint F.safetensors --images F.bin --input-size 64
// The checkpoint is one the app saved or a bare state dict (torchvision's weights as safetensors; the network is
// read off its names and shapes, src/model/stateDictModel.ts); --model (and --classes) say which network the
// caller expects, and a file holding another is refused naming both. Images: uint8 R, G, B planes, N x 3 x S x S,
// normalised (pixel / 255 - mean) / std per channel (ImageNet's statistics for the ImageNet family, CIFAR-10's
// for the CIFAR one, or --mean/--std), through the eval-mode graph at S x S on the GPU.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createEngine, WebGpuUnavailableError } from '../index';
import { ConfigError, IMAGENET_DEPTHS, resolveConfig, type ModelConfig, type ResolvedConfig } from '../model/config';
import { table1 } from '../model/table1';
import { Network } from '../runtime/network';
import { readCheckpoint } from '../train/checkpoint';
import type { RunConfig } from '../train/protocol';
import { helpText, parseArgs, UsageError, type Specs } from './args';
import { modelName } from './countsCmd';
import { installDawn, NO_ADAPTER } from './dawn';

type Rgb = [number, number, number];
/** torchvision's ImageNet normalisation (what its pretrained weights expect) and CIFAR-10's training-set statistics. */
export const IMAGENET_NORM = { mean: [0.485, 0.456, 0.406] as Rgb, std: [0.229, 0.224, 0.225] as Rgb };
export const CIFAR_NORM = { mean: [0.4914, 0.4822, 0.4465] as Rgb, std: [0.247, 0.2435, 0.2616] as Rgb };

export const PREDICT_SPECS: Specs = {
  model: {
    kind: 'string',
    help: `the network the checkpoint holds: resnetD or plainD (D = ${IMAGENET_DEPTHS.join('/')}: ImageNet family; 6n+2: CIFAR)`,
  },
  checkpoint: { kind: 'string', help: "a .safetensors file: the app's checkpoint or a bare state dict (torchvision's names)" },
  images: { kind: 'string', help: 'raw uint8 images: R, G, B planes of S x S each, image after image (N x 3 x S x S bytes)' },
  'input-size': { kind: 'int', help: 'S: image height = width (default 224 for the ImageNet stem, 32 otherwise)' },
  classes: { kind: 'int', help: "the head's classes the checkpoint must have (default: whatever it has)" },
  mean: { kind: 'string', help: 'r,g,b in 0..1 (default ImageNet 0.485,0.456,0.406 / CIFAR-10 0.4914,0.4822,0.4465)' },
  std: { kind: 'string', help: 'r,g,b (default ImageNet 0.229,0.224,0.225 / CIFAR-10 0.247,0.2435,0.2616)' },
  batch: { kind: 'int', help: 'images per forward pass', default: 16 },
  bn: { kind: 'string', choices: ['eval', 'train'], help: "BatchNorm mode: running statistics ('eval') or the batch's", default: 'eval' },
  adapter: { kind: 'string', help: "GPU adapter: part of its name, or 'swiftshader'" },
};

export const PREDICT_HELP = helpText(
  'usage: node dist-node/engine.mjs predict --model resnet18 --checkpoint F.safetensors --images F.bin --input-size 64 [--classes K]',
  PREDICT_SPECS,
  'Prints one JSON line per image: {"image": i, "class": argmax, "logits": [...]}. Exit 1 when the file holds\n' +
    'another network than --model, or the images are not a whole number of 3 x S x S.',
);

export interface PredictRequest {
  /** What --model names (depth, family, arch), checked against the file. */
  model: { name: string; arch: 'residual' | 'plain'; depth: number; family: 'imagenet' | 'cifar' };
  classes?: number;
  checkpoint: string;
  images: string;
  inputSize?: number;
  norm?: { mean: Rgb; std: Rgb };
  batch: number;
  bnMode: 'eval' | 'train';
  adapter?: string;
}

function rgb(flag: string, text: string): Rgb {
  const v = text.split(',').map(Number);
  if (v.length !== 3 || !v.every(Number.isFinite)) throw new UsageError(`predict: --${flag} takes three numbers r,g,b, not '${text}'`);
  return v as Rgb;
}

export function predictRequest(argv: readonly string[]): PredictRequest | 'help' {
  const p = parseArgs(argv, PREDICT_SPECS, 'predict');
  if (p.help) return 'help';
  for (const need of ['model', 'checkpoint', 'images'] as const)
    if (p[need] === undefined) throw new UsageError(`predict: --${need} is required (--help for the options)`);
  const name = String(p.model);
  const named = modelName(name, 'predict');
  for (const f of ['checkpoint', 'images'] as const) {
    const path = String(p[f]);
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`predict: --${f} ${path}: no such file`);
  }
  if ((p.mean === undefined) !== (p.std === undefined)) throw new UsageError('predict: --mean and --std go together');
  const batch = p.batch as number;
  if (!(batch >= 1 && batch <= 4096)) throw new UsageError(`predict: --batch must be in 1..4096, not ${batch}`);
  const size = p['input-size'] as number | undefined;
  if (size !== undefined && !(size >= 1 && size <= 1024)) throw new UsageError(`predict: --input-size must be in 1..1024, not ${size}`);
  return {
    model: { name, ...named },
    classes: p.classes as number | undefined,
    checkpoint: String(p.checkpoint),
    images: String(p.images),
    inputSize: size,
    norm: p.mean === undefined ? undefined : { mean: rgb('mean', String(p.mean)), std: rgb('std', String(p.std)) },
    batch,
    bnMode: p.bn as 'eval' | 'train',
    adapter: p.adapter as string | undefined,
  };
}

/** Settings a bare state dict is built with: only the network matters for a forward pass. */
const forwardOnly = (model: ModelConfig): RunConfig => ({
  model,
  batchSize: 1,
  lr: 0,
  momentum: 0,
  weightDecay: 0,
  schedule: 'constant',
  warmupSteps: 0,
  steps: 0,
  seed: 0,
  augment: false,
  valCount: 0,
  evalEvery: 0,
  evalImages: 0,
  evalBnModes: ['eval'],
});

const modelWords = (r: ResolvedConfig) =>
  `${r.arch === 'plain' ? 'plain' : 'resnet'}${r.depth} (${r.family === 'imagenet' ? 'ImageNet' : 'CIFAR'} family, ${r.classes} classes)`;

/** The file's network, held to what the request names; an Error whose message says which differs. */
function checkedModel(req: PredictRequest, model: ModelConfig): ResolvedConfig {
  const r = resolveConfig(model);
  const want = req.model;
  if (r.arch !== want.arch || r.depth !== want.depth || r.family !== want.family)
    throw new Error(`${req.checkpoint} holds a ${modelWords(r)}, not the --model ${want.name} asked for`);
  if (req.classes !== undefined && r.classes !== req.classes)
    throw new Error(`${req.checkpoint}'s head has ${r.classes} classes ('fc.weight' is [${r.classes}, ...]), not --classes ${req.classes}`);
  return r;
}

/** uint8 planes to normalised floats: (pixel / 255 - mean) / std, per channel. */
export function normalise(pixels: Uint8Array, size: number, norm: { mean: Rgb; std: Rgb }): Float32Array {
  const plane = size * size;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const c = Math.floor(i / plane) % 3;
    out[i] = (pixels[i] / 255 - norm.mean[c]) / norm.std[c];
  }
  return out;
}

export async function runPredict(req: PredictRequest): Promise<number> {
  let cfg: ResolvedConfig;
  let state: Record<string, Float32Array>;
  let pixels: Uint8Array;
  let size: number;
  try {
    const ckpt = readCheckpoint(new Uint8Array(await readFile(req.checkpoint)), forwardOnly);
    cfg = checkedModel(req, ckpt.meta.config.model);
    state = ckpt.state;
    size = req.inputSize ?? (cfg.family === 'imagenet' && cfg.stem === 'imagenet' ? 224 : 32);
    table1(cfg, size); // an input too small for the network's strides is refused here, with the reason
    pixels = new Uint8Array(await readFile(req.images));
    const per = 3 * size * size;
    if (pixels.length === 0 || pixels.length % per !== 0)
      throw new Error(`${req.images}: ${pixels.length} bytes is not a whole number of ${size}x${size} RGB images (${per} bytes each)`);
  } catch (e) {
    process.stderr.write(`predict: ${(e as Error).message}\n`);
    return e instanceof ConfigError ? 2 : 1;
  }
  const norm = req.norm ?? (cfg.family === 'imagenet' ? IMAGENET_NORM : CIFAR_NORM);
  const per = 3 * size * size;
  const count = pixels.length / per;
  const dawn = await installDawn({ adapter: req.adapter });
  try {
    const engine = await createEngine();
    const net = await Network.create(engine.gpu, cfg, { batchSize: 1, seed: 0, imageSize: size });
    try {
      net.setState(state);
      for (let start = 0; start < count; start += req.batch) {
        const n = Math.min(req.batch, count - start);
        const images = normalise(pixels.subarray(start * per, (start + n) * per), size, norm);
        const { logits } = await net.forward(images, new Int32Array(n), { bnMode: req.bnMode });
        for (let i = 0; i < n; i++) {
          const row = Array.from(logits.subarray(i * cfg.classes, (i + 1) * cfg.classes));
          const top = row.reduce((best, v, k) => (v > row[best] ? k : best), 0);
          process.stdout.write(`${JSON.stringify({ image: start + i, class: top, logits: row })}\n`);
        }
      }
    } finally {
      net.destroy();
      engine.gpu.destroy();
    }
    return 0;
  } catch (e) {
    process.stderr.write(`predict: ${(e as Error).message}\n`);
    if (e instanceof WebGpuUnavailableError) process.stderr.write(NO_ADAPTER);
    return 1;
  } finally {
    dawn.uninstall();
  }
}
