// Float64 reference for src/kernels/gemm.ts: the strided, batched GEMM (GemmShape, src/geometry.ts) and
// the fully connected layer the kernel computes (linear*Strides there).
import type { GemmShape } from '../geometry';

type Arr = ArrayLike<number>;

/** Row-major strides for a plain (optionally transposed) batched product C[b] = op(A[b]) op(B[b]). */
export function gemmShape(
  m: number,
  n: number,
  k: number,
  o: { batch?: number; transA?: boolean; transB?: boolean; shareA?: boolean; shareB?: boolean } = {},
): GemmShape {
  const batch = o.batch ?? 1;
  return {
    m,
    n,
    k,
    batch,
    aBatch: o.shareA ? 0 : m * k,
    aRow: o.transA ? 1 : k,
    aCol: o.transA ? m : 1,
    bBatch: o.shareB ? 0 : k * n,
    bRow: o.transB ? 1 : n,
    bCol: o.transB ? k : 1,
    cBatch: m * n,
    cRow: n,
    cCol: 1,
  };
}

export function gemm(s: GemmShape, a: Arr, b: Arr, bias?: Arr): Float64Array {
  const splits = s.reduceBatch ? (s.splits ?? 1) : s.batch;
  const per = Math.ceil(s.batch / splits);
  const outBatches = s.reduceBatch ? splits : s.batch;
  const c = new Float64Array(Math.max(0, (outBatches - 1) * s.cBatch + (s.m - 1) * s.cRow + (s.n - 1) * s.cCol + 1));
  for (let bt = 0; bt < s.batch; bt++)
    for (let i = 0; i < s.m; i++)
      for (let j = 0; j < s.n; j++) {
        let acc = 0;
        for (let k = 0; k < s.k; k++) acc += a[bt * s.aBatch + i * s.aRow + k * s.aCol] * b[bt * s.bBatch + k * s.bRow + j * s.bCol];
        const ci = (s.reduceBatch ? Math.floor(bt / per) : bt) * s.cBatch + i * s.cRow + j * s.cCol;
        c[ci] += acc;
      }
  if (bias && s.bias && s.bias !== 'none')
    for (let bt = 0; bt < outBatches; bt++)
      for (let i = 0; i < s.m; i++)
        for (let j = 0; j < s.n; j++) c[bt * s.cBatch + i * s.cRow + j * s.cCol] += s.bias === 'row' ? bias[i] : bias[j];
  return c;
}

/** y[n, o] = sum_i x[n, i] w[o, i] + b[o]; w is [out, in] like torch.nn.Linear. */
export function linear(n: number, cin: number, cout: number, x: Arr, w: Arr, b?: Arr): Float64Array {
  const y = new Float64Array(n * cout);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < cout; o++) {
      let acc = b ? b[o] : 0;
      for (let i = 0; i < cin; i++) acc += x[r * cin + i] * w[o * cin + i];
      y[r * cout + o] = acc;
    }
  return y;
}

export function linearBackward(n: number, cin: number, cout: number, dy: Arr, x: Arr, w: Arr) {
  const dx = new Float64Array(n * cin);
  const dw = new Float64Array(cout * cin);
  const db = new Float64Array(cout);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < cout; o++) {
      const d = dy[r * cout + o];
      db[o] += d;
      for (let i = 0; i < cin; i++) {
        dx[r * cin + i] += d * w[o * cin + i];
        dw[o * cin + i] += d * x[r * cin + i];
      }
    }
  return { dx, dw, db };
}
