// `bench`: the engine benchmark of `npm run bench` (same configurations, same measurement: src/train/benchmark.ts)
// on the adapter Dawn picks in Node, or the one --adapter names. Prints the adapter first, then the same JSON
// lines as the browser benchmark.
import { createEngine, WebGpuUnavailableError } from '../index';
import { benchConfig, benchLines, benchPlan, parseModelName } from '../train/benchmark';
import { helpText, parseArgs, UsageError, type Specs } from './args';
import { describeAdapter, installDawn, NO_ADAPTER } from './dawn';
import { autotuneBench } from '../train/autotuneBench';

export const BENCH_SPECS: Specs = {
  quick: { kind: 'switch', help: 'batches 4 and 8, 2 timed steps: a smoke run', default: false },
  batch: { kind: 'string', help: 'batch sizes, comma-separated (default 32,128; 4,8 with --quick)' },
  depth: { kind: 'int', help: 'depth of the ResNet and plain net', default: 20 },
  models: { kind: 'string', help: 'networks instead of --depth, comma-separated: resnet20,resnet56,plain20,...' },
  infer: { kind: 'int', help: 'also time eval-mode inference at this batch, once per network' },
  steps: { kind: 'int', help: 'timed steps per configuration, the median reported (default 3; 2 with --quick)' },
  warmup: { kind: 'int', help: 'untimed steps first', default: 1 },
  adapter: { kind: 'string', help: "GPU adapter: part of its name, or 'swiftshader'" },
  autotune: {
    kind: 'switch',
    help: 'tune the kernels per layer and print tuned vs fixed profiles (default the ResNet of --depth at batch 32; 8 with --quick)',
    default: false,
  },
  layers: { kind: 'switch', help: 'with --autotune: also print every candidate time of every layer', default: false },
};

const USAGE = 'usage: npm run bench:node -- [options]      (or: node dist-node/engine.mjs bench [options])';

export const BENCH_HELP = helpText(USAGE, BENCH_SPECS);

export interface BenchRequest {
  plan: ReturnType<typeof benchPlan>;
  adapter?: string;
  /** Autotuner lines instead of the plain benchmark (src/train/autotuneBench.ts). */
  autotune?: { layers: boolean; quick: boolean };
}

/** The options as a benchmark plan; a UsageError for anything wrong. */
export function benchRequest(argv: readonly string[]): BenchRequest | 'help' {
  const p = parseArgs(argv, BENCH_SPECS, 'bench');
  if (p.help) return 'help';
  if (p.batch !== undefined && !/^[1-9]\d*(,[1-9]\d*)*$/.test(p.batch as string))
    throw new UsageError(`bench: --batch must be batch sizes like 32,128, not '${p.batch}'`);
  for (const k of ['depth', 'steps'] as const)
    if (p[k] !== undefined && !((p[k] as number) > 0)) throw new UsageError(`bench: --${k} must be > 0, not ${p[k]}`);
  const models = (p.models as string | undefined)?.split(',');
  const bad = models?.find((m) => !parseModelName(m));
  if (bad !== undefined) throw new UsageError(`bench: --models takes names like resnet20,plain56, not '${bad}'`);
  if (p.infer !== undefined && !((p.infer as number) > 0)) throw new UsageError(`bench: --infer must be > 0, not ${p.infer}`);
  if (p.warmup !== undefined && (p.warmup as number) < 0) throw new UsageError(`bench: --warmup must be >= 0, not ${p.warmup}`);
  const autotune = p.autotune as boolean;
  const plan = benchPlan({
    quick: p.quick as boolean | undefined,
    batches: (p.batch as string | undefined)?.split(',').map(Number) ?? (autotune ? [p.quick ? 8 : 32] : undefined),
    models: models ?? (autotune ? [`resnet${p.depth as number}`] : undefined),
    depth: p.depth as number | undefined,
    steps: (p.steps as number | undefined) ?? (autotune ? 6 : undefined), // tuned vs fixed: within a few percent
    warmup: p.warmup as number | undefined,
    inferBatch: p.infer as number | undefined,
  });
  if (p.layers && !autotune) throw new UsageError('bench: --layers goes with --autotune');
  return {
    plan,
    adapter: p.adapter as string | undefined,
    ...(autotune ? { autotune: { layers: p.layers as boolean, quick: !!p.quick } } : {}),
  };
}

/** Measures every configuration of `req.plan`; returns the exit code (0 done, 1 failed). */
export async function runBench(req: BenchRequest): Promise<number> {
  const { plan } = req;
  const dawn = await installDawn({ adapter: req.adapter });
  try {
    const adapter = await describeAdapter(dawn.gpu);
    process.stdout.write(
      `${JSON.stringify({ adapter: adapter ?? null, runtime: `node ${process.versions.node}`, dawn: 'webgpu (dawn.node)' })}\n`,
    );
    const engine = await createEngine();
    try {
      for (const c of plan.configs)
        if (req.autotune) {
          const line = await autotuneBench(engine, c, { steps: plan.steps, warmup: plan.warmup, layers: req.autotune.layers });
          process.stdout.write(`${JSON.stringify(line)}\n`);
        } else for (const line of benchLines(await benchConfig(engine, c, plan.steps, plan.warmup))) process.stdout.write(`${line}\n`);
    } finally {
      engine.gpu.destroy();
    }
    return 0;
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    if (e instanceof WebGpuUnavailableError) process.stderr.write(NO_ADAPTER);
    return 1;
  } finally {
    dawn.uninstall();
  }
}
