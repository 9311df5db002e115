// The configuration of one network of the paper's CIFAR family (He et al. 2015, section 4.2).
export interface ModelConfig {
  arch: 'residual' | 'plain';
  /** 6n+2 for basic blocks (8, 14, 20, 32, 44, 56, 110, ...), 9n+2 for bottleneck blocks. */
  depth: number;
  /** Filters of the first stage; stages have width, 2*width, 4*width. Default 16. */
  width?: number;
  /** 'A': strided identity with zero-padded channels (the paper's CIFAR choice); 'B': 1x1 conv + BN projection. Default 'A'. */
  shortcut?: 'A' | 'B';
  /** Default true. Without BN every convolution has a bias. */
  batchNorm?: boolean;
  /** Default 10. */
  classes?: number;
  /** 'basic' (two 3x3 convs) or 'bottleneck' (1x1 reduce, 3x3, 1x1 expand x4). Default 'basic'. */
  block?: 'basic' | 'bottleneck';
}

export type ResolvedConfig = Required<ModelConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Fills defaults and checks the depth rule; throws ConfigError with a message fit for the UI. */
export function resolveConfig(c: ModelConfig): ResolvedConfig {
  const r: ResolvedConfig = {
    arch: c.arch,
    depth: c.depth,
    width: c.width ?? 16,
    shortcut: c.shortcut ?? 'A',
    batchNorm: c.batchNorm ?? true,
    classes: c.classes ?? 10,
    block: c.block ?? 'basic',
  };
  if (r.arch !== 'residual' && r.arch !== 'plain') throw new ConfigError(`arch must be 'residual' or 'plain', not '${String(r.arch)}'`);
  const per = r.block === 'bottleneck' ? 9 : 6;
  if (!Number.isInteger(r.depth) || r.depth < per + 2 || (r.depth - 2) % per !== 0) {
    throw new ConfigError(
      `depth ${r.depth} is not of the form ${per}n+2 (n >= 1) for ${r.block} blocks; try ${r.block === 'bottleneck' ? '11, 20, 29, 164' : '8, 20, 32, 44, 56, 110'}`,
    );
  }
  if (!Number.isInteger(r.width) || r.width < 1 || r.width > 256)
    throw new ConfigError(`width must be an integer in 1..256, not ${r.width}`);
  if (r.shortcut !== 'A' && r.shortcut !== 'B') throw new ConfigError(`shortcut must be 'A' or 'B'`);
  if (!Number.isInteger(r.classes) || r.classes < 2) throw new ConfigError(`classes must be an integer >= 2`);
  return r;
}

/** Blocks per stage. */
export const blocksPerStage = (r: ResolvedConfig) => (r.depth - 2) / (r.block === 'bottleneck' ? 9 : 6);
