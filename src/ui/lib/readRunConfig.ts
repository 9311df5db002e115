// The training recipe a checkpoint file carries, read before it is sent to the worker ("Load checkpoint…" names
// and describes the run from it).
import { modelOfStateDictFile, type ModelConfig } from '../../model/stateDictModel';
import type { RunConfig } from '../../train/protocol';

/** The RunConfig in a safetensors checkpoint's metadata (key "config" or "runConfig"), if it has one. */
export function readRunConfig(bytes: ArrayBuffer): RunConfig | undefined {
  try {
    if (bytes.byteLength < 8) return undefined;
    const len = Number(new DataView(bytes).getBigUint64(0, true));
    if (len <= 0 || len > bytes.byteLength - 8 || len > 1e7) return undefined;
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 8, len))) as { __metadata__?: Record<string, unknown> } | null;
    const meta = header?.__metadata__ ?? {};
    const raw = meta.runConfig ?? meta.config;
    const cfg = (typeof raw === 'string' ? JSON.parse(raw) : undefined) as Partial<RunConfig> | undefined;
    return cfg && typeof cfg === 'object' && typeof cfg.model?.depth === 'number' ? (cfg as RunConfig) : undefined;
  } catch {
    return undefined;
  }
}

/** The network a bare state dict's tensors say it is; undefined when they fit none (the worker says why). */
export function bareModel(bytes: ArrayBuffer): ModelConfig | undefined {
  try {
    return modelOfStateDictFile(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}
