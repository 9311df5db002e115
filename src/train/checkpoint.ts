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
import type { ModelConfig } from '../model/config';
import { modelOfStateDict } from '../model/stateDictModel';
import { stateLayout, type StateEntry } from '../model/stateLayout';
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
  return encodeCheckpoint(meta, state, momentum);
}

/** The checkpoint file of a state (every tensor of the config's layout) and the momentum of its parameters. */
export function encodeCheckpoint(
  meta: CheckpointMeta,
  state: Record<string, Float32Array>,
  momentum: Record<string, Float32Array>,
): Uint8Array {
  const layout = stateLayout(meta.config.model);
  const shapes = new Map(layout.map((e) => [e.name, e.shape]));
  const tensors: Record<string, Tensor> = {};
  for (const e of layout) tensors[e.name] = { dtype: 'F32', shape: e.shape, data: state[e.name] };
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

/**
 * Decodes and validates a checkpoint; every problem is a CheckpointError whose message names it. `bare`: how to
 * train a bare state dict (a file with no format entry, e.g. torchvision's weights saved as safetensors): given
 * the network its names and shapes say it is (stateDictModel.ts), the run settings to build it with; without
 * `bare`, such a file is refused.
 */
export function readCheckpoint(bytes: Uint8Array, bare?: (model: ModelConfig) => RunConfig): LoadedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format === undefined && bare) {
    const config = bare(modelOfStateDict(tensors));
    checkRunConfig(config);
    return { meta: { config, step: 0, epoch: 0, name: '' }, state: stateOf(tensors, stateLayout(config.model)) };
  }
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
  const state = stateOf(model, layout);

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
  for (const [name, data] of Object.entries(momentum ?? {})) finite(MOMENTUM_PREFIX + name, data);
  return { meta: { config, step, epoch, name: metadata.name ?? '' }, state, momentum };
}

function finite(name: string, data: Float32Array): void {
  if (!data.every(Number.isFinite))
    throw new CheckpointError(`tensor '${name}' holds NaN or infinite values: the run had diverged when it was saved`);
}

/** The layout's tensors of a file, checked against it (names, shapes, F32, finite). */
function stateOf(tensors: Record<string, Tensor>, layout: readonly StateEntry[]): Record<string, Float32Array> {
  checkStateAgainstLayout(tensors, layout);
  const state: Record<string, Float32Array> = {};
  for (const e of layout) {
    state[e.name] = tensors[e.name].data as Float32Array;
    finite(e.name, state[e.name]);
  }
  return state;
}

/** Puts a checkpoint's tensors into a network built from its config (zero momentum when the file has none). */
export function applyCheckpoint(network: Network, ckpt: LoadedCheckpoint): void {
  network.setState(ckpt.state);
  if (ckpt.momentum) network.setMomentum(ckpt.momentum);
}
