// Recording one step: which phases of a compiled graph a step kind runs, in one compute pass, with the SGD
// update after the backward pass for a training step. Nothing is allocated.
import type { Phase } from '../graph/ir';
import type { Sgd, SgdOptions } from './optimiser';
import type { StepTarget } from './targets';

/** What a recorded step does: 'train' = forward + BN running update + backward + SGD; 'gradients' = forward + backward;
 * 'forward' = forward (+ BN running update in train mode, as PyTorch's forward in train mode does);
 * 'forwardNoUpdate' = forward only, running statistics untouched (evaluation with train-mode BN). */
export type StepKind = 'train' | 'gradients' | 'forward' | 'forwardNoUpdate';

export const TRAIN_PHASES: ReadonlySet<Phase> = new Set(['forward', 'running', 'backward']);
const GRAD_PHASES: ReadonlySet<Phase> = new Set(['forward', 'backward']);
const FWD_TRAIN_PHASES: ReadonlySet<Phase> = new Set(['forward', 'running']);
const FWD_PHASES: ReadonlySet<Phase> = new Set(['forward']);

/** Records a `kind` step on `target` into `enc` as one compute pass; for 'train', `hyper` goes to SGD's uniforms first. */
export function encodeStep(enc: GPUCommandEncoder, target: StepTarget, kind: StepKind, sgd: Sgd, hyper?: SgdOptions): void {
  if ((kind === 'train' || kind === 'gradients') && target.mode !== 'train') throw new Error(`a ${kind} step needs a train-mode target`);
  if (kind === 'train') {
    if (!hyper) throw new Error('a train step needs learning rate, momentum and weight decay');
    sgd.setHyper(hyper);
  }
  const phases =
    kind === 'train'
      ? TRAIN_PHASES
      : kind === 'gradients'
        ? GRAD_PHASES
        : kind === 'forward' && target.mode === 'train'
          ? FWD_TRAIN_PHASES
          : FWD_PHASES;
  const pass = enc.beginComputePass({ label: `${kind}.b${target.batch}` });
  target.compiled.record(pass, phases);
  if (kind === 'train') sgd.record(pass);
  pass.end();
}
