// The network every framework in the comparison trains, as plain data: the paper's CIFAR ResNet / plain net
// (basic blocks, shortcut option A) with PyTorch state names, so every peer starts from the same state dict
// that our engine's initialiser draws. Peers walk this list; they share no code with the engine.

export interface NetSpec {
  arch: 'residual' | 'plain';
  depth: number;
}

export interface ConvBn {
  conv: string; // weight name prefix, e.g. 'layer1.0.conv1'
  bn: string; // e.g. 'layer1.0.bn1'
  cin: number;
  cout: number;
  stride: number;
}

export interface Block {
  conv1: ConvBn;
  conv2: ConvBn;
  /** Option-A shortcut when the shape changes: stride-2 subsample, then (cout - cin) / 2 zero channels each side. */
  shortcut?: { stride: number; padEachSide: number };
  residual: boolean;
}

export interface Layout {
  stem: ConvBn;
  blocks: Block[];
  classes: number;
  /** Every BN layer name, in order (for running statistics). */
  bns: string[];
}

export function layout(spec: NetSpec, width = 16, classes = 10): Layout {
  if ((spec.depth - 2) % 6 !== 0) throw new Error(`depth ${spec.depth} is not 6n+2`);
  const n = (spec.depth - 2) / 6;
  const stem: ConvBn = { conv: 'conv1', bn: 'bn1', cin: 3, cout: width, stride: 1 };
  const blocks: Block[] = [];
  let cin = width;
  for (let s = 1; s <= 3; s++) {
    const planes = width << (s - 1);
    for (let i = 0; i < n; i++) {
      const stride = s > 1 && i === 0 ? 2 : 1;
      const name = `layer${s}.${i}`;
      const b: Block = {
        conv1: { conv: `${name}.conv1`, bn: `${name}.bn1`, cin, cout: planes, stride },
        conv2: { conv: `${name}.conv2`, bn: `${name}.bn2`, cin: planes, cout: planes, stride: 1 },
        residual: spec.arch === 'residual',
      };
      if (b.residual && (stride !== 1 || cin !== planes)) b.shortcut = { stride, padEachSide: (planes - cin) / 2 };
      blocks.push(b);
      cin = planes;
    }
  }
  const bns = [stem.bn, ...blocks.flatMap((b) => [b.conv1.bn, b.conv2.bn])];
  return { stem, blocks, classes, bns };
}

/** The training recipe shared by every framework (BN: PyTorch's momentum 0.1, eps 1e-5). */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** n / (n - 1) per BN layer (n = batch * H * W of its input): the running variance is the unbiased one. */
export function unbiasedFactors(lay: Layout, batch: number): Map<string, number> {
  const out = new Map<string, number>();
  const set = (bn: string, n: number) => out.set(bn, n / (n - 1));
  let hw = 32 * 32;
  set(lay.stem.bn, batch * hw);
  for (const b of lay.blocks) {
    if (b.conv1.stride === 2) hw /= 4;
    set(b.conv1.bn, batch * hw);
    set(b.conv2.bn, batch * hw);
  }
  return out;
}
