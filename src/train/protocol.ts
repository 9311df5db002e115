// The typed messages between the UI (src/ui/trainerClient.ts) and the training worker (src/train/worker.ts).
// This file is the whole contract: the UI imports nothing else from src/train, and holds no GPU objects.
import type { ModelConfig } from '../model/config';
import type { GpuFacts, TuningInfo, TuningMode } from './protocolTuning';
import type { MemoryPlanEvent } from './protocolMemory';

export type RunId = string;

/** Everything that defines a training run; the same config and seed give the same loss curve. */
export type { GpuFacts, TuningInfo, TuningMode, TuneResult } from './protocolTuning';
export type { MemoryPlanEvent, MemoryPlanFigures } from './protocolMemory';

export interface RunConfig {
  model: ModelConfig;
  batchSize: number;
  /** Peak learning rate (after warm-up). */
  lr: number;
  momentum: number;
  weightDecay: number;
  /** 'step': divide by 10 at 50% and 75% of the run (the paper's 32k/48k of 64k); 'cosine'; 'constant'. */
  schedule: 'step' | 'cosine' | 'constant';
  /** Linear warm-up from warmupLr to lr over this many steps (0 = none; the paper warms ResNet-110 at 0.01). */
  warmupSteps: number;
  warmupLr?: number;
  /** Length of the run: steps, or epochs over the training split (steps wins when both are set). */
  steps?: number;
  epochs?: number;
  seed: number;
  /** Pad-4 random crop + horizontal flip. */
  augment: boolean;
  /** Hold out this many training images as a validation split (the paper's 5,000), 0 for none. */
  valCount: number;
  /** Evaluate on the test split every this many steps (0 = only at the end). */
  evalEvery: number;
  /** Test images per evaluation (0 = the whole test split). */
  evalImages: number;
  /** BN modes used for the periodic test evaluation. */
  evalBnModes: ('eval' | 'train')[];
  /**
   * Activation recomputation: keep the output of every this many blocks and recompute the rest in backward
   * (peak memory ~sqrt(depth), about one extra forward pass); 'auto': only when the plan would not fit the
   * adapter; 0 or absent: off.
   */
  recompute?: 'auto' | number;
  /** Train on this many images of the training split (after the validation hold-out), as many of each class; absent: all. */
  trainImages?: number;
  /** A labelled subset of CIFAR-10: these class ids become labels 0..k-1 (model.classes must be k); absent: all ten. */
  classes?: number[];
  /** Input height = width (default 32); the 32x32 images are enlarged to it (bilinear). */
  imageSize?: number;
  /** A fine-tuned run: its weights came from `from` (loaded by name, the head re-initialised); 'head': SGD updates fc only. */
  fineTune?: { from: string; train: 'head' | 'all' };
}

/** One image at its native size: RGBA bytes, row-major, width x height x 4 (as canvas getImageData gives them). */
export interface NativeImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** The user's own labelled images at native size (the worker resizes them to 32x32 on its GPU) and labels 0..k-1. */
export interface LabelledImages {
  classNames: string[];
  images: NativeImage[];
  labels: Uint8Array;
}

/** The weights a fine-tune run starts from: a run in this worker, or a checkpoint file. */
export type WeightsSource = { kind: 'run'; runId: RunId } | { kind: 'file'; bytes: ArrayBuffer };

/** Where { kind: 'server' } loads CIFAR-10 from: the page's own server (vite.config.ts serves it). */
export const SERVER_DATA_URL = '/data/cifar10.tar.gz';

export type DataSource = { kind: 'server' } | { kind: 'url'; url: string } | { kind: 'file'; file: Blob; name: string } | { kind: 'cache' };

