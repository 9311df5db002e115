// The kernel variants the autotuner may time for one layer: only fields of src/gpu/tuning.ts that the node's
// kernels read, each value one the GPU tests force and check against the float64 reference (conv.test.ts,
// gemm.test.ts, batchnorm.test.ts, softmaxXent.test.ts, pool.test.ts), so every candidate is a tested variant.
// A candidate is a whole Tuning (the base profile with the layer's fields set), so a node's kernels read one
// object exactly as they do under a fixed profile.
import { TUNINGS, type ConvVariant, type Profile, type Tuning } from '../gpu/tuning';
import type { Graph, Node } from '../graph/ir';
import { isConv3x3 } from '../kernels/convImplicit';
import { convGeom } from '../geometry';

export interface Candidate {
  /** What the variant is, in words for the Kernel profile tab ('implicit, vec4 3x3 rows'). */
  label: string;
  tuning: Tuning;
}

/** Which pass of a convolution a node is, or undefined for other ops. */
export function convPass(node: Node): 'forward' | 'input' | 'weight' | undefined {
  return node.kind === 'conv2d'
    ? 'forward'
    : node.kind === 'conv2dGradInput'
      ? 'input'
      : node.kind === 'conv2dGradWeight'
        ? 'weight'
        : undefined;
}

/** The node's convolution geometry (image tensor, weight tensor), as the op table computes it. */
function geomOf(g: Graph, node: Node) {
  const t = (i: number) => g.tensors[i].shape;
  const a = node.attrs as { stride: number; pad: number };
  if (node.kind === 'conv2d') return convGeom(t(node.inputs[0]), t(node.inputs[1]), a);
  if (node.kind === 'conv2dGradInput') return convGeom(t(node.outputs[0]), t(node.inputs[1]), a);
  return convGeom(t(node.inputs[1]), t(node.outputs[0]), a);
}

const with_ = (base: Tuning, fields: Partial<Tuning>): Tuning => ({ ...base, ...fields });

function convCandidates(g: Graph, node: Node, base: Tuning, reduced: boolean): Candidate[] {
  const pass = convPass(node)!;
  const is3x3 = isConv3x3(geomOf(g, node));
  const conv = (v: ConvVariant) => ({ ...base.conv, [pass]: v });
  const out: Candidate[] = [];
  // Split-K groups matter to the weight gradient only (its output is small: the images are the long axis).
  const splits = pass === 'weight' ? (reduced ? [0, 256] : [0, 64, 256]) : [base.splitKGroups];
  const splitText = (s: number) => (pass === 'weight' ? (s > 0 ? `, split-K ~${s} groups` : ', no split-K') : '');
  for (const s of splits) {
    for (const gemm of ['direct', 'tiled'] as const)
      out.push({
        label: `explicit im2col, ${gemm} GEMM${splitText(s)}`,
        tuning: with_(base, { conv: conv('explicit'), gemm, splitKGroups: s }),
      });
    for (const c3 of is3x3 ? [true, false] : [base.conv3x3])
      out.push({
        label: `implicit${is3x3 ? (c3 ? ', vec4 3x3 rows' : ', general loop') : ''}${splitText(s)}`,
        tuning: with_(base, { conv: conv('implicit'), conv3x3: c3, splitKGroups: s }),
      });
  }
  // The implicit weight gradient splits by its own rule (implicitWeightSplits reads no splitKGroups): one of each.
  const seen = new Set<string>();
  const unique = out.filter((c) => {
    const key = pass === 'weight' && c.tuning.conv.weight === 'implicit' ? `implicit ${c.tuning.conv3x3}` : c.label;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  for (const s of pass === 'weight' ? splits.filter((x) => x > 0) : [0]) {
    const groups = pass === 'weight' ? [base.convGroups || TUNINGS.gpu.convGroups] : reduced ? [128] : [32, 128, 512];
    for (const convGroups of groups)
      unique.push({
        label: pass === 'weight' ? `igemm tiles${splitText(s)}` : `igemm tiles, ~${convGroups} groups`,
        tuning: with_(base, { conv: conv('igemm'), convGroups, splitKGroups: pass === 'weight' ? s : base.splitKGroups }),
      });
  }
  return unique;
}

const bnCandidates = (base: Tuning): Candidate[] =>
  (['serial', 'workgroup', 'split'] as const).map((bnReduce) => ({
    label: { serial: 'serial Kahan sums', workgroup: 'one workgroup per channel', split: 'split over workgroups' }[bnReduce],
    tuning: with_(base, { bnReduce }),
  }));

/**
 * The candidates for `node` on top of `base` (the profile the adapter's rule picked); [] where the node's kernels
 * have no variant (elementwise ops, copies). `reduced`: fewer split and tile-group values (CPU adapters, where
 * each timing costs tens of milliseconds).
 */
export function candidatesFor(g: Graph, node: Node, base: Tuning, reduced = false): Candidate[] {
  switch (node.kind) {
    case 'conv2d':
    case 'conv2dGradInput':
    case 'conv2dGradWeight':
      return convCandidates(g, node, base, reduced);
    case 'batchNorm':
      // Eval mode has no reduction; train-mode statistics and the backward sums each choose their own.
      return (node.attrs as { mode: string }).mode === 'train' ? bnCandidates(base) : [];
    case 'batchNormGrad':
      return bnCandidates(base);
    case 'linear':
    case 'linearGradInput':
    case 'linearGradWeight':
      return (['direct', 'tiled'] as const).map((gemm) => ({ label: `${gemm} GEMM`, tuning: with_(base, { gemm }) }));
    case 'softmaxXent':
    case 'biasGrad':
      return (['serial', 'workgroup'] as const).map((reduce) => ({
        label: reduce === 'serial' ? 'serial per row' : 'workgroup tree',
        tuning: with_(base, { reduce }),
      }));
    default:
      return [];
  }
}

/**
 * The candidate a fixed profile runs for this node (by its fields, so the comparison with the fixed profiles is
 * one of the timed candidates), or undefined where the profile's choice is not among them.
 */
export function profileCandidate(cands: readonly Candidate[], node: Node, profile: Profile): Candidate | undefined {
  const p = TUNINGS[profile];
  const pass = convPass(node);
  return cands.find((c) => {
    const t = c.tuning;
    if (pass) {
      if (t.conv[pass] !== p.conv[pass]) return false;
      if (p.conv[pass] === 'explicit' && t.gemm !== p.gemm) return false;
      if (p.conv[pass] === 'implicit' && t.conv3x3 !== p.conv3x3) return false;
      if (p.conv[pass] === 'igemm' && pass !== 'weight' && t.convGroups !== p.convGroups) return false;
      return pass !== 'weight' || p.conv.weight === 'implicit' || t.splitKGroups === p.splitKGroups;
    }
    if (node.kind === 'batchNorm' || node.kind === 'batchNormGrad') return t.bnReduce === p.bnReduce;
    if (node.kind.startsWith('linear')) return t.gemm === p.gemm;
    return t.reduce === p.reduce;
  });
}
