// The GPU report: what the app knows of this device, for gathering results from real GPUs into bench/GPU.md (the
// adapter's own words, its limits and features, the browser, the speed probe, and every tuning kept for it with
// each layer's candidate times). Built from the store only: nothing is measured to write it.
import { version } from '../../../package.json';
import type { EngineState } from '../store/types';
import { fileSafe } from './exportRun';

export interface GpuReport {
  fileName: string;
  json: Record<string, unknown>;
}

export function gpuReport(engine: EngineState, userAgent: string, now: Date): GpuReport {
  const tuning = engine.tuning;
  const json = {
    report: 'ResNet Playground GPU report',
    app: version,
    createdAt: now.toISOString(),
    browser: userAgent,
    adapter: engine.adapter ?? null,
    gpu: engine.gpu ?? null,
    speedProbe: engine.speedProbe ?? null,
    tuning: tuning
      ? {
          mode: tuning.mode,
          profile: tuning.profile,
          why: tuning.why,
          tuned: tuning.tuned,
          // The per-layer Tuning objects are the kernels' settings; the report keeps what was timed and chosen.
          results: tuning.results.map(({ choices: _choices, ...r }) => r),
        }
      : null,
  };
  const date = now.toISOString().slice(0, 10);
  return { fileName: `gpu-report-${fileSafe(engine.adapter ?? 'adapter')}-${date}.json`, json };
}