export type Command =
  /** `tuning`: ?tuning= of the page: 'auto' tunes before a run's network is built, 'cpu'/'gpu' force a fixed profile. */
  | { type: 'init'; tuning?: TuningMode }
  /** Times every layer's kernel variants of `model` at `batch` (tuneProgress, tuneEnded, tuning); tuneCancel: at once. */
  | { type: 'tune'; model: ModelConfig; batch: number }
  | { type: 'tuneCancel' }
  /** Times a few seconds of training steps (src/train/speedProbe.ts); answered by 'speed'. */
  | { type: 'measureSpeed' }
  | { type: 'loadData'; source: DataSource }
  | { type: 'createRun'; runId: RunId; name: string; config: RunConfig; start: boolean }
  /** Twin runs trained interleaved step by step on the same device with the same seed and batches. */
  | { type: 'createGroup'; runs: { runId: RunId; name: string; config: RunConfig }[]; start: boolean }
  /** `with`: other runs paused in the same instant (a compare pair), at the same step. */
  | { type: 'pause'; runId: RunId; with?: RunId[] }
  /**
   * `with`: other runs resumed in the same instant (a compare pair), so the loop's next round steps all of them and
   * they stay at the same step; separate commands would let the first take a step before the next is handled.
   */
  | { type: 'resume'; runId: RunId; with?: RunId[] }
  | { type: 'stop'; runId: RunId }
  | { type: 'step'; runId: RunId; count: number }
  | { type: 'setLr'; runId: RunId; lr: number }
  | { type: 'evaluate'; runId: RunId; split: 'test' | 'val'; bnModes: ('eval' | 'train')[] }
  | { type: 'predict'; runId: RunId; count: number; bnMode: 'eval' | 'train' }
  /** A checkpoint of the run now: answered by a 'checkpoint' event, or an 'error', carrying the same requestId. */
  | { type: 'save'; runId: RunId; requestId: string }
  /** A checkpoint becomes a paused run. `bare`: settings for a bare state dict (its network: model/stateDictModel.ts). */
  | { type: 'load'; runId: RunId; name: string; bytes: ArrayBuffer; bare?: RunConfig }
  /** The run's name from now on (its checkpoints' metadata and file names follow it). */
  | { type: 'rename'; runId: RunId; name: string }
  | { type: 'deleteRun'; runId: RunId }
  /** How much the worker keeps in the browser (answered by a 'storage' event). */
  | { type: 'storageInfo' }
  /** Drops the decoded dataset kept in IndexedDB (the loaded copy stays usable); answered by a 'storage' event. */
  | { type: 'clearDatasetCache' }
  /** A new run (config.fineTune set) whose weights load by name from `from`; layers whose shape differs (the head) keep their fresh initialisation. */
  | {
      type: 'fineTune';
      runId: RunId;
      name: string;
      config: RunConfig;
      from: WeightsSource;
      start: boolean;
      /** Train and test on these images (a fifth of each class held out for testing) instead of CIFAR-10. */
      images?: LabelledImages;
      /** A from-scratch twin on the same images (needed with `images`: they exist only in this command). */
      twin?: { runId: RunId; name: string; config: RunConfig };
    }
  /** Plans a config's training step without building it: memory with and without recomputation (answer: 'memoryPlan'). */
  | { type: 'planMemory'; requestId: string; config: RunConfig }
  // The analysis lab (src/train/lab.ts): each answered by the event of the same type, or an 'error' for the run.
  /** Layer responses on a fixed batch of the first `images` test images (He et al. Fig. 7). */
  | { type: 'labResponses'; runId: RunId; images: number }
  /** Test error with each block removed in turn (Veit et al. 2016), over the first `images` test images. */
  | { type: 'labLesion'; runId: RunId; images: number }
  /** Replace the BN running statistics with their average over `batches` training batches; accuracy before/after. */
  | { type: 'labReestimateBn'; runId: RunId; batches: number; images: number }
  /** Histograms of one 3x3 layer's activations before and after BN ('' = the first layer), first `images` test images. */
  | { type: 'labHistogram'; runId: RunId; layer: string; bins: number; images: number }
  /** GPU time per kernel of one forward + backward pass at the run's batch size (timestamp queries). */
  | { type: 'labProfile'; runId: RunId }
  /**
   * Loss landscape on `batches` fixed training batches: '1d' interpolates from the initial to the current weights
   * (a from -0.5 to 1.5, `size` points); '2d' a size x size grid over [-1, 1]^2 along two filter-normalised random
   * directions around the current weights. Progress comes as labProgress; labCancel stops it.
   */
  | { type: 'labLandscape'; runId: RunId; mode: '1d' | '2d'; size: number; batches: number }
  | { type: 'labCancel'; runId: RunId }
  /** Class activation maps (Grad-CAM on the last stage) of test image `index` (the order predictions show them). */
  | { type: 'labSaliency'; runId: RunId; index: number };

