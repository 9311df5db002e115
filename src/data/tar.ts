// A streaming tar reader (POSIX ustar, GNU, pax) over chunks of bytes. It holds at most one 512-byte
// header at a time: entry bodies are handed on as views of the incoming chunks, so a 170 MB archive
// is never buffered. Header checksums are checked; a bad one means the data is not a tar (or is
// damaged), and an end of stream anywhere before the end-of-archive marker means it was cut short. Entries
// with absolute names or `..` segments are refused.
//
//   for await (const entry of readTar(chunks)) {
//     if (entry.name.endsWith('.txt')) text = await entry.bytes();   // or: for await (const c of entry.chunks())
//   }                                                                 // bodies left unread are skipped
import { DatasetError } from './errors';
import { chunksOf, type ByteSource } from './streams';

export const BLOCK = 512;

export interface TarEntry {
  /** Full path inside the archive (GNU long names and pax `path` applied). */
  name: string;
  size: number;
  type: 'file' | 'directory' | 'other';
  /** The body in pieces: views into the stream's chunks, each valid until the next is requested. Read once. */
  chunks(): AsyncGenerator<Uint8Array>;
  /** The whole body in one new buffer. */
  bytes(): Promise<Uint8Array>;
}

export interface TarFile {
  name: string;
  size: number;
  data: Uint8Array;
}

export interface ReadTarOptions {
  /** How messages name the archive, e.g. `"cifar-10-binary.tar.gz"`. */
  label?: string;
}

/** Pulls exact byte counts out of a chunk iterator without copying when a piece lies in one chunk. */
class Cursor {
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Bytes consumed so far. */
  offset = 0;
  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** At most `max` bytes as a view, or undefined at the end of the stream. */
  async take(max: number): Promise<Uint8Array | undefined> {
    while (this.pos >= this.chunk.length) {
      const r = await this.source.next();
      if (r.done) return undefined;
      this.chunk = r.value;
      this.pos = 0;
    }
    const n = Math.min(max, this.chunk.length - this.pos);
    const piece = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return piece;
  }

  /** `n` bytes, or fewer only where the stream ends. */
  async read(n: number): Promise<Uint8Array> {
    const first = await this.take(n);
    if (!first) return new Uint8Array(0);
    if (first.length === n) return first;
    const out = new Uint8Array(n);
    out.set(first);
    let got = first.length;
    while (got < n) {
      const piece = await this.take(n - got);
      if (!piece) return out.subarray(0, got);
      out.set(piece, got);
      got += piece.length;
    }
    return out;
  }

  /** Skips `n` bytes; returns how many were there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const piece = await this.take(left);
      if (!piece) break;
      left -= piece.length;
    }
    return n - left;
  }
}

const decoder = new TextDecoder();

/** Text up to the first NUL. */
function cString(b: Uint8Array, at: number, len: number): string {
  let end = at;
  while (end < at + len && b[end] !== 0) end++;
  return decoder.decode(b.subarray(at, end));
}

/** A numeric header field: octal digits (space/NUL padded) or GNU base-256; undefined if malformed. */
function parseNumber(b: Uint8Array, at: number, len: number): number | undefined {
  if (b[at] & 0x80) {
    let v = b[at] & 0x7f;
    for (let i = at + 1; i < at + len; i++) v = v * 256 + b[i];
    return v;
  }
  let i = at;
  const end = at + len;
  while (i < end && b[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return undefined;
    v = v * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) if (b[i] !== 0 && b[i] !== 0x20) return undefined;
  return digits > 0 ? v : undefined;
}

/** Why a 512-byte block is not a tar header, or undefined when it is one (checksum as unsigned or signed sum). */
export function tarHeaderProblem(b: Uint8Array): string | undefined {
  if (b.length < BLOCK) return `only ${b.length} bytes, a header needs ${BLOCK}`;
  const stored = parseNumber(b, 148, 8);
  if (stored === undefined) return 'its checksum field is not an octal number';
  let sum = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i];
    sum += v;
    signed += v >= 128 ? v - 256 : v;
  }
  if (stored !== sum && stored !== signed) return `header checksum is ${stored}, the bytes sum to ${sum}`;
  if (parseNumber(b, 124, 12) === undefined && b[124] !== 0) return 'its size field is not a number';
  return undefined;
}

const isZeroBlock = (b: Uint8Array) => b.every((v) => v === 0);

/**
 * Why an entry name is unsafe (absolute, or climbing out of the archive with `..`), or undefined. Nothing here
 * writes entries to disk, but no honest archive has such a name, and a reader that passes one on is a trap for
 * whoever extracts it next.
 */
export function unsafeEntryName(name: string): string | undefined {
  if (/^([/\\]|[A-Za-z]:[/\\])/.test(name)) return 'an absolute path';
  if (name.split(/[/\\]/).includes('..')) return 'a path that climbs out of the archive with ".."';
  return undefined;
}

