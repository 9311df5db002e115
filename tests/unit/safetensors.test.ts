import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  MAX_HEADER_BYTES,
  StateMismatchError,
  checkStateAgainstLayout,
  decodeSafetensors,
  encodeSafetensors,
  type Tensor,
} from '../../src/model/safetensors';
import { stateLayout } from '../../src/model/stateLayout';

const enc = new TextEncoder();

/** A safetensors file from a header string (padded to `pad` bytes with spaces when given) and data bytes. */
function file(header: string, data: ArrayLike<number> = [], pad?: number): Uint8Array {
  const h = enc.encode(header);
  const n = pad ?? h.length;
  const out = new Uint8Array(8 + n + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.fill(0x20, 8, 8 + n);
  out.set(h, 8);
  out.set(data, 8 + n);
  return out;
}
const f32bytes = (...xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
const expectError = (f: () => unknown, pattern: RegExp) => {
  expect(f).toThrow(CheckpointError);
  expect(f).toThrow(pattern);
};

describe('safetensors bytes', () => {
  it('decodes a hand-built file (the layout Python safetensors writes)', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(header.length).toBe(54);
    // 8-byte length 56 (54 + two spaces of padding), then header, then 1.5 and -2 as little-endian f32.
    const bytes = new Uint8Array([
      56,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...enc.encode(header),
      0x20,
      0x20,
      0x00,
      0x00,
      0xc0,
      0x3f, // 1.5
      0x00,
      0x00,
      0x00,
      0xc0, // -2
    ]);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({});
    expect(Object.keys(tensors)).toEqual(['a']);
    expect(tensors.a.dtype).toBe('F32');
    expect(tensors.a.shape).toEqual([2]);
    expect(tensors.a.data).toBeInstanceOf(Float32Array);
    expect([...tensors.a.data]).toEqual([1.5, -2]);
  });

  it('writes exactly the bytes Python safetensors would for a small file', () => {
    const bytes = encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) } });
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' + '  ';
    expect([...bytes]).toEqual([56, 0, 0, 0, 0, 0, 0, 0, ...enc.encode(header), 0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0]);
    const withMeta = encodeSafetensors({ x: { dtype: 'I64', shape: [], data: new BigInt64Array([-3n]) } }, { format: 'pt' });
    const h2 = '{"__metadata__":{"format":"pt"},"x":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}';
    const padded = h2 + ' '.repeat((8 - (h2.length % 8)) % 8);
    expect(new TextDecoder().decode(withMeta.subarray(8, 8 + padded.length))).toBe(padded);
    expect(Number(new DataView(withMeta.buffer).getBigUint64(0, true))).toBe(padded.length);
    expect([...withMeta.subarray(8 + padded.length)]).toEqual([0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });

  it('round-trips every dtype, scalars, empty tensors, metadata and subarray inputs', () => {
    const backing = new Float32Array([9, 1, 2, 3, 4, 5, 6, 9]);
    const tensors: Record<string, Tensor> = {
      'w.weight': { dtype: 'F32', shape: [2, 3], data: backing.subarray(1, 7) },
      idx: { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 2147483647]) },
      step: { dtype: 'I64', shape: [], data: new BigInt64Array([123456789012345n]) },
      empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      ünï: { dtype: 'F32', shape: [1], data: new Float32Array([Number.NaN]) },
    };
    const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'résumé' });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt', note: 'résumé' });
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back.tensors[name];
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(b.data.constructor).toBe(t.data.constructor);
      expect([...b.data]).toEqual([...t.data]);
    }
    // The decoded arrays are copies: changing the file afterwards does not change them.
    bytes.fill(0, bytes.length - 40);
    expect([...back.tensors['w.weight'].data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('places the widest dtype first so all our tensors are aligned', () => {
    const bytes = encodeSafetensors({
      a: { dtype: 'I32', shape: [1], data: new Int32Array([1]) },
      b: { dtype: 'I64', shape: [1], data: new BigInt64Array([2n]) },
      c: { dtype: 'F32', shape: [1], data: new Float32Array([3]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.b.data_offsets).toEqual([0, 8]);
    expect(header.a.data_offsets).toEqual([8, 12]);
    expect(header.c.data_offsets).toEqual([12, 16]);
  });

  it('copies misaligned data into aligned arrays (unpadded header, odd byteOffset)', () => {
    const header =
      '{"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"c":{"dtype":"I64","shape":[1],"data_offsets":[12,20]}}';
    const data = [...new Uint8Array(new Int32Array([-7]).buffer), ...f32bytes(0.25, 3), ...new Uint8Array(new BigInt64Array([-5n]).buffer)];
    const raw = file(header, data); // header length not a multiple of 4
    expect((8 + enc.encode(header).length) % 4).not.toBe(0);
    // Also shift the whole file to an odd offset within a larger buffer.
    const big = new Uint8Array(raw.length + 3);
    big.set(raw, 3);
    for (const bytes of [raw, big.subarray(3)]) {
      const { tensors } = decodeSafetensors(bytes);
      expect([...tensors.a.data]).toEqual([0.25, 3]);
      expect([...tensors.b.data]).toEqual([-7]);
      expect([...tensors.c.data]).toEqual([-5n]);
      expect(tensors.a.data.byteOffset % 4).toBe(0);
    }
  });
});

describe('safetensors validation', () => {
  const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';

  it('rejects an empty file and files too short for the length prefix', () => {
    expectError(() => decodeSafetensors(new Uint8Array(0)), /^not a safetensors file: the file is empty \(0 bytes\)$/);
    expectError(() => decodeSafetensors(new Uint8Array(5)), /^not a safetensors file: 5 bytes, too short for the 8-byte header length$/);
  });

  it('rejects a header over 100 MB before decoding it', () => {
    // The header bytes are NULs: decoding them would fail as "not valid JSON", so this message proves the order.
    const bytes = new Uint8Array(8 + MAX_HEADER_BYTES + 1);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    expectError(
      () => decodeSafetensors(bytes),
      /^not a safetensors file: header length 100000001 is over the format's limit of 100000000 bytes \(100 MB\)$/,
    );
  });

  it('rejects a header length beyond the file', () => {
    const bytes = file(ok, f32bytes(1, 2));
    new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
    expectError(() => decodeSafetensors(bytes), /header length 1000 runs past the end/);
    new DataView(bytes.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expectError(() => decodeSafetensors(bytes), /runs past the end/);
  });

  it('rejects a header that is not JSON, not UTF-8, or not an object', () => {
    expectError(() => decodeSafetensors(file('{"a": ', [])), /not valid UTF-8 JSON/);
    expectError(() => decodeSafetensors(file('\u0000\u0000', [0xff])), /not valid UTF-8 JSON/);
    const badUtf8 = file('{"a":1}');
    badUtf8[9] = 0xff;
    expectError(() => decodeSafetensors(badUtf8), /not valid UTF-8 JSON/);
    expectError(() => decodeSafetensors(file('[1,2]')), /not a JSON object/);
    expectError(() => decodeSafetensors(file('null')), /not a JSON object/);
    expectError(() => decodeSafetensors(file('{"a":5}')), /tensor 'a': header entry is not an object/);
  });

  it('rejects bad metadata', () => {
    expectError(() => decodeSafetensors(file('{"__metadata__":{"k":1}}')), /metadata 'k' must be a string/);
    expectError(() => decodeSafetensors(file('{"__metadata__":[]}')), /__metadata__/);
  });

  it('rejects unknown and unsupported dtypes, naming the tensor', () => {
    expectError(
      () => decodeSafetensors(file('{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', f32bytes(1, 2))),
      /tensor 'w': unknown dtype 'F33'/,
    );
    expectError(
      () => decodeSafetensors(file('{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}', f32bytes(1, 2))),
      /tensor 'w': unsupported dtype 'F16'/,
    );
  });

  it('rejects bad shapes and offsets, and shape/offsets mismatches', () => {
    const one =
      (entry: string, data: ArrayLike<number> = f32bytes(1, 2)) =>
      () =>
        decodeSafetensors(file(`{"w":${entry}}`, data));
    expectError(one('{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}'), /tensor 'w': shape \[-2\] is not a list/);
    expectError(one('{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}'), /tensor 'w': shape/);
    expectError(one('{"dtype":"F32","shape":[2],"data_offsets":[0]}'), /tensor 'w': data_offsets \[0\] is not a pair/);
    expectError(one('{"dtype":"F32","shape":[2],"data_offsets":[8,0]}'), /tensor 'w': data_offsets \[8, 0\] end before/);
    expectError(
      one('{"dtype":"F32","shape":[3],"data_offsets":[0,8]}'),
      /tensor 'w': shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8/,
    );
    expectError(one('{"dtype":"I64","shape":[2],"data_offsets":[0,8]}'), /tensor 'w': shape \[2\] of I64 needs 16 bytes/);
  });

  it('rejects out-of-range, overlapping and gapped offsets', () => {
    expectError(
      () => decodeSafetensors(file(ok, f32bytes(1))),
      /tensor 'a': data_offsets \[0, 8\] run past the end of the data \(4 bytes\)/,
    );
    const two = (a: [number, number], b: [number, number], n: number) => () =>
      decodeSafetensors(
        file(
          `{"a":{"dtype":"F32","shape":[1],"data_offsets":[${a}]},"b":{"dtype":"F32","shape":[1],"data_offsets":[${b}]}}`,
          new Uint8Array(n),
        ),
      );
    expect(() => two([0, 4], [4, 8], 8)()).not.toThrow();
    expect(() => two([4, 8], [0, 4], 8)()).not.toThrow(); // header order need not follow data order
    expectError(two([0, 4], [0, 4], 8), /tensor '[ab]': data_offsets \[0, 4\] overlap tensor '[ab]'/);
    expectError(two([0, 4], [2, 6], 8), /tensor 'b': data_offsets \[2, 6\] overlap tensor 'a'/);
    expectError(two([0, 4], [6, 10], 10), /tensor 'b': gap of 2 unused bytes .*after tensor 'a'/);
    expectError(two([2, 6], [6, 10], 10), /tensor 'a': gap of 2 unused bytes/);
    expectError(two([0, 4], [4, 8], 12), /4 bytes at the end of the data are not part of any tensor/);
  });

  it('checks what it encodes', () => {
    const enc1 = (t: Partial<Tensor> & Record<string, unknown>) => () =>
      encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array(2), ...t } });
    expectError(enc1({ shape: [3] }), /tensor 'w': shape \[3\] holds 3 elements but data has 2/);
    expectError(enc1({ dtype: 'I32' }), /tensor 'w': data is a Float32Array but dtype is I32/);
    expectError(enc1({ dtype: 'F16' as never }), /tensor 'w': unsupported dtype 'F16'/);
    expectError(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [], data: new Float32Array(1) } }), /cannot be named/);
  });
});

