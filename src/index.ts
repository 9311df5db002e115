// The engine as a library (no React): create a GPU engine, build a CIFAR ResNet or plain net, train,
// evaluate, read and write its state. See README.md ("Library") for an example.
import { createGpu, type Gpu } from './gpu/gpu';
import { Network } from './runtime/network';
import type { ModelConfig } from './model/config';

export interface Engine {
  gpu: Gpu;
  /** Adapter description, e.g. "google swiftshader". */
  adapterName: string;
}

/** Adapter + device with the limits the engine needs; throws WebGpuUnavailableError with advice when there is no WebGPU. */
export async function createEngine(): Promise<Engine> {
  const gpu = await createGpu();
  return { gpu, adapterName: gpu.adapterName };
}

/** Builds a network on the GPU: parameters initialised from `seed`, the training graph compiled for `batchSize`. */
export function buildNetwork(
  engine: Engine,
  config: ModelConfig,
  opts: { batchSize: number; seed: number; recomputeEvery?: number; trainFrom?: string },
): Promise<Network> {
  return Network.create(engine.gpu, config, opts);
}

export { Network } from './runtime/network';
export type { SgdOptions } from './runtime/optimiser';
export type { ModelConfig, ResolvedConfig } from './model/config';
export { ConfigError, resolveConfig } from './model/config';
export { WebGpuUnavailableError } from './gpu/gpu';
export { GpuCapacityError } from './gpu/buffers';