/** pax extended header records: "<len> <key>=<value>\n". */
function parsePax(body: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < body.length) {
    let sp = i;
    while (sp < body.length && body[sp] !== 0x20) sp++;
    const len = Number(decoder.decode(body.subarray(i, sp)));
    if (!(len > 0) || i + len > body.length) break;
    const record = decoder.decode(body.subarray(sp + 1, i + len - 1));
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Metadata entries (long names, pax headers) larger than this are taken as garbage. */
const MAX_META_BYTES = 1 << 20;

/**
 * Entries of a tar archive, in archive order. Finish with one entry (or leave it) before asking for
 * the next. After the end-of-archive marker the rest of the stream is read and dropped, so a gzip
 * layer underneath gets to check its CRC and progress reaches 100%.
 */
export async function* readTar(source: ByteSource, opts: ReadTarOptions = {}): AsyncGenerator<TarEntry> {
  const label = opts.label ?? 'the archive';
  const input = chunksOf(source);
  const cur = new Cursor(input);
  let longName: string | undefined;
  let pax = new Map<string, string>();

  const truncated = (what: string, file?: string) =>
    new DatasetError('truncated', `${label} is cut short: it ends ${what}. The download or copy is incomplete; get the file again.`, {
      file: file ?? label,
    });

  /** Reads `size` body bytes plus padding to the next block, as one buffer. */
  const readBody = async (name: string, size: number): Promise<Uint8Array> => {
    const data = await cur.read(size);
    if (data.length < size) throw truncated(`inside ${name} (${data.length} of ${size} bytes)`, name);
    await skipPadding(name, size);
    return data;
  };
  const skipPadding = async (name: string, size: number) => {
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if ((await cur.skip(pad)) < pad) throw truncated(`in the padding after ${name}`, name);
  };

  try {
    for (;;) {
      const at = cur.offset;
      const block = await cur.read(BLOCK);
      if (block.length === 0 && at === 0) throw new DatasetError('not-tar', `${label} is empty: it holds no tar archive.`, { file: label });
      if (block.length < BLOCK) throw truncated(at === 0 ? 'before the first tar header is complete' : `at byte ${at}, before the tar end-of-archive marker`);
      if (isZeroBlock(block)) {
        // The end-of-archive marker; first thing in the stream, it is an empty archive (what `tar cf x.tar -T /dev/null`
        // writes): no entries, and the caller says what it missed.
        while ((await cur.take(Number.MAX_SAFE_INTEGER)) !== undefined) {
          /* the rest is padding to the tar record size; read it so the layers below finish */
        }
        return;
      }
      const problem = tarHeaderProblem(block);
      if (problem) {
        const message =
          at === 0
            ? `${label} is not a tar archive: its first 512 bytes are not a tar header (${problem}).`
            : `${label} is damaged: the tar header at byte ${at} is not valid (${problem}). The entries before it were read.`;
        throw new DatasetError('not-tar', message, { file: label });
      }
      const flag = block[156] === 0 ? '0' : String.fromCharCode(block[156]);
      let name = cString(block, 0, 100);
      if (cString(block, 257, 6) === 'ustar') {
        // POSIX magic "ustar\0" has a path prefix field; GNU's "ustar " keeps other data there.
        const prefix = cString(block, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      let size = parseNumber(block, 124, 12) ?? 0;

      if (flag === 'L' || flag === 'K' || flag === 'x' || flag === 'g') {
        if (size > MAX_META_BYTES) {
          throw new DatasetError('not-tar', `${label} is damaged: a ${size}-byte tar metadata entry at byte ${at} is implausible.`, { file: label });
        }
        const body = await readBody(`the metadata entry at byte ${at}`, size);
        if (flag === 'L') longName = cString(body, 0, body.length);
        else if (flag === 'x') pax = parsePax(body);
        continue;
      }
      name = pax.get('path') ?? longName ?? name;
      const paxSize = Number(pax.get('size'));
      if (Number.isSafeInteger(paxSize) && paxSize >= 0) size = paxSize;
      longName = undefined;
      pax = new Map();
      const unsafe = unsafeEntryName(name);
      if (unsafe) {
        const shown = name.length > 120 ? `${name.slice(0, 120)}...` : name;
        throw new DatasetError(
          'unsafe-path',
          `${label} holds an entry named "${shown}" (at byte ${at}), ${unsafe}. No CIFAR-10 archive has one: the file is damaged or was made to write outside its folder, so it is refused.`,
          { file: name },
        );
      }

      const type = flag === '0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : 'other';
      // Links, devices and FIFOs carry no body even if a size is written.
      const bodySize = '12346'.includes(flag) ? 0 : size;
      let remaining = bodySize;
      let started = false;
      const entryName = name;
      const chunks = async function* (): AsyncGenerator<Uint8Array> {
        if (started) throw new Error(`tar entry ${entryName}: body already read`);
        started = true;
        while (remaining > 0) {
          const piece = await cur.take(remaining);
          if (!piece) throw truncated(`inside ${entryName} (${bodySize - remaining} of ${bodySize} bytes)`, entryName);
          remaining -= piece.length;
          yield piece;
        }
      };
      const bytes = async (): Promise<Uint8Array> => {
        const out = new Uint8Array(bodySize);
        let at2 = 0;
        for await (const piece of chunks()) {
          out.set(piece, at2);
          at2 += piece.length;
        }
        return out;
      };
      yield { name, size: bodySize, type, chunks, bytes };
      if (remaining > 0) {
        const skipped = await cur.skip(remaining);
        if (skipped < remaining) throw truncated(`inside ${name} (${bodySize - remaining + skipped} of ${bodySize} bytes)`, name);
        remaining = 0;
      }
      await skipPadding(name, bodySize);
    }
  } finally {
    await input.return(undefined);
  }
}

/** Every regular file of an archive, read whole (for small archives and tests). */
export async function readTarFiles(source: ByteSource, opts: ReadTarOptions = {}): Promise<TarFile[]> {
  const files: TarFile[] = [];
  for await (const e of readTar(source, opts)) {
    if (e.type === 'file') files.push({ name: e.name, size: e.size, data: await e.bytes() });
  }
  return files;
}