describe('checkStateAgainstLayout', () => {
  const layout = stateLayout({ arch: 'residual', depth: 20 });
  const checkpoint = (): Record<string, Tensor> =>
    Object.fromEntries(
      layout.map((e) => [
        e.name,
        { dtype: 'F32' as const, shape: e.shape, data: new Float32Array(e.shape.reduce((a, b) => a * b, 1)).map((_, i) => i * 0.5) },
      ]),
    );

  it('round-trips a ResNet-20 checkpoint and accepts it', () => {
    const ck = checkpoint();
    const back = decodeSafetensors(encodeSafetensors(ck, { format: 'pt', arch: 'resnet20' }));
    expect(() => checkStateAgainstLayout(back.tensors, layout)).not.toThrow();
    expect(Object.keys(back.tensors)).toHaveLength(layout.length);
    for (const e of layout) expect(back.tensors[e.name].data).toEqual(ck[e.name].data);
  });

  it('tolerates the num_batches_tracked buffers PyTorch writes', () => {
    const ck = checkpoint();
    ck['bn1.num_batches_tracked'] = { dtype: 'I64', shape: [], data: new BigInt64Array([5n]) };
    ck['layer3.2.bn2.num_batches_tracked'] = { dtype: 'I64', shape: [], data: new BigInt64Array([5n]) };
    expect(() => checkStateAgainstLayout(decodeSafetensors(encodeSafetensors(ck)).tensors, layout)).not.toThrow();
    ck['nope.num_batches_tracked'] = { dtype: 'I64', shape: [], data: new BigInt64Array([5n]) };
    expect(() => checkStateAgainstLayout(ck, layout)).toThrow(/unexpected 1: nope.num_batches_tracked/);
  });

  it('lists missing, unexpected and mismatched tensors with expected vs found', () => {
    const ck = checkpoint();
    delete ck['fc.bias'];
    delete ck['layer2.1.bn1.running_var'];
    ck['linear.weight'] = { dtype: 'F32', shape: [10, 64], data: new Float32Array(640) };
    ck['layer1.0.conv1.weight'] = { dtype: 'F32', shape: [16, 16, 1, 1], data: new Float32Array(256) };
    ck['bn1.weight'] = { dtype: 'I32', shape: [16], data: new Int32Array(16) };
    let err: unknown;
    try {
      checkStateAgainstLayout(ck, layout);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err).toBeInstanceOf(StateMismatchError);
    const e = err as StateMismatchError;
    expect(e.details.missing).toEqual(['layer2.1.bn1.running_var', 'fc.bias']);
    expect(e.details.unexpected).toEqual(['linear.weight']);
    expect(e.details.mismatched).toEqual([
      { name: 'bn1.weight', expected: 'F32 [16]', found: 'I32 [16]' },
      { name: 'layer1.0.conv1.weight', expected: 'F32 [16, 16, 3, 3]', found: 'F32 [16, 16, 1, 1]' },
    ]);
    expect(e.message).toMatch(/missing 2: layer2\.1\.bn1\.running_var, fc\.bias/);
    expect(e.message).toMatch(/unexpected 1: linear\.weight/);
    expect(e.message).toMatch(/layer1\.0\.conv1\.weight \(expected F32 \[16, 16, 3, 3\], found F32 \[16, 16, 1, 1\]\)/);
  });

  it('rejects a checkpoint of another network and truncates long lists', () => {
    const other = stateLayout({ arch: 'residual', depth: 56 });
    const ck = Object.fromEntries(other.map((e) => [e.name, { dtype: 'F32' as const, shape: e.shape }]));
    expect(() => checkStateAgainstLayout(ck, layout)).toThrow(/unexpected 180: .*\.\.\. \(168 more\)/);
  });
});
