// SGD with momentum and weight decay, updating parameters and momentum in place (shaders/sgd.wgsl).
import code from '../../shaders/sgd.wgsl?raw';
import type { Gpu } from '../gpu/gpu';
import { elementwise } from './cost';
import { grid1d, packUniforms, prepare, type BufferRef, type Dispatch, type KernelDef } from './kernel';

const def: KernelDef = { name: 'sgd', code, bindings: ['rw', 'read', 'rw', 'uniform'] };
const WG = 256;

/**
 * One SGD step over `count` elements of param, grad and momentum (momentum zeroed before the first step).
 * The hyper-parameters start at zero (lr 0): call setSgdHyper before the first submit. grad must be a
 * different GPUBuffer from param and momentum (WebGPU: no buffer both read-only and read-write in a dispatch).
 */
export function sgd(gpu: Gpu, label: string, count: number, param: BufferRef, grad: BufferRef, momentum: BufferRef): Promise<Dispatch> {
  return prepare(gpu, def, {
    entry: 'step',
    label,
    buffers: [param, grad, momentum],
    uniforms: packUniforms([{ f32: 0 }, { f32: 0 }, { f32: 0 }, count]),
    grid: grid1d(count, WG),
    constants: { WG },
    // Reads parameter, gradient and momentum, writes parameter and momentum; m = mu*m + (g + wd*w), w -= lr*m.
    cost: elementwise(count, 3, 2, 6),
    loops: 0, // no loops in the shader
  });
}

/** Rewrites the step's lr, momentum and weight decay (the first three uniform fields); takes effect at the next submit. */
export function setSgdHyper(gpu: Gpu, d: Dispatch, h: { lr: number; momentum: number; weightDecay: number }): void {
  if (!d.uniforms) throw new Error(`${d.label}: not an SGD dispatch (no uniform buffer)`);
  gpu.device.queue.writeBuffer(d.uniforms, 0, new Float32Array([h.lr, h.momentum, h.weightDecay]));
}
