// Writes small tar archives in memory (GNU long names for paths over 100 bytes). Used by tests to build
// good and deliberately broken CIFAR archives, kept under tests/ because only tests use it.
import { BLOCK } from '../../src/data/tar';

export interface TarInput {
  name: string;
  data?: Uint8Array;
  /** '0' file (default), '5' directory, or any other typeflag. */
  type?: string;
}

const encoder = new TextEncoder();

function octal(block: Uint8Array, at: number, len: number, value: number): void {
  const text = value.toString(8).padStart(len - 1, '0');
  block.set(encoder.encode(text), at);
  block[at + len - 1] = 0;
}

function header(name: Uint8Array, size: number, type: string): Uint8Array {
  const b = new Uint8Array(BLOCK);
  b.set(name.subarray(0, 100), 0);
  octal(b, 100, 8, type === '5' ? 0o755 : 0o644);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, size);
  octal(b, 136, 12, 1262304000); // 2010-01-01, like the CIFAR tarballs
  b[156] = type.charCodeAt(0);
  b.set(encoder.encode('ustar  '), 257); // GNU magic + version
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const v of b) sum += v;
  octal(b, 148, 7, sum);
  b[155] = 0x20;
  return b;
}

const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** A complete archive, ending in the two zero blocks of the end-of-archive marker. */
export function writeTar(entries: TarInput[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    const name = encoder.encode(e.name);
    if (name.length > 100) {
      const long = new Uint8Array(name.length + 1);
      long.set(name);
      parts.push(header(encoder.encode('././@LongLink'), long.length, 'L'), long, new Uint8Array(padded(long.length) - long.length));
    }
    parts.push(header(name, data.length, e.type ?? '0'), data, new Uint8Array(padded(data.length) - data.length));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
