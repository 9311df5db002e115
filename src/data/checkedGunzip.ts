// gzip decompression of a dataset file with its failures in the user's words: 'truncated' (get the whole file
// again) or 'corrupt-gzip' (the file is damaged), decided the same way whichever browser decompresses.
import { DatasetError } from './errors';
import { gunzip } from './streams';

/**
 * Turns the platform's decompression errors into 'truncated' / 'corrupt-gzip'. Their words differ between
 * implementations (Chromium: "Compressed input was truncated." or another TypeError; Node: "unexpected end of
 * file" or a Z_ code; Firefox: an AbortError or a TypeError whatever the failure), so where they say nothing the
 * input decides. A decoder that fails before the input ended met damaged data. One that fails at the end met either damaged data or a file cut
 * short: a whole gzip file ends with the size of what it holds (ISIZE, its last 4 bytes), and a tar archive's size
 * is a multiple of 512 above what was decompressed before the failure; a file cut short ends with whatever bytes
 * came last (1 chance in 512 of passing for a size).
 */
export async function* checkedGunzip(chunks: AsyncGenerator<Uint8Array>, label: string): AsyncGenerator<Uint8Array> {
  const input = { ended: false, tail: new Uint8Array(0), failed: undefined as unknown };
  async function* watched(): AsyncGenerator<Uint8Array> {
    try {
      for await (const c of chunks) {
        const joined = new Uint8Array(Math.min(8, input.tail.length + c.length));
        const all = input.tail.length + c.length;
        for (let k = 0; k < joined.length; k++) {
          const at = all - joined.length + k;
          joined[k] = at < input.tail.length ? input.tail[at] : c[at - input.tail.length];
        }
        input.tail = joined;
        yield c;
      }
      input.ended = true;
    } catch (e) {
      input.failed = e; // the source's own error (a user's abort, a read failure): passed on as it is
      throw e;
    }
  }
  let out = 0;
  try {
    for await (const c of gunzip(watched())) {
      out += c.length;
      yield c;
    }
  } catch (e) {
    if (e instanceof DatasetError || (input.failed !== undefined && e === input.failed)) throw e;
    if (input.failed !== undefined) throw input.failed instanceof Error ? input.failed : e;
    const reason = (e as Error)?.message || String(e);
    const code = (e as { code?: unknown })?.code;
    // Words that say which it is (Node, Chromium), else what the input shows (Firefox says nothing).
    const saysTruncated = /end of file|truncat/i.test(reason);
    const saysDamaged = !saysTruncated && typeof code === 'string' && code.startsWith('Z_');
    const isize = input.tail.length === 8 ? new DataView(input.tail.buffer).getUint32(4, true) : -1;
    const wholeTrailer = isize > 0 && isize % 512 === 0 && isize > out % 2 ** 32;
    if (saysTruncated || (!saysDamaged && input.ended && !wholeTrailer)) {
      throw new DatasetError('truncated', `${label} is cut short: the gzip stream ends early (${reason}). The download is incomplete; get the file again.`, {
        file: label,
        cause: e,
      });
    }
    throw new DatasetError('corrupt-gzip', `${label} is a damaged gzip file (${reason}). Get the file again.`, { file: label, cause: e });
  }
}

