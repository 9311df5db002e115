// Checkpoints in the safetensors format (https://github.com/huggingface/safetensors), so a network trained
// here loads into PyTorch (`safetensors.torch.load_file`) and back:
//   [8 bytes: N, little-endian u64] [N bytes: UTF-8 JSON header] [byte buffer]
//   header = { "__metadata__"?: {string: string}, name: {dtype, shape, data_offsets: [begin, end]}, ... }
// Offsets are relative to the start of the byte buffer; tensors cover it in order with no gaps or overlaps.
// We pad the header with spaces so that the buffer starts 8-aligned (as the Python writer does), and write
// tensors with the widest dtype first, so every tensor of our own files is aligned for its dtype.
// All data is little-endian; every host that runs WebGPU is little-endian, so typed arrays are used directly.
import type { StateEntry } from './stateLayout';

export type Dtype = 'F32' | 'I64' | 'I32';

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

export interface DecodedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** A checkpoint that cannot be read or does not fit the network. `message` is fit for the UI. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const DTYPE_SIZE: Record<Dtype, number> = { F32: 4, I64: 8, I32: 4 };
/** Other dtypes the format defines; recognised so the error can say "unsupported" rather than "unknown". */
const OTHER_DTYPES = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'U32', 'F64', 'U64'];
const METADATA_KEY = '__metadata__';
/** The reference implementation refuses larger headers (safetensors' MAX_HEADER_SIZE): no real checkpoint has one. */
export const MAX_HEADER_BYTES = 100_000_000;

const isDtype = (d: unknown): d is Dtype => d === 'F32' || d === 'I64' || d === 'I32';
const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const fmtShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function arrayMatches(dtype: Dtype, data: unknown): boolean {
  switch (dtype) {
    case 'F32':
      return data instanceof Float32Array;
    case 'I32':
      return data instanceof Int32Array;
    case 'I64':
      return data instanceof BigInt64Array;
    default:
      return dtype satisfies never;
  }
}

/** Sets an own enumerable property, also for a name such as `__proto__`. */
function put<T>(obj: Record<string, T>, key: string, value: T) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    if (name === METADATA_KEY) throw new CheckpointError(`a tensor cannot be named '${METADATA_KEY}'`);
    if (name === '') throw new CheckpointError('a tensor name cannot be empty');
    if (!isDtype(t.dtype)) throw new CheckpointError(`tensor '${name}': unsupported dtype '${String(t.dtype)}' (F32, I32 or I64)`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new CheckpointError(`tensor '${name}': shape ${fmtShape(t.shape)} must hold non-negative integers`);
    }
    if (!arrayMatches(t.dtype, t.data))
      throw new CheckpointError(`tensor '${name}': data is a ${t.data?.constructor?.name} but dtype is ${t.dtype}`);
    if (t.data.length !== product(t.shape)) {
      throw new CheckpointError(
        `tensor '${name}': shape ${fmtShape(t.shape)} holds ${product(t.shape)} elements but data has ${t.data.length}`,
      );
    }
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError(`metadata '${k}' must be a string (safetensors metadata is string to string)`);
    }
  }
  // Widest dtype first (stable otherwise), so each tensor starts aligned for its element size.
  const order = names
    .map((n, i) => ({ n, i }))
    .sort((a, b) => DTYPE_SIZE[tensors[b.n].dtype] - DTYPE_SIZE[tensors[a.n].dtype] || a.i - b.i);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) put(header, METADATA_KEY, { ...metadata });
  let offset = 0;
  for (const { n } of order) {
    const t = tensors[n];
    const bytes = t.data.byteLength;
    put(header, n, { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] });
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const { n } of order) {
    const d = tensors[n].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export interface HeaderEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, raw: unknown): HeaderEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CheckpointError(`tensor '${name}': header entry is not an object`);
  const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
  if (!isDtype(dtype)) {
    const why = typeof dtype === 'string' && OTHER_DTYPES.includes(dtype) ? 'unsupported dtype' : 'unknown dtype';
    throw new CheckpointError(`tensor '${name}': ${why} '${String(dtype)}' (this app reads F32, I32 and I64)`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new CheckpointError(`tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new CheckpointError(`tensor '${name}': data_offsets ${JSON.stringify(offs)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offs as number[];
  if (end < begin) throw new CheckpointError(`tensor '${name}': data_offsets [${begin}, ${end}] end before they begin`);
  const expected = product(shape) * DTYPE_SIZE[dtype];
  if (end - begin !== expected) {
    throw new CheckpointError(
      `tensor '${name}': shape ${fmtShape(shape)} of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape: (shape as number[]).slice(), begin, end };
}

/** The header of a safetensors file, checked entry by entry (not yet against the data that follows it). */
export function readSafetensorsHeader(bytes: Uint8Array): {
  metadata: Record<string, string>;
  entries: HeaderEntry[];
  headerBytes: number;
} {
  if (bytes.length === 0) throw new CheckpointError('not a safetensors file: the file is empty (0 bytes)');
  if (bytes.length < 8) throw new CheckpointError(`not a safetensors file: ${bytes.length} bytes, too short for the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    throw new CheckpointError(`not a safetensors file: header length ${n64} runs past the end of the file (${bytes.length} bytes)`);
  }
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(
      `not a safetensors file: header length ${n64} is over the format's limit of ${MAX_HEADER_BYTES} bytes (100 MB)`,
    );
  }
  const n = Number(n64);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new CheckpointError(`not a safetensors file: the header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError('not a safetensors file: the header is not a JSON object');
  }
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new CheckpointError(`'${METADATA_KEY}' must be an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new CheckpointError(`metadata '${k}' must be a string, found ${JSON.stringify(v)}`);
        put(metadata, k, v);
      }
    } else {
      entries.push(parseEntry(name, raw));
    }
  }
  return { metadata, entries, headerBytes: n };
}

/**
 * Reads a safetensors file. Data is copied into fresh (aligned) typed arrays, so the result does not
 * share memory with `bytes` and any data offset (aligned or not) is read correctly.
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  const { metadata, entries, headerBytes: n } = readSafetensorsHeader(bytes);
  const dataStart = 8 + n;
  const bufferLen = bytes.length - dataStart;
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: HeaderEntry | undefined;
  for (const e of sorted) {
    if (e.end > bufferLen) {
      throw new CheckpointError(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] run past the end of the data (${bufferLen} bytes); the file may be truncated`,
      );
    }
    if (e.begin < cursor) {
      throw new CheckpointError(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap tensor '${prev?.name}' (which ends at ${cursor})`,
      );
    }
    if (e.begin > cursor) {
      throw new CheckpointError(
        `tensor '${e.name}': gap of ${e.begin - cursor} unused bytes before its data_offsets [${e.begin}, ${e.end}]${prev ? ` (after tensor '${prev.name}')` : ''}`,
      );
    }
    cursor = e.end;
    prev = e;
  }
  if (cursor !== bufferLen) {
    throw new CheckpointError(
      `${bufferLen - cursor} bytes at the end of the data are not part of any tensor${prev ? ` (last tensor '${prev.name}' ends at ${cursor})` : ''}`,
    );
  }
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const start = bytes.byteOffset + dataStart + e.begin;
    const copy = bytes.buffer.slice(start, start + (e.end - e.begin)) as ArrayBuffer;
    const data = e.dtype === 'F32' ? new Float32Array(copy) : e.dtype === 'I32' ? new Int32Array(copy) : new BigInt64Array(copy);
    put(tensors, e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

export interface StateMismatch {
  missing: string[];
  unexpected: string[];
  /** Wrong shape or dtype: `name: expected F32 [16, 3, 3, 3], found F32 [16, 3, 1, 1]`. */
  mismatched: { name: string; expected: string; found: string }[];
}

