// Initial values of every parameter and statistic, drawn in state-dict order from one seeded generator:
// He normal (std sqrt(2 / fan_in), PyTorch's kaiming_normal_) for conv and fc weights, PyTorch's default
// uniform(+-1/sqrt(fan_in)) for biases, BN gamma 1 / beta 0, running mean 0 / variance 1.
import { Rng } from '../util/rng';
import type { Graph } from '../graph/ir';
import { numel } from '../graph/ir';
import type { ParamSpec } from './resnet';

export function initialState(g: Graph, order: readonly ParamSpec[], seed: number): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const p of order) {
    const a = new Float32Array(numel(g.tensors[p.id].shape));
    const init = p.init;
    switch (init.kind) {
      case 'he': {
        const std = Math.sqrt(2 / init.fanIn);
        for (let i = 0; i < a.length; i++) a[i] = rng.normal() * std;
        break;
      }
      case 'uniform':
        for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-init.bound, init.bound);
        break;
      case 'ones':
        a.fill(1);
        break;
      case 'zeros':
        break;
      default:
        init satisfies never;
    }
    out[p.name] = a;
  }
  return out;
}
