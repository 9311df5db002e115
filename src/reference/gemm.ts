// Float64 reference for the strided, batched GEMM the GPU kernel implements.
type Arr = ArrayLike<number>;

/**
 * Element (m,k) of A for batch b sits at a[b*aBatch + m*aRow + k*aCol]; likewise B (k,n) and C (m,n).
 * Transposes are just swapped strides. With reduceBatch, C is one matrix summed over all batches; with
 * reduceBatch and `splits` > 1, C holds `splits` partial sums, cBatch apart: partial z sums the batches
 * z*per .. z*per+per-1, per = ceil(batch / splits) (split-K over the batches, summed afterwards).
 * bias: 'row' adds bias[m], 'col' adds bias[n].
 */
export interface GemmShape {
  m: number; n: number; k: number; batch: number;
  aBatch: number; aRow: number; aCol: number;
  bBatch: number; bRow: number; bCol: number;
  cBatch: number; cRow: number; cCol: number;
  reduceBatch?: boolean;
  splits?: number;
  bias?: 'none' | 'row' | 'col';
}

/** Row-major strides for a plain (optionally transposed) batched product C[b] = op(A[b]) op(B[b]). */
export function gemmShape(m: number, n: number, k: number, o: { batch?: number; transA?: boolean; transB?: boolean; shareA?: boolean; shareB?: boolean } = {}): GemmShape {
  const batch = o.batch ?? 1;
  return {
    m, n, k, batch,
    aBatch: o.shareA ? 0 : m * k, aRow: o.transA ? 1 : k, aCol: o.transA ? m : 1,
    bBatch: o.shareB ? 0 : k * n, bRow: o.transB ? 1 : n, bCol: o.transB ? k : 1,
    cBatch: m * n, cRow: n, cCol: 1,
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
      for (let i = 0; i < s.m; i++) for (let j = 0; j < s.n; j++) c[bt * s.cBatch + i * s.cRow + j * s.cCol] += s.bias === 'row' ? bias[i] : bias[j];
  return c;
}