/**
 * 'evaluating': the run took its last step and its final evaluation is running; 'done' follows once it is posted.
 * Every state is posted after the metric points up to its step (src/train/lifecycle.ts).
 */
export type RunState = 'building' | 'ready' | 'training' | 'evaluating' | 'paused' | 'done' | 'stopped' | 'error';

/** A speed probe's result: `steps` training steps of `model` at `batch` on random images took `ms`. */
export interface SpeedProbe {
  model: string;
  batch: number;
  steps: number;
  ms: number;
  imagesPerSec: number;
  /** Multiply-adds of one training image (3 forward passes: forward, and a backward twice its size). */
  trainMacsPerImage: number;
}

/** One point per logged training step (batched into 'metrics' messages at most ~10 per second). */
export interface MetricPoint {
  runId: RunId;
  step: number;
  epoch: number;
  lr: number;
  /** Loss and accuracy of this step's batch (train-mode BN, augmented images). */
  trainLoss: number;
  trainAcc: number;
  imagesPerSec: number;
  gpuBytes: number;
}

export interface EvalPoint {
  runId: RunId;
  step: number;
  epoch: number;
  split: 'test' | 'val';
  bnMode: 'eval' | 'train';
  loss: number;
  accuracy: number;
  images: number;
}

/**
 * L2 norms of every weight tensor (the convolutions from input to output, then the fc layer) and of its
 * gradient at one training step (the batch's gradient, before weight decay and momentum): whether the
 * gradient still reaches the first layers. Sent with the metrics, at most about twice a second per run.
 */
export interface LayerNorms {
  runId: RunId;
  /** The step these gradients belong to (1-based, like MetricPoint.step). */
  step: number;
  /** PyTorch names of the weight tensors, input to output: conv1.weight, layer1.0.conv1.weight, ..., fc.weight. */
  layers: string[];
  grad: number[];
  weight: number[];
}

/** The std of a 3x3 layer's response (after BN, before ReLU or the addition) over a fixed batch of test images. */
export interface LabLayerResponse {
  name: string;
  std: number;
}
/** A residual block's ||F(x)|| / ||x|| (x: what F(x) is added to) over the same batch. */
export interface LabBlockRatio {
  name: string;
  ratio: number;
}
/** Test error (0..1) with the block removed (its output is its shortcut). */
export interface LabLesion {
  name: string;
  error: number;
}

/** Counts in equal bins over [lo, hi) (values outside in the end bins), and the tensor's mean and std. */
export interface LabHistogram {
  lo: number;
  hi: number;
  counts: number[];
  mean: number;
  std: number;
}

export interface DatasetSummary {
  classNames: string[];
  trainCount: number;
  testCount: number;
  /** A few training images for display: count x 3072 bytes (CHW planes) and their labels. */
  samples: { pixels: Uint8Array; labels: Uint8Array };
  source: string;
}

export type ErrorCode =
  | 'no-webgpu'
  | 'device-lost'
  | 'out-of-memory'
  | 'gpu-limits'
  | 'nan-loss'
  | 'bad-data'
  | 'bad-config'
  | 'bad-checkpoint'
  | 'no-data'
  /** The browser refused to store something (QuotaExceededError); training goes on without it. */
  | 'storage-full'
  | 'internal';

