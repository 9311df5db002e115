// Helpers for the trainer tests: an event log with waits, run configs, the real CIFAR-10 subset through the
// Vitest server (/@fs/, allowed in vitest.config.ts), and small synthetic datasets.
import { loadCifar10, type Cifar10, type Split } from '../../src/data/cifar';
import type { RunConfig, WorkerEvent } from '../../src/train/protocol';

type Waiter = { pred: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void };

/** Every event posted, in order; wait() resolves with the first event after `from` that matches. */
export class EventLog {
  readonly list: WorkerEvent[] = [];
  private waiters: Waiter[] = [];

  readonly post = (e: WorkerEvent): void => {
    this.list.push(e);
    for (const w of [...this.waiters]) {
      if (w.pred(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  };

  wait<T extends WorkerEvent['type']>(
    type: T,
    pred: (e: Extract<WorkerEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 240_000,
    from = 0,
  ): Promise<Extract<WorkerEvent, { type: T }>> {
    const match = (e: WorkerEvent) => e.type === type && pred(e as Extract<WorkerEvent, { type: T }>);
    const seen = this.list.slice(from).find(match);
    if (seen) return Promise.resolve(seen as Extract<WorkerEvent, { type: T }>);
    return new Promise((resolve, reject) => {
      const w: Waiter = { pred: match, resolve: (e) => (clearTimeout(timer), resolve(e as Extract<WorkerEvent, { type: T }>)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        const errors = this.list.filter((e) => e.type === 'error');
        reject(new Error(`no '${type}' event within ${timeoutMs} ms; errors so far: ${JSON.stringify(errors)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  of<T extends WorkerEvent['type']>(type: T): Extract<WorkerEvent, { type: T }>[] {
    return this.list.filter((e) => e.type === type) as Extract<WorkerEvent, { type: T }>[];
  }
}

export function runConfig(over: Partial<RunConfig> = {}): RunConfig {
  return {
    model: { arch: 'residual', depth: 8, width: 8 },
    batchSize: 16,
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 5e-4,
    schedule: 'constant',
    warmupSteps: 0,
    steps: 100,
    seed: 1,
    augment: true,
    valCount: 0,
    evalEvery: 0,
    evalImages: 64,
    evalBnModes: ['eval'],
    ...over,
  };
}

/** Absolute path of the real archive: $CIFAR10_TARBALL, else ../shared/cifar10 next to the repository (vitest.config.ts). */
export const SUBSET_PATH: string = import.meta.env.CIFAR10_TARBALL;
export const SUBSET_URL = `/@fs${SUBSET_PATH}`;

/** Undefined when the Vitest server serves the archive, else what is wrong (for describeWith in tests/support/ci.ts). */
export async function subsetMissing(): Promise<string | undefined> {
  const help = 'put the CIFAR-10 subset at ../shared/cifar10/cifar-10-subset-binary.tar.gz or set CIFAR10_TARBALL';
  try {
    const res = await fetch(SUBSET_URL, { method: 'HEAD' });
    // For a file that does not exist, Vite answers 200 with its HTML page (the SPA fallback), not 404.
    const html = res.headers.get('Content-Type')?.startsWith('text/html');
    if (res.ok && !html) return undefined;
    const why = html ? 'no such file: the server answered with its HTML page' : `HTTP ${res.status}`;
    return `the real CIFAR-10 archive ${SUBSET_PATH} is not served (HEAD ${SUBSET_URL}: ${why}); ${help}`;
  } catch (e) {
    return `the real CIFAR-10 archive ${SUBSET_PATH} could not be fetched (HEAD ${SUBSET_URL}: ${String(e)}); ${help}`;
  }
}

export async function loadSubset(): Promise<Cifar10> {
  const res = await fetch(SUBSET_URL);
  if (!res.ok || !res.body) throw new Error(`${SUBSET_URL}: ${res.status}`);
  return loadCifar10(res.body, { name: 'cifar-10-subset-binary.tar.gz', totalBytes: Number(res.headers.get('Content-Length')) });
}

/** A synthetic dataset: the class is coded in the image (a bright band whose row depends on the label). */
export function syntheticCifar(trainCount: number, testCount: number, seed = 1): Cifar10 {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s >>> 24);
  const split = (count: number): Split => {
    const images = new Uint8Array(count * 3072);
    const labels = new Uint8Array(count);
    for (let n = 0; n < count; n++) {
      const l = n % 10;
      labels[n] = l;
      for (let i = 0; i < 3072; i++) {
        const row = (i >> 5) & 31;
        images[n * 3072 + i] = (rnd() >> 1) + (row >= l * 3 && row < l * 3 + 3 ? 120 : 0);
      }
    }
    return { count, images, labels };
  };
  return {
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    train: split(trainCount),
    test: split(testCount),
  };
}
