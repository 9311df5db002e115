// Tiled, strided, batched GEMM: C[b] = A[b] B[b] (+ bias), C overwritten.
// Element (m,k) of A for batch b is a[b*aBatch + m*aRow + k*aCol]; B and C likewise, so transposes
// and shared operands (batch stride 0) are just strides. With REDUCE the workgroup loops over batches
// and writes C = sum_b A[b] B[b] (the convolution weight gradient): grid slice z sums batches z*per ..
// z*per+per-1 into C[z] (cBatch apart), so a GEMM with few output tiles still fills a GPU (split-K over
// the batches; the wrapper's caller sums the partials).
//
// A workgroup computes a BM x BN tile of C, BM = TY*4 and BN = TX*4: each thread owns a 4x4 register
// block (4 vec4 accumulators). K advances BK at a time through A and B tiles staged in workgroup memory.
// The register block is fixed at 4x4 because function-scope arrays need a const size; the workgroup
// tile (TX, TY) and BK are override constants.
override TX: u32 = 16; // threads along n
override TY: u32 = 16; // threads along m
override BK: u32 = 16;
override BIAS: u32 = 0; // 0 none, 1 bias[m] (row), 2 bias[n] (col)
override REDUCE: bool = false;

override BM: u32 = TY * 4;
override BN: u32 = TX * 4;
override THREADS: u32 = TX * TY;
override A_TILE: u32 = BK * BM;
override B_TILE: u32 = BK * BN;

struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  aBatch: u32, aRow: u32, aCol: u32,
  bBatch: u32, bRow: u32, bCol: u32,
  cBatch: u32, cRow: u32, cCol: u32,
  per: u32, // REDUCE: batches each grid-z slice sums (all of them when the grid has one)
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// k-major tiles: As[kk*BM + mm], Bs[kk*BN + nn], so the inner loop reads 4 neighbours of one k row.
var<workgroup> As: array<f32, A_TILE>;
var<workgroup> Bs: array<f32, B_TILE>;

@compute @workgroup_size(TX, TY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  // Tile loads walk the operand's contiguous dimension with neighbouring threads when it has one, so
  // global reads coalesce for both A (m,k) and A^T.
  let aAlongK = p.aCol < p.aRow;
  let bAlongN = p.bCol < p.bRow;
  var acc: array<vec4f, 4>;
  let t0 = select(wid.z, wid.z * p.per, REDUCE);
  let t1 = select(wid.z + 1u, min(p.batch, t0 + p.per), REDUCE);
  for (var bt = t0; bt < t1; bt++) {
    let aBase = bt * p.aBatch;
    let bBase = bt * p.bBatch;
    for (var k0 = 0u; k0 < p.k; k0 += BK) {
      for (var e = li; e < A_TILE; e += THREADS) {
        var kk: u32; var mm: u32;
        if (aAlongK) { kk = e % BK; mm = e / BK; } else { mm = e % BM; kk = e / BM; }
        let gm = row0 + mm;
        let gk = k0 + kk;
        var v = 0.0;
        if (gm < p.m && gk < p.k) { v = a[aBase + gm * p.aRow + gk * p.aCol]; }
        As[kk * BM + mm] = v;
      }
      for (var e = li; e < B_TILE; e += THREADS) {
        var kk: u32; var nn: u32;
        if (bAlongN) { nn = e % BN; kk = e / BN; } else { kk = e % BK; nn = e / BK; }
        let gn = col0 + nn;
        let gk = k0 + kk;
        var v = 0.0;
        if (gn < p.n && gk < p.k) { v = b[bBase + gk * p.bRow + gn * p.bCol]; }
        Bs[kk * BN + nn] = v;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < BK; kk++) {
        let ai = kk * BM + lid.y * 4u;
        let bi = kk * BN + lid.x * 4u;
        let bv = vec4f(Bs[bi], Bs[bi + 1u], Bs[bi + 2u], Bs[bi + 3u]);
        acc[0] += As[ai] * bv;
        acc[1] += As[ai + 1u] * bv;
        acc[2] += As[ai + 2u] * bv;
        acc[3] += As[ai + 3u] * bv;
      }
      workgroupBarrier();
    }
  }
  let cBase = wid.z * p.cBatch;
  for (var i = 0u; i < 4u; i++) {
    let gm = row0 + lid.y * 4u + i;
    if (gm >= p.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let gn = col0 + lid.x * 4u + j;
      if (gn >= p.n) { break; }
      var v = acc[i][j];
      if (BIAS == 1u) { v += bias[gm]; } else if (BIAS == 2u) { v += bias[gn]; }
      c[cBase + gm * p.cRow + gn * p.cCol] = v;
    }
  }
}
