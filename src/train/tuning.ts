// The trainer's kernel tuning: which mode the page asked for (?tuning=auto|cpu|gpu, or the default: tune
// automatically on a hardware adapter, on request on a CPU one, where it takes about a minute), the results kept
// for this adapter (src/tune/cache.ts), and the tuning runs themselves (src/tune/autotune.ts), each put into
// effect on the device for every network built after it.
import type { Gpu } from '../gpu/gpu';
import { TUNINGS, type Profile } from '../gpu/tuning';
import type { ModelConfig } from '../model/config';
import { applyTuning, autotune, modelName, trainingGraph, TuneCancelled, tunableLayers, type TuneResult } from '../tune/autotune';
import { loadTunings, saveTunings, tuningCacheKey } from '../tune/cache';
import type { Post } from './outbox';
import type { TuningInfo, TuningMode } from './protocol';
import { TrainerError } from './errors';

export class TrainerTuning {
  private mode: TuningMode | undefined;
  private results: TuneResult[] = [];
  private key = '';
  private abort: AbortController | undefined;
  /** The user cancelled an automatic tuning: no more automatic ones this session. */
  private declined = false;
  /** The rule's profile and words, before any tuning was applied (what a re-run tunes from). */
  private rule: { profile: Profile; why: string } | undefined;

  constructor(private readonly post: Post) {}

  /** The mode the page asked for; undefined: the default for the adapter. Set before the device is made. */
  setMode(mode: TuningMode | undefined): void {
    this.mode = mode;
  }

  /** The fixed profile the page forces, if it forces one (createGpu's `tuning`). */
  get forced(): Profile | undefined {
    return this.mode === 'cpu' || this.mode === 'gpu' ? this.mode : undefined;
  }

  /** On a new device: the results kept for it, put into effect (unless a fixed profile is forced). */
  async attach(gpu: Gpu): Promise<void> {
    this.rule = { profile: gpu.tuning.profile, why: gpu.profileWhy };
    this.key = tuningCacheKey(gpu);
    this.results = this.forced ? [] : await loadTunings(this.key);
    if (this.results.length > 0) applyTuning(gpu, this.results);
  }

  private effectiveMode(): TuningMode {
    return this.mode ?? (this.rule?.profile === 'gpu' ? 'auto' : 'manual');
  }

  info(gpu: Gpu): TuningInfo {
    return {
      mode: this.effectiveMode(),
      profile: gpu.tuning.profile,
      why: this.forced ? `the '${this.forced}' profile, forced by ?tuning=${this.forced}` : gpu.profileWhy,
      tuned: !!gpu.layers && gpu.layers.size > 0,
      results: this.results,
      running: !!this.abort,
    };
  }

  /** Whether results kept cover every tunable layer of `model` at `batch`. */
  covers(model: ModelConfig, batch: number): boolean {
    const keys = new Set(this.results.flatMap((r) => r.layers.filter((l) => l.chosen).map((l) => l.key)));
    const g = trainingGraph(model, batch);
    return tunableLayers(g, TUNINGS[this.rule?.profile ?? 'gpu'], false).every((l) => keys.has(l.key));
  }

  /** Before a run is built: in 'auto' mode, tune its network and batch unless that is kept or was declined. */
  async beforeRun(gpu: Gpu, model: ModelConfig, batch: number): Promise<void> {
    if (this.effectiveMode() !== 'auto' || this.declined || this.abort || this.covers(model, batch)) return;
    try {
      await this.tune(gpu, model, batch, []);
    } catch (e) {
      // A failed or cancelled automatic tuning costs the run nothing: it is built with the profile as it stands.
      if (e instanceof TuneCancelled) this.declined = true;
      else this.post({ type: 'tuneEnded', outcome: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  }

  /**
   * Tunes `model` at `batch` (the user asked, or beforeRun), with progress at most every 100 ms; the result is kept
   * and applied, and posted as a 'tuning' event. `training`: runs now training, which would share the GPU.
   */
  async tune(gpu: Gpu, model: ModelConfig, batch: number, training: string[]): Promise<void> {
    if (this.forced)
      throw new TrainerError(
        'bad-config',
        `The '${this.forced}' profile is forced by ?tuning=${this.forced}, so kernels are not tuned.`,
        'Open the page without ?tuning= (or with ?tuning=auto) to tune.',
      );
    if (this.abort) throw new TrainerError('bad-config', 'A tuning is running already.', 'Wait for it to finish, or cancel it.');
    if (training.length > 0)
      throw new TrainerError(
        'bad-config',
        `Tuning times kernels and needs the GPU to itself, but ${training.join(', ')} ${training.length > 1 ? 'are' : 'is'} training.`,
        'Pause the training runs, then tune.',
      );
    const abort = new AbortController();
    this.abort = abort;
    let last = 0;
    const name = modelName(model);
    this.post({ type: 'tuneProgress', model: name, batch, done: 0, total: 1, layer: '' });
    try {
      // From the adapter's rule, never from an earlier tuning: the candidates and the fixed profiles are the rule's.
      const base: Gpu = { ...gpu, tuning: TUNINGS[this.rule?.profile ?? gpu.tuning.profile], layers: undefined };
      const r = await autotune(base, model, batch, {
        signal: abort.signal,
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 100) return;
          last = now;
          this.post({ type: 'tuneProgress', model: name, batch, ...p });
        },
      });
      const kept = this.results.filter((x) => x.model !== r.model || x.batch !== r.batch);
      this.results = [...kept, r];
      applyTuning(gpu, this.results);
      const saved = await saveTunings(this.key, this.results);
      this.abort = undefined;
      this.post({
        type: 'tuneEnded',
        outcome: 'done',
        ...(saved ? {} : { message: 'The browser did not keep the tuning: it runs again next visit.' }),
      });
      this.post({ type: 'tuning', info: this.info(gpu) });
    } catch (e) {
      this.abort = undefined;
      if (e instanceof TuneCancelled) this.post({ type: 'tuneEnded', outcome: 'cancelled' });
      throw e;
    }
  }

  /** Stops the tuning that runs (handled at once, not after the commands queued before it). */
  cancel(): void {
    this.abort?.abort();
  }
}
