// The shapes the UI keeps. Everything here came from protocol messages or from the user; no GPU objects.
import type {
  DatasetSummary,
  ErrorCode,
  EvalPoint,
  LayerNorms,
  MetricPoint,
  RunConfig,
  RunState,
  SpeedProbe,
  GpuFacts,
  TuningInfo,
  WorkerEvent,
} from '../../train/protocol';
import type { FormConfig } from '../lib/formConfig';

export interface RunView {
  id: string;
  name: string;
  /** The form the run was started from (absent for a checkpoint whose config the page has not seen). */
  form?: FormConfig;
  config?: RunConfig;
  groupId?: string;
  createdAt: number;
  state: RunState;
  /** False for runs restored from storage or left behind by a restarted worker: charts only. */
  live: boolean;
  step: number;
  totalSteps: number;
  epoch: number;
  paramCount: number;
  gpuBytes: number;
  metrics: MetricPoint[];
  evals: EvalPoint[];
  /**
   * Per-layer weight and gradient norms, oldest first, the latest last (the chart draws the latest); at most
   * MAX_NORM_SAMPLES. Absent until the worker reports some.
   */
  layerNorms?: LayerNorms[];
  elapsedMs: number;
  /** Time (ms since epoch) the run last entered 'training'; undefined while not training. */
  trainingSince?: number;
  /** A checkpoint of this run is stored in the browser. */
  hasCheckpoint: boolean;
  /** The step of that checkpoint, when known. */
  checkpointStep?: number;
  /** Restored from storage after the page went away while it was training or paused: it can be resumed. */
  interrupted?: boolean;
  /**
   * Made from a checkpoint file the worker has not accepted yet (it is 'paused' or 'done' once accepted). A failed
   * load removes the run (store/events.ts), and it is not stored in the browser before then (persistSync.ts).
   */
  pendingLoad?: boolean;
  error?: string;
}

export interface Alert {
  id: number;
  code: ErrorCode;
  message: string;
  advice: string;
  runId?: string;
  /** The name of the run it concerns, at the time it happened. */
  runName?: string;
}

export interface DataProgress {
  phase: 'download' | 'decode' | 'upload' | 'cache';
  bytesRead: number;
  totalBytes?: number;
  imagesDecoded: number;
}

export interface DataState {
  status: 'none' | 'loading' | 'ready' | 'error';
  /** What is being loaded, in words ("server copy", a file name, a URL, "browser cache"). */
  loadingFrom?: string;
  /** True while the page quietly tries the browser cache at start-up: failures are not shown. */
  quiet: boolean;
  progress?: DataProgress;
  /** The worker is storing the loaded dataset in the browser (IndexedDB) for the next visit. */
  caching?: boolean;
  /** Whether that copy was written (true: a reload loads it from there) or failed; undefined before it ends. */
  cacheKept?: boolean;
  summary?: DatasetSummary;
  error?: { message: string; advice: string };
}

/** A 'predictions' event as the UI keeps it, with the step the run was at when they were asked for. */
export type Predictions = Omit<Extract<WorkerEvent, { type: 'predictions' }>, 'type'> & { step: number };

export interface EngineState {
  /** 'lost': the GPU device was lost; the worker must be restarted. */
  status: 'starting' | 'ready' | 'lost' | 'failed';
  /** The page's words for the adapter (src/gpu/gpu.ts describeAdapter). */
  adapter?: string;
  /** The kernels' tuning profile and why it was chosen (src/gpu/tuning.ts profileChoice, or the autotuner's result). */
  profile?: 'gpu' | 'cpu';
  profileWhy?: string;
  /** The kernel tuning in effect and every result kept for this adapter (src/train/tuning.ts). */
  tuning?: TuningInfo;
  /** The adapter's words, limits and features (the GPU report). */
  gpu?: GpuFacts;
  /** The tuning running now: how far it is. */
  tuneProgress?: { model: string; batch: number; done: number; total: number; layer: string };
  /** How the last tuning ended when not with a result (cancelled, failed, not kept by the browser). */
  tuneNote?: string;
  maxBufferBytes?: number;
  /** The worker's speed probe at start (src/train/speedProbe.ts), or why it failed; undefined while it runs. */
  speedProbe?: SpeedProbe;
  speedProbeError?: string;
  /** A speed probe was asked for and has not answered yet. */
  speedProbing?: boolean;
  /** A fault the app cannot work around (no WebGPU, adapter too small): shown full page. */
  fatal?: { code: ErrorCode; message: string; advice: string };
}

// --- the store's slices (src/ui/store/index.ts builds them; events.ts reduces worker events over them) ---

export interface EngineSlice {
  engine: EngineState;
}
export interface DataSlice {
  data: DataState;
}
export interface FormSlice {
  form: FormConfig;
  setForm: (patch: Partial<FormConfig>) => void;
}
export interface RunsSlice {
  runs: Record<string, RunView>;
  /** Run ids in creation order. */
  order: string[];
  selectedId?: string;
  select: (id: string | undefined) => void;
  addRun: (r: RunView) => void;
  patchRun: (id: string, patch: Partial<RunView>) => void;
  removeRun: (id: string) => void;
}
export interface AlertsSlice {
  alerts: Alert[];
  pushAlert: (a: Omit<Alert, 'id'>) => void;
  dismissAlert: (id: number) => void;
}
export interface ViewSlice {
  bnMode: 'eval' | 'train';
  smoothing: number;
  predictions?: Predictions;
  predicting: boolean;
  setView: (patch: Partial<Pick<ViewSlice, 'bnMode' | 'smoothing' | 'predicting'>>) => void;
}

export type AppState = EngineSlice &
  DataSlice &
  FormSlice &
  RunsSlice &
  AlertsSlice &
  ViewSlice & { applyEvents: (events: WorkerEvent[]) => void };
