// Fine-tuning with a frozen backbone: which parameters train, and BatchNorm's mode in the training graph.
import type { NetGraph } from './resnet';

/**
 * The BN mode of a graph built for `mode`: a fine-tune that trains only the layers from `trainFrom` on (the head)
 * runs the frozen backbone's BatchNorm in eval mode, so its running statistics are used and stay as loaded, as a
 * frozen feature extractor in PyTorch (`backbone.eval()`) does.
 */
export const trainingBnMode = (mode: 'train' | 'eval', trainFrom?: string): 'train' | 'eval' => (trainFrom === undefined ? mode : 'eval');

/** The parameters SGD trains when fine-tuning from `trainFrom` on; every BN must be before it (it is frozen). */
export function trainedParams(net: NetGraph, trainFrom: string): Set<number> {
  const at = net.stateOrder.findIndex((p) => p.name === trainFrom);
  if (at < 0 || !net.params.includes(net.stateOrder[at])) throw new Error(`fine-tuning from '${trainFrom}': no such parameter`);
  if (net.stateOrder.slice(at).some((p) => net.states.includes(p)))
    throw new Error(`fine-tuning from '${trainFrom}': a BatchNorm after it would be frozen with the layers before it`);
  return new Set(net.stateOrder.slice(at).map((p) => p.id));
}