export class StateMismatchError extends CheckpointError {
  override name = 'StateMismatchError';
  constructor(
    message: string,
    readonly details: StateMismatch,
  ) {
    super(message);
  }
}

/**
 * Checks that a checkpoint holds exactly the state of a network: every layout entry present as F32 with
 * the same shape, and nothing else. `*.num_batches_tracked` tensors of BatchNorms in the layout (written by
 * PyTorch, not part of our layout) are tolerated and ignored. Throws StateMismatchError (a CheckpointError)
 * listing every missing, unexpected and mismatched tensor.
 */
export function checkStateAgainstLayout(tensors: Record<string, Pick<Tensor, 'dtype' | 'shape'>>, layout: readonly StateEntry[]): void {
  const expected = new Map(layout.map((e) => [e.name, e]));
  const bnModules = new Set(layout.filter((e) => e.name.endsWith('.running_mean')).map((e) => e.name.slice(0, -'.running_mean'.length)));
  const d: StateMismatch = { missing: [], unexpected: [], mismatched: [] };
  for (const e of layout) {
    if (!Object.prototype.hasOwnProperty.call(tensors, e.name)) {
      d.missing.push(e.name);
      continue;
    }
    const t = tensors[e.name];
    const sameShape = t.shape.length === e.shape.length && t.shape.every((v, i) => v === e.shape[i]);
    if (t.dtype !== 'F32' || !sameShape) {
      d.mismatched.push({ name: e.name, expected: `F32 ${fmtShape(e.shape)}`, found: `${t.dtype} ${fmtShape(t.shape)}` });
    }
  }
  for (const name of Object.keys(tensors)) {
    if (expected.has(name)) continue;
    if (name.endsWith('.num_batches_tracked') && bnModules.has(name.slice(0, -'.num_batches_tracked'.length))) continue;
    d.unexpected.push(name);
  }
  if (d.missing.length + d.unexpected.length + d.mismatched.length === 0) return;
  const list = (xs: string[]) => (xs.length > 12 ? `${xs.slice(0, 12).join(', ')}, ... (${xs.length - 12} more)` : xs.join(', '));
  const parts: string[] = [];
  if (d.missing.length) parts.push(`missing ${d.missing.length}: ${list(d.missing)}`);
  if (d.unexpected.length) parts.push(`unexpected ${d.unexpected.length}: ${list(d.unexpected)}`);
  if (d.mismatched.length)
    parts.push(
      `wrong shape or dtype ${d.mismatched.length}: ${list(d.mismatched.map((m) => `${m.name} (expected ${m.expected}, found ${m.found})`))}`,
    );
  throw new StateMismatchError(`the checkpoint does not fit this network (${layout.length} tensors expected): ${parts.join('; ')}`, d);
}