export type WorkerEvent =
  /** adapter: the page's words for it (describeAdapter); profile: the kernels' tuning profile and why it was chosen. */
  | {
      type: 'ready';
      adapter: string;
      profile: 'gpu' | 'cpu';
      profileWhy: string;
      maxBufferBytes: number;
      tuning: TuningInfo;
      gpu: GpuFacts;
    }
  /** A tuning's progress, its end ('done' comes before the 'tuning' event with its result), the tuning in effect. */
  | { type: 'tuneProgress'; model: string; batch: number; done: number; total: number; layer: string }
  | { type: 'tuneEnded'; outcome: 'done' | 'cancelled' | 'failed'; message?: string }
  | { type: 'tuning'; info: TuningInfo }
  | {
      type: 'dataProgress';
      bytesRead: number;
      totalBytes?: number;
      imagesDecoded: number;
      phase: 'download' | 'decode' | 'upload' | 'cache';
      /** The cache phase's last event: whether the copy is written (a reload then loads it), or failed. */
      kept?: boolean;
    }
  | { type: 'dataReady'; summary: DatasetSummary }
  /** The answer to 'measureSpeed': what the probe measured, or why it could not (the page then waits for a run's speed). */
  | { type: 'speed'; probe?: SpeedProbe; error?: string }
  | {
      type: 'runState';
      runId: RunId;
      state: RunState;
      step: number;
      totalSteps: number;
      epoch: number;
      paramCount: number;
      gpuBytes: number;
    }
  | { type: 'metrics'; points: MetricPoint[] }
  | MemoryPlanEvent
  | { type: 'layerNorms'; points: LayerNorms[] }
  | { type: 'evaluation'; points: EvalPoint[] }
  | {
      type: 'predictions';
      runId: RunId;
      /** The step whose weights were measured. */
      step: number;
      bnMode: 'eval' | 'train';
      pixels: Uint8Array;
      labels: Uint8Array;
      predicted: Uint8Array;
      confusion: number[][];
      accuracy: number;
    }
  /** The answer to 'save' `requestId`: the run's weights at `step`. */
  | { type: 'checkpoint'; runId: RunId; requestId: string; step: number; fileName: string; bytes: ArrayBuffer }
  /** What the worker keeps in the browser: the dataset cache's bytes (undefined: not known in this session). */
  | { type: 'storage'; datasetBytes: number | undefined }
  | { type: 'labResponses'; runId: RunId; step: number; images: number; layers: LabLayerResponse[]; blocks: LabBlockRatio[] }
  | { type: 'labLesion'; runId: RunId; step: number; images: number; baselineError: number; blocks: LabLesion[] }
  | {
      type: 'labBn';
      runId: RunId;
      step: number;
      batches: number;
      images: number;
      before: { eval: number; train: number };
      after: { eval: number; train: number };
    }
  /** `layers`: the 3x3 layers with BN, for choosing another. */
  | {
      type: 'labHistogram';
      runId: RunId;
      step: number;
      images: number;
      layer: string;
      layers: string[];
      before: LabHistogram;
      after: LabHistogram;
      /** Per channel: the batch's mean and (biased) variance of the BN input against the running statistics. */
      channels?: { batchMean: number[]; batchVar: number[]; runningMean: number[]; runningVar: number[] };
    }
  /**
   * One entry per node of a forward + backward pass: label `${opKind} ${nodeName}`, GPU time (0 and `timestamps`
   * false when the adapter has no timestamp queries), and the static cost model's FLOPs and bytes (src/kernels/cost.ts).
   */
  | {
      type: 'labProfile';
      runId: RunId;
      step: number;
      batch: number;
      adapter: string;
      timestamps: boolean;
      kernels: { label: string; ms: number; flops: number; bytesRead: number; bytesWritten: number }[];
    }
  /** How far a long lab job has got: the landscape's points, or the lesion study's passes (baseline, then each block). */
  | { type: 'labProgress'; runId: RunId; kind: 'landscape' | 'lesion'; done: number; total: number }
  /** `losses`: mean training loss per point, for '2d' row-major over (b, a); NaN where cancelled before it. */
  | {
      type: 'labLandscape';
      runId: RunId;
      step: number;
      mode: '1d' | '2d';
      coords: number[];
      losses: number[];
      images: number;
      cancelled: boolean;
    }
  /** `maps[c]`: side x side, row-major, for every class c; `pixels`: the image (3072 bytes, CHW). */
  | {
      type: 'labSaliency';
      runId: RunId;
      step: number;
      index: number;
      label: number;
      pixels: Uint8Array;
      logits: number[];
      side: number;
      maps: number[][];
      /** Per class: max over colour channels of |d(-log p_c) / d pixel|, 32 x 32 row-major. */
      inputMaps: number[][];
    }
  /** A fault in words, with what the user can do next; runId when it concerns one run (the others go on). */
  | {
      type: 'error';
      runId?: RunId;
      code: ErrorCode;
      message: string;
      advice: string;
      /**
       * 'nan-loss', or 'device-lost' for a run rebuilt on a new device: the step the run went back to (its last
       * good state); its points after that step are void.
       */
      rolledBackTo?: number;
      /** 'device-lost' without a runId: the worker is rebuilding the runs on a new device (each then reports). */
      recovering?: boolean;
      /** The request this error answers (a 'save'). */
      requestId?: string;
    };
