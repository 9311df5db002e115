// The trainer's device and what outlives its runs on it: the GPU device (made on first use, and again after a
// loss), a readback pool, and the dataset (decoded once and kept on the CPU; uploaded to the GPU, and uploaded
// again to a new device after a loss).
import { createGpu, type Gpu, type GpuErrorInfo } from '../gpu/gpu';
import { ReadbackPool } from '../gpu/readback';
import type { Cifar10 } from '../data/cifar';
import type { DataSource, GpuFacts } from './protocol';
import type { TrainerTuning } from './tuning';
import type { Post } from './outbox';
import { GpuDataset } from './gpuDataset';
import { cacheInBackground, loadFromSource, summarise } from './dataSource';
import { TrainerError } from './errors';

/** The 'ready' event's facts of a device: what the page says of its adapter, its tuning and why, its limits. */
export const readyFacts = (gpu: Gpu, tuning: TrainerTuning) => {
  const info = tuning.info(gpu);
  return {
    adapter: gpu.adapterLabel,
    profile: info.profile,
    profileWhy: info.why,
    maxBufferBytes: gpu.limits.maxBufferSize,
    tuning: info,
    gpu: gpuFacts(gpu),
  };
};

/** The adapter's words, every numeric limit of the device and its features (the GPU report). */
function gpuFacts(gpu: Gpu): GpuFacts {
  const limits: Record<string, number> = {};
  // GPUSupportedLimits' values are getters on its prototype: for..in walks them.
  for (const k in gpu.limits) {
    const v = (gpu.limits as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') limits[k] = v;
  }
  return { ...gpu.facts, limits, features: gpu.features, timestamps: gpu.hasTimestamps };
}

export interface DeviceOptions {
  /** Base URL for the 'server' source and relative URLs (defaults to the worker's own location). */
  baseUrl?: string;
  /** Keep loaded datasets in IndexedDB (default true). */
  cache?: boolean;
}

export class TrainerDevice {
  private gpu: Promise<Gpu> | undefined;
  private gpuNow: Gpu | undefined;
  private pool: ReadbackPool | undefined;
  private data: { data: Cifar10; source: string } | undefined;
  private dataset: GpuDataset | undefined;
  /** Bytes of the dataset kept in IndexedDB, as far as this session knows (read from or written to it, or cleared). */
  cachedDatasetBytes: number | undefined;

  constructor(
    private readonly post: Post,
    private readonly opts: DeviceOptions,
    /** Device errors (loss, uncaptured errors) of the device this made. */
    private readonly onError: (gpu: Gpu, e: GpuErrorInfo) => void,
    /** The kernel tuning: a forced profile, and the results kept for each new device. */
    readonly tuning: TrainerTuning,
  ) {}

  /** The device in use; undefined before the first one and after a loss. */
  get current(): Gpu | undefined {
    return this.gpuNow;
  }

  /** The readback pool of the current device (after ensureGpu). */
  get readback(): ReadbackPool {
    return this.pool!;
  }

  /** The device, made on first use; `announce` posts 'ready' when this call makes it. */
  ensureGpu(announce = true): Promise<Gpu> {
    if (!this.gpu) {
      const p = createGpu({ tuning: this.tuning.forced }).then(async (gpu) => {
        gpu.onError.add((e) => this.onError(gpu, e));
        await this.tuning.attach(gpu);
        this.gpuNow = gpu;
        this.pool = new ReadbackPool(gpu);
        if (announce) this.post({ type: 'ready', ...readyFacts(gpu, this.tuning) });
        return gpu;
      });
      p.catch(() => {
        if (this.gpu === p) this.gpu = undefined; // let a later command try again
      });
      this.gpu = p;
    }
    return this.gpu;
  }

  /** Forgets a lost device and the dataset on it; the next ensureGpu makes a new one, ensureDataset uploads again. */
  lose(): void {
    this.gpu = this.gpuNow = undefined;
    this.dataset = undefined;
  }

  /** Loads the dataset from `source`, posting progress at most every 100 ms, and uploads it. */
  async loadData(source: DataSource): Promise<void> {
    await this.ensureGpu();
    let last = 0;
    const loaded = await loadFromSource(
      source,
      (p, phase) => {
        const now = performance.now();
        if (now - last < 100 && p.bytesRead !== p.totalBytes) return;
        last = now;
        this.post({ type: 'dataProgress', bytesRead: p.bytesRead, totalBytes: p.totalBytes, imagesDecoded: p.imagesDecoded, phase });
      },
      this.opts.baseUrl ?? (typeof location !== 'undefined' ? location.href : undefined),
    );
    await this.installData(loaded.data, loaded.source);
    // In the background: training can start while the browser stores the copy. A failure only costs a reload.
    if (!loaded.cacheable) this.cachedDatasetBytes = loaded.data.train.images.length + loaded.data.test.images.length;
    else if (this.opts.cache !== false) void cacheInBackground(loaded.data, this.post).then((bytes) => (this.cachedDatasetBytes = bytes));
  }

  /** Uploads a decoded dataset; runs created from now on train on it. */
  async installData(data: Cifar10, source: string): Promise<void> {
    const gpu = await this.ensureGpu();
    const n = data.train.count + data.test.count;
    this.post({
      type: 'dataProgress',
      bytesRead: 0,
      totalBytes: data.train.images.length + data.test.images.length,
      imagesDecoded: n,
      phase: 'upload',
    });
    const next = GpuDataset.upload(gpu, data);
    this.dataset?.dispose(); // freed when the runs using it are deleted
    this.dataset = next;
    this.data = { data, source };
    this.post({ type: 'dataReady', summary: summarise(data, source) });
  }

  /** The dataset on the current device; a TrainerError when none was loaded. */
  async ensureDataset(): Promise<GpuDataset> {
    const gpu = await this.ensureGpu();
    if (!this.dataset && this.data) this.dataset = GpuDataset.upload(gpu, this.data.data); // after a device loss
    if (!this.dataset)
      throw new TrainerError('no-data', 'No dataset is loaded yet.', 'Load CIFAR-10 first (from the local server, a file, or a URL).');
    return this.dataset;
  }
}
