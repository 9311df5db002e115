// The configuration of one network: the paper's CIFAR family (He et al. 2015, section 4.2) or its ImageNet
// family (Table 1: ResNet-18/34/50/101/152), each residual or plain.
export interface ModelConfig {
  arch: 'residual' | 'plain';
  /**
   * CIFAR: 6n+2 for basic blocks (8, 14, 20, 32, 44, 56, 110, ...), 9n+2 for bottleneck blocks.
   * ImageNet: 18 or 34 (basic blocks), 50, 101 or 152 (bottlenecks).
   */
  depth: number;
  /** 'cifar' (default): three stages on 32x32 images; 'imagenet': Table 1's four stages, torchvision's names. */
  family?: 'cifar' | 'imagenet';
  /** Filters of the first stage; stages double it. Default 16 (CIFAR), 64 (ImageNet). */
  width?: number;
  /**
   * 'A': strided identity with zero-padded channels (the paper's CIFAR choice); 'B': 1x1 conv + BN projection
   * where the shape changes (torchvision's `downsample`). Default 'A' (CIFAR), 'B' (ImageNet).
   */
  shortcut?: 'A' | 'B';
  /** Default true. Without BN every convolution has a bias. */
  batchNorm?: boolean;
  /** Default 10 (CIFAR), 1000 (ImageNet). */
  classes?: number;
  /** 'basic' (two 3x3 convs) or 'bottleneck' (1x1 reduce, 3x3, 1x1 expand x4). CIFAR default 'basic'; ImageNet: by depth. */
  block?: 'basic' | 'bottleneck';
  /**
   * ImageNet family: 'imagenet' (default): 7x7 stride-2 conv and 3x3 stride-2 max-pool, for inputs of 64 pixels and
   * up; 'cifar': a 3x3 stride-1 conv and no pool, as the CIFAR reproductions of ResNet-18 use on 32x32 images.
   * The CIFAR family always has its 3x3 stem.
   */
  stem?: 'imagenet' | 'cifar';
  /**
   * Where a downsampling bottleneck strides: '3x3' (default; torchvision's "ResNet v1.5", whose weights users
   * have) or '1x1' (its first 1x1 convolution, as the paper). Basic blocks stride on their first 3x3 either way.
   */
  strideAt?: '3x3' | '1x1';
}

export type ResolvedConfig = Required<ModelConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Table 1's blocks per stage, by depth. */
export const IMAGENET_BLOCKS: Readonly<Record<number, readonly number[]>> = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 6, 3],
  101: [3, 4, 23, 3],
  152: [3, 8, 36, 3],
};
export const IMAGENET_DEPTHS = [18, 34, 50, 101, 152] as const;

/** Fills defaults and checks the depth rule; throws ConfigError with a message fit for the UI. */
export function resolveConfig(c: ModelConfig): ResolvedConfig {
  const family = c.family ?? 'cifar';
  if (family !== 'cifar' && family !== 'imagenet') throw new ConfigError(`family must be 'cifar' or 'imagenet', not '${String(family)}'`);
  const imagenet = family === 'imagenet';
  const r: ResolvedConfig = {
    arch: c.arch,
    depth: c.depth,
    family,
    width: c.width ?? (imagenet ? 64 : 16),
    shortcut: c.shortcut ?? (imagenet ? 'B' : 'A'),
    batchNorm: c.batchNorm ?? true,
    classes: c.classes ?? (imagenet ? 1000 : 10),
    block: c.block ?? (imagenet && c.depth >= 50 ? 'bottleneck' : 'basic'),
    stem: c.stem ?? 'imagenet',
    strideAt: c.strideAt ?? '3x3',
  };
  if (r.arch !== 'residual' && r.arch !== 'plain') throw new ConfigError(`arch must be 'residual' or 'plain', not '${String(r.arch)}'`);
  if (imagenet) {
    if (!IMAGENET_BLOCKS[r.depth])
      throw new ConfigError(`the ImageNet family has depths ${IMAGENET_DEPTHS.join(', ')} (Table 1), not ${r.depth}`);
    const want = r.depth >= 50 ? 'bottleneck' : 'basic';
    if (r.block !== want) throw new ConfigError(`ResNet-${r.depth} has ${want} blocks (Table 1), not ${r.block} ones`);
  } else {
    const per = r.block === 'bottleneck' ? 9 : 6;
    if (!Number.isInteger(r.depth) || r.depth < per + 2 || (r.depth - 2) % per !== 0) {
      throw new ConfigError(
        `depth ${r.depth} is not of the form ${per}n+2 (n >= 1) for ${r.block} blocks; try ${r.block === 'bottleneck' ? '11, 20, 29, 164' : '8, 20, 32, 44, 56, 110'}`,
      );
    }
    if (c.stem !== undefined && c.stem !== 'cifar' && c.stem !== 'imagenet') throw new ConfigError(`stem must be 'imagenet' or 'cifar'`);
    r.stem = 'cifar'; // the CIFAR family has one stem
  }
  if (!Number.isInteger(r.width) || r.width < 1 || r.width > 256)
    throw new ConfigError(`width must be an integer in 1..256, not ${r.width}`);
  if (r.shortcut !== 'A' && r.shortcut !== 'B') throw new ConfigError(`shortcut must be 'A' or 'B'`);
  if (!Number.isInteger(r.classes) || r.classes < 2) throw new ConfigError(`classes must be an integer >= 2`);
  if (r.stem !== 'imagenet' && r.stem !== 'cifar') throw new ConfigError(`stem must be 'imagenet' or 'cifar', not '${String(r.stem)}'`);
  if (r.strideAt !== '3x3' && r.strideAt !== '1x1') throw new ConfigError(`strideAt must be '3x3' or '1x1', not '${String(r.strideAt)}'`);
  return r;
}

/** Blocks of each stage, input to output. */
export const stageBlocks = (r: ResolvedConfig): readonly number[] =>
  r.family === 'imagenet' ? IMAGENET_BLOCKS[r.depth] : Array(3).fill((r.depth - 2) / (r.block === 'bottleneck' ? 9 : 6));
