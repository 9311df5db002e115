// Byte sources as async iterators of chunks, and the few stream tools the loader needs: peek at the
// first bytes, pipe through gzip decompression. Works the same in a page, a worker and Node 20.

export type ByteSource = ReadableStream<Uint8Array> | Blob | ArrayBuffer | ArrayBufferView | AsyncIterable<Uint8Array>;

/** In-memory sources are handed on in slices of this size, so progress and decompression run in steps. */
const SLICE_BYTES = 1 << 20;

const EMPTY = new Uint8Array(0);

/** Reads a ReadableStream to its end; stopping early (break, throw) cancels the stream. */
export async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** Any byte source as chunks. In-memory data is sliced (views, no copies). */
export async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof ReadableStream) {
    yield* readStream(source);
  } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    yield* readStream(source.stream());
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    for (let i = 0; i < bytes.length; i += SLICE_BYTES) yield bytes.subarray(i, i + SLICE_BYTES);
  } else {
    yield* source as AsyncIterable<Uint8Array>;
  }
}

/** Size in bytes when the source knows it up front. */
export function sizeOf(source: ByteSource): number | undefined {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.size;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source.byteLength;
  return undefined;
}

/** A File's name, when the source is one. */
export function nameOf(source: ByteSource): string | undefined {
  const name = (source as { name?: unknown }).name;
  return typeof name === 'string' && name ? name : undefined;
}

/** The first `n` bytes (fewer if the source is shorter) and an iterator that replays them and continues. */
export async function peek(
  chunks: AsyncIterator<Uint8Array>,
  n: number,
): Promise<{ head: Uint8Array; rest: AsyncGenerator<Uint8Array> }> {
  const held: Uint8Array[] = [];
  let have = 0;
  let ended = false;
  while (have < n) {
    const r = await chunks.next();
    if (r.done) {
      ended = true;
      break;
    }
    held.push(r.value);
    have += r.value.length;
  }
  let head: Uint8Array;
  if (held.length === 0) head = EMPTY;
  else if (held.length === 1) head = held[0].subarray(0, n);
  else {
    // Only reached with small chunks, so this copy is small.
    head = new Uint8Array(Math.min(n, have));
    let at = 0;
    for (const c of held) {
      const part = c.subarray(0, head.length - at);
      head.set(part, at);
      at += part.length;
      if (at === head.length) break;
    }
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    try {
      yield* held;
      held.length = 0;
      if (ended) return;
      for (;;) {
        const r = await chunks.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await chunks.return?.();
    }
  }
  return { head, rest: rest() };
}

/** A ReadableStream that pulls from an iterator (ReadableStream.from is not in every browser yet). */
export function streamFrom(chunks: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await chunks.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
}

/** gzip-decompressed chunks, by the platform's DecompressionStream (browsers, workers, Node 20). */
export function gunzip(chunks: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  const inflated = streamFrom(chunks).pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return readStream(inflated);
}
