// Strided, batched GEMM without workgroup memory or barriers: the variant for CPU adapters (SwiftShader),
// where a barrier makes every SIMD group of the workgroup a coroutine and costs far more than the
// global-memory reads a tile would save. Same bindings, uniforms and semantics as gemm.wgsl:
// C[b] = A[b] B[b] (+ bias), C overwritten; with REDUCE, C[z] = sum of A[b] B[b] over grid slice z's batches.
//
// Each invocation owns an 8 x 8 block of C (rows m0..m0+7, columns n0..n0+7) in 16 vec4 accumulators and
// walks K reading A and B straight from storage. On SwiftShader every storage read with a computed index
// is a 4-lane gather, and the gathers cost more than the arithmetic, so the block is as large as measured
// useful: 8x8 (16 reads per 64 products) ran 1.2-1.3x faster than 8x4, which ran 1.3-1.6x faster than 4x4.
// Row and column indices are clamped at the edges, so the inner loop has no branches; the clamped
// duplicates are computed and then not stored. Invocations are numbered n-block fastest, so neighbours
// read neighbouring columns of B and write neighbouring columns of C.
override WG: u32 = 64;
override BIAS: u32 = 0; // 0 none, 1 bias[m] (row), 2 bias[n] (col)
override REDUCE: bool = false;

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

fn store(base: u32, gm: u32, n0: u32, v: vec4f) {
  if (gm >= p.m) { return; }
  for (var j = 0u; j < 4u; j++) {
    let gn = n0 + j;
    if (gn >= p.n) { return; }
    var e = v[j];
    if (BIAS == 1u) { e += bias[gm]; } else if (BIAS == 2u) { e += bias[gn]; }
    c[base + gm * p.cRow + gn * p.cCol] = e;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let nBlocks = (p.n + 7u) / 8u;
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= nBlocks * ((p.m + 7u) / 8u)) { return; }
  let m0 = (t / nBlocks) * 8u;
  let n0 = (t % nBlocks) * 8u;
  let ar1 = vec4u(m0, min(m0 + 1u, p.m - 1u), min(m0 + 2u, p.m - 1u), min(m0 + 3u, p.m - 1u)) * p.aRow;
  let ar2 = vec4u(min(m0 + 4u, p.m - 1u), min(m0 + 5u, p.m - 1u), min(m0 + 6u, p.m - 1u), min(m0 + 7u, p.m - 1u)) * p.aRow;
  let bc = vec4u(n0, min(n0 + 1u, p.n - 1u), min(n0 + 2u, p.n - 1u), min(n0 + 3u, p.n - 1u)) * p.bCol;
  let bd = vec4u(min(n0 + 4u, p.n - 1u), min(n0 + 5u, p.n - 1u), min(n0 + 6u, p.n - 1u), min(n0 + 7u, p.n - 1u)) * p.bCol;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  var bcc0 = vec4f(0.0);
  var bcc1 = vec4f(0.0);
  var bcc2 = vec4f(0.0);
  var bcc3 = vec4f(0.0);
  var bcc4 = vec4f(0.0);
  var bcc5 = vec4f(0.0);
  var bcc6 = vec4f(0.0);
  var bcc7 = vec4f(0.0);
  let t0 = select(gid.z, gid.z * p.per, REDUCE);
  let t1 = select(gid.z + 1u, min(p.batch, t0 + p.per), REDUCE);
  for (var bt = t0; bt < t1; bt++) {
    var ak = bt * p.aBatch;
    var bk = bt * p.bBatch;
    for (var k = 0u; k < p.k; k++) {
      let bv = vec4f(b[bk + bc.x], b[bk + bc.y], b[bk + bc.z], b[bk + bc.w]);
      let bw = vec4f(b[bk + bd.x], b[bk + bd.y], b[bk + bd.z], b[bk + bd.w]);
      let a0 = a[ak + ar1.x]; acc0 += a0 * bv; bcc0 += a0 * bw;
      let a1 = a[ak + ar1.y]; acc1 += a1 * bv; bcc1 += a1 * bw;
      let a2 = a[ak + ar1.z]; acc2 += a2 * bv; bcc2 += a2 * bw;
      let a3 = a[ak + ar1.w]; acc3 += a3 * bv; bcc3 += a3 * bw;
      let a4 = a[ak + ar2.x]; acc4 += a4 * bv; bcc4 += a4 * bw;
      let a5 = a[ak + ar2.y]; acc5 += a5 * bv; bcc5 += a5 * bw;
      let a6 = a[ak + ar2.z]; acc6 += a6 * bv; bcc6 += a6 * bw;
      let a7 = a[ak + ar2.w]; acc7 += a7 * bv; bcc7 += a7 * bw;
      ak += p.aCol;
      bk += p.bRow;
    }
  }
  let base = gid.z * p.cBatch;
  store(base, m0, n0, acc0);
  store(base, m0 + 1u, n0, acc1);
  store(base, m0 + 2u, n0, acc2);
  store(base, m0 + 3u, n0, acc3);
  store(base, m0 + 4u, n0, acc4);
  store(base, m0 + 5u, n0, acc5);
  store(base, m0 + 6u, n0, acc6);
  store(base, m0 + 7u, n0, acc7);
  store(base, m0, n0 + 4u, bcc0);
  store(base, m0 + 1u, n0 + 4u, bcc1);
  store(base, m0 + 2u, n0 + 4u, bcc2);
  store(base, m0 + 3u, n0 + 4u, bcc3);
  store(base, m0 + 4u, n0 + 4u, bcc4);
  store(base, m0 + 5u, n0 + 4u, bcc5);
  store(base, m0 + 6u, n0 + 4u, bcc6);
  store(base, m0 + 7u, n0 + 4u, bcc7);
}
