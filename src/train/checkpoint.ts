// Run checkpoints as safetensors files that PyTorch can read:
//   <state-dict name>                          every parameter and BN running statistic, named and shaped as
//                                              PyTorch's state_dict() of the same CIFAR ResNet (see stateLayout.ts)
//   optimizer.momentum_buffer.<parameter name> SGD's momentum buffer of that parameter: torch.optim.SGD's
//                                              per-parameter state 'momentum_buffer' (same update rule, see sgd.wgsl)
//   __metadata__: format = CHECKPOINT_FORMAT, runConfig = the RunConfig as JSON, step = steps taken,
//                 epoch = epochs done (fractional), name = the run's name
// In PyTorch: sd = safetensors.torch.load_file(path); model.load_state_dict({k: v for k, v in sd.items()
// if not k.startswith('optimizer.')}, strict=False)  (strict=False only for the num_batches_tracked buffers).
import { CheckpointError, checkStateAgainstLayout, decodeSafetensors, encodeSafetensors, type Tensor } from '../model/safetensors';
import { stateLayout } from '../model/stateLayout';
import type { Network } from '../runtime/network';
import type { RunConfig } from './protocol';
import { checkRunConfig } from './runConfig';

export const CHECKPOINT_FORMAT = 'resnet-playground.run/1';
export const MOMENTUM_PREFIX = 'optimizer.momentum_buffer.';

export interface CheckpointMeta {
  config: RunConfig;
  step: number;
  epoch: number;
  name: string;
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  /** Parameters and BN statistics by state-dict name. */
  state: Record<string, Float32Array>;
  /** Momentum by parameter name; undefined when the file has none (e.g. weights exported from PyTorch). */
  momentum?: Record<string, Float32Array>;
}

/**
 * Reads the network's state and momentum (both copies are queued in the same turn, so they belong to the same
 * step) and writes the checkpoint.
 */
export async function saveCheckpoint(network: Network, meta: CheckpointMeta): Promise<Uint8Array> {
  const [state, momentum] = await Promise.all([network.getState(), network.getMomentum()]);
  const shapes = new Map(network.stateShapes().map((s) => [s.name, s.shape]));
  const tensors: Record<string, Tensor> = {};
  for (const e of stateLayout(meta.config.model)) tensors[e.name] = { dtype: 'F32', shape: e.shape, data: state[e.name] };
  for (const [name, data] of Object.entries(momentum)) tensors[MOMENTUM_PREFIX + name] = { dtype: 'F32', shape: shapes.get(name)!, data };
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    runConfig: JSON.stringify(meta.config),
    step: String(meta.step),
    epoch: String(meta.epoch),
    name: meta.name,
  });
}

/** A file name for a run's checkpoint: `<name>-step<step>.safetensors`, with unsafe characters replaced. */
export function checkpointFileName(name: string, step: number): string {
  const base = name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
  return `${base}-step${step}.safetensors`;
}

/** Decodes and validates a checkpoint; every problem is a CheckpointError whose message names it. */
export function readCheckpoint(bytes: Uint8Array): LoadedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    const found = metadata.format ? `its format is '${metadata.format}'` : 'it has no format entry in its metadata';
    throw new CheckpointError(
      `this safetensors file is not a ResNet Playground run checkpoint (${found}; expected '${CHECKPOINT_FORMAT}' with the run's settings). ` +
        'Load a file saved by this app.',
    );
  }
  let config: RunConfig;
  try {
    config = JSON.parse(metadata.runConfig ?? '') as RunConfig;
    if (typeof config !== 'object' || config === null || typeof config.model !== 'object') throw new Error('no model in it');
    checkRunConfig(config);
  } catch (e) {
    throw new CheckpointError(`the checkpoint's run settings (runConfig) are unusable: ${(e as Error).message}`);
  }
  const step = Number(metadata.step ?? '0');
  const epoch = Number(metadata.epoch ?? '0');
  if (!Number.isInteger(step) || step < 0) throw new CheckpointError(`the checkpoint's step '${metadata.step}' is not a whole number`);
  if (!Number.isFinite(epoch) || epoch < 0) throw new CheckpointError(`the checkpoint's epoch '${metadata.epoch}' is not a number >= 0`);

  const layout = stateLayout(config.model);
  const model: Record<string, Tensor> = {};
  const mom: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(MOMENTUM_PREFIX)) mom[name.slice(MOMENTUM_PREFIX.length)] = t;
    else model[name] = t;
  }
  checkStateAgainstLayout(model, layout);
  const state: Record<string, Float32Array> = {};
  for (const e of layout) state[e.name] = model[e.name].data as Float32Array;

  let momentum: Record<string, Float32Array> | undefined;
  if (Object.keys(mom).length > 0) {
    const params = layout.filter((e) => e.kind === 'param');
    try {
      checkStateAgainstLayout(mom, params);
    } catch (e) {
      throw new CheckpointError(`the optimizer state (${MOMENTUM_PREFIX}*) does not fit the network: ${(e as Error).message}`);
    }
    momentum = {};
    for (const e of params) momentum[e.name] = mom[e.name].data as Float32Array;
  }
  const finite = (name: string, data: Float32Array) => {
    if (!data.every(Number.isFinite))
      throw new CheckpointError(`tensor '${name}' holds NaN or infinite values: the run had diverged when it was saved`);
  };
  for (const [name, data] of Object.entries(state)) finite(name, data);
  for (const [name, data] of Object.entries(momentum ?? {})) finite(MOMENTUM_PREFIX + name, data);
  return { meta: { config, step, epoch, name: metadata.name ?? '' }, state, momentum };
}

/** Puts a checkpoint's tensors into a network built from its config (zero momentum when the file has none). */
export function applyCheckpoint(network: Network, ckpt: LoadedCheckpoint): void {
  network.setState(ckpt.state);
  if (ckpt.momentum) network.setMomentum(ckpt.momentum);
}
