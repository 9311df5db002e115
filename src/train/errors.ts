// Every fault the worker can meet, as a protocol 'error' event: a code the UI branches on, the problem in
// words, and what the user can do next.
import { ConfigError } from '../model/config';
import { GpuCapacityError } from '../gpu/buffers';
import { WebGpuUnavailableError, type GpuErrorInfo } from '../gpu/gpu';
import { KernelCompileError } from '../gpu/pipelines';
import { CheckpointError } from '../model/safetensors';
import { DatasetError } from '../data/errors';
import type { ErrorCode, RunId, WorkerEvent } from './protocol';
import { NoCachedDataError } from './dataSource';

export type ErrorEvent = Extract<WorkerEvent, { type: 'error' }>;

/** A RunConfig number out of range (the model part is checked by resolveConfig: ConfigError). */
export class RunConfigError extends Error {
  override name = 'RunConfigError';
}

/** A fault the trainer raises itself with a known code. */
export class TrainerError extends Error {
  override name = 'TrainerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly advice: string,
  ) {
    super(message);
  }
}

const ADVICE: Record<ErrorCode, string> = {
  'no-webgpu': 'Use a recent Chrome or Edge with WebGPU enabled (on Linux: --enable-unsafe-webgpu --enable-features=Vulkan).',
  'device-lost':
    'The GPU was reset (driver crash, sleep, or too much work). Restart the GPU engine, or reload the page; load a saved checkpoint to continue a run.',
  'out-of-memory': 'Use a smaller batch size or a narrower/shallower network, or delete other runs to free GPU memory.',
  'gpu-limits': 'Use a smaller batch size (the largest buffers grow with it) or a narrower network.',
  'nan-loss':
    'The run is paused at its last good state. Lower the learning rate (or add warm-up) and resume, or load a checkpoint saved before.',
  'bad-data': 'Pick the official cifar-10-binary.tar.gz ("CIFAR-10 binary version" from https://www.cs.toronto.edu/~kriz/cifar.html).',
  'bad-config': 'Change the setting named in the message and create the run again.',
  'bad-checkpoint': 'Load a .safetensors file saved by this app for a network of the same shape.',
  'no-data': 'Load CIFAR-10 first (from the local server, a file, or a URL).',
  'storage-full': 'Training goes on. To make room, delete old checkpoints or the cached dataset under Data > Storage, or free disk space.',
  internal: 'This is a bug in the app. Save your runs, reload the page, and report the message.',
};

export function errorEvent(code: ErrorCode, message: string, runId?: RunId, advice = ADVICE[code]): ErrorEvent {
  return runId === undefined ? { type: 'error', code, message, advice } : { type: 'error', runId, code, message, advice };
}

/** Any exception as an error event, with the code its type implies. */
export function toErrorEvent(e: unknown, runId?: RunId): ErrorEvent {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof TrainerError) return errorEvent(e.code, message, runId, e.advice);
  if (e instanceof ConfigError || e instanceof RunConfigError || e instanceof RangeError) return errorEvent('bad-config', message, runId);
  if (e instanceof GpuCapacityError) return errorEvent('gpu-limits', message, runId);
  if (e instanceof CheckpointError) return errorEvent('bad-checkpoint', message, runId);
  if (e instanceof NoCachedDataError)
    return errorEvent('no-data', message, runId, 'Load CIFAR-10 from the local server, a file, or a URL; it is cached afterwards.');
  if (e instanceof DatasetError) {
    const advice =
      e.advice ??
      (e.code === 'fetch-failed' || e.code === 'read-failed'
        ? 'Check the address or your connection, or pick the file instead.'
        : ADVICE['bad-data']);
    return errorEvent('bad-data', message, runId, advice);
  }
  if (e instanceof WebGpuUnavailableError) return errorEvent('no-webgpu', message, runId);
  if (e instanceof KernelCompileError) return errorEvent('internal', message, runId);
  return errorEvent('internal', message, runId);
}

/** A GPU fault from gpu.onError. */
export function gpuErrorEvent(e: GpuErrorInfo, runId?: RunId): ErrorEvent {
  switch (e.kind) {
    case 'lost':
      return errorEvent('device-lost', e.message, runId);
    case 'out-of-memory':
      return errorEvent('out-of-memory', `The GPU ran out of memory: ${e.message}`, runId);
    case 'validation':
    case 'internal':
      return errorEvent('internal', `GPU ${e.kind} error: ${e.message}`, runId);
    default:
      return e.kind satisfies never;
  }
}
