// 3x3, stride 1, padding 1 convolution (every ResNet convolution but the strided ones) without a
// column buffer, with image rows read as aligned vec4 chunks: the variant of conv_implicit.wgsl for CPU
// adapters. On SwiftShader each storage read costs a bounds check and a gather, far more than the
// multiply-adds, and one vec4 read costs about as much as one scalar read; so a thread reads the four
// chunks covering columns j0-4 .. j0+11 of a row once and builds all three horizontal taps' windows
// from them (8 columns each) by swizzles: 4 reads where the scalar kernel does 24.
// Needs W % 4 == 0 (rows start on a vec4 boundary); then OH = H and OW = W. The wrapper uses it for W >= 16.
//   forward:         y[n, o, i, j]     = sum over c, ki, kj of w[o, c, ki, kj] x[n, c, i-1+ki, j-1+kj]
//   backward_input:  dx[n, c, i, j]    = sum over o, ki, kj of w[o, c, ki, kj] dy[n, o, i+1-ki, j+1-kj]
//   backward_weight: dw[o, c, ki, kj]  = sum over n, i, j of dy[n, o, i, j] x[n, c, i-1+ki, j-1+kj]
override C: u32;
override H: u32;
override W: u32;
override O: u32;
override WG: u32 = 64;
override BIAS: bool = false;

override HW: u32 = H * W;
override W4: u32 = W / 4u; // vec4 chunks per row
override R: u32 = C * 9u;

// n: images; per: images each grid-z slice of backward_weight sums (its partial sums go to slice z of out).
struct Params { n: u32, per: u32 }

// forward: in0 = x, in1 = w; backward_input: in0 = dy, in1 = w; backward_weight: in0 = x, in1 = dy.
@group(0) @binding(0) var<storage, read> in0: array<vec4f>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
// backward_weight reads dy (binding 1) by vec4 chunks too; no entry point uses both declarations.
@group(0) @binding(1) var<storage, read> in1v: array<vec4f>;

// Chunk q of a row whose chunk 0 is in0[row], 0 outside the row (the padding).
fn chunk(row: u32, q: i32) -> vec4f {
  let ok = q >= 0 && q < i32(W4);
  return select(vec4f(0.0), in0[row + u32(select(0, q, ok))], ok);
}

// Columns j0-1 .. j0+10 of a row as three 8-column windows starting at j0-1, j0 and j0+1, where
// a, b, c, d are the chunks at j0-4, j0, j0+4 and j0+8 (lo: columns 0-3 of a window, hi: 4-7).
struct Windows { l0: vec4f, l1: vec4f, m0: vec4f, m1: vec4f, r0: vec4f, r1: vec4f }

fn windows(a: vec4f, b: vec4f, c: vec4f, d: vec4f) -> Windows {
  return Windows(vec4f(a.w, b.xyz), vec4f(b.w, c.xyz), b, c, vec4f(b.yzw, c.x), vec4f(c.yzw, d.x));
}

// 8 rows x 8 columns of accumulators: a* hold columns 0-3, b* columns 4-7.
struct Block {
  a0: vec4f, a1: vec4f, a2: vec4f, a3: vec4f, a4: vec4f, a5: vec4f, a6: vec4f, a7: vec4f,
  b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f, b4: vec4f, b5: vec4f, b6: vec4f, b7: vec4f,
}

// The three taps of one weight row (w[base], w[base+1], w[base+2]) against the windows (x, y, z) of
// 8 columns each (0: columns 0-3, 1: columns 4-7).
struct Pair { lo: vec4f, hi: vec4f }

fn taps(base: u32, x0: vec4f, x1: vec4f, y0: vec4f, y1: vec4f, z0: vec4f, z1: vec4f) -> Pair {
  let w0 = in1[base];
  let w1 = in1[base + 1u];
  let w2 = in1[base + 2u];
  return Pair(w0 * x0 + w1 * y0 + w2 * z0, w0 * x1 + w1 * y1 + w2 * z1);
}

// Row i of the block (weights of row i at w[i] + r) += taps against the windows: the inner step of forward
// and backward_input, which differ only in which window each tap takes.
fn accumulate(k: ptr<function, Block>, w: ptr<function, array<u32, 8>>, r: u32, x0: vec4f, x1: vec4f, y0: vec4f, y1: vec4f, z0: vec4f, z1: vec4f) {
  { let v = taps((*w)[0] + r, x0, x1, y0, y1, z0, z1); (*k).a0 += v.lo; (*k).b0 += v.hi; }
  { let v = taps((*w)[1] + r, x0, x1, y0, y1, z0, z1); (*k).a1 += v.lo; (*k).b1 += v.hi; }
  { let v = taps((*w)[2] + r, x0, x1, y0, y1, z0, z1); (*k).a2 += v.lo; (*k).b2 += v.hi; }
  { let v = taps((*w)[3] + r, x0, x1, y0, y1, z0, z1); (*k).a3 += v.lo; (*k).b3 += v.hi; }
  { let v = taps((*w)[4] + r, x0, x1, y0, y1, z0, z1); (*k).a4 += v.lo; (*k).b4 += v.hi; }
  { let v = taps((*w)[5] + r, x0, x1, y0, y1, z0, z1); (*k).a5 += v.lo; (*k).b5 += v.hi; }
  { let v = taps((*w)[6] + r, x0, x1, y0, y1, z0, z1); (*k).a6 += v.lo; (*k).b6 += v.hi; }
  { let v = taps((*w)[7] + r, x0, x1, y0, y1, z0, z1); (*k).a7 += v.lo; (*k).b7 += v.hi; }
}

fn store4(at: u32, col: u32, v: vec4f) {
  for (var j = 0u; j < 4u; j++) {
    if (col + j >= W) { return; }
    out[at + j] = v[j];
  }
}

// Row `row` (< rows) of a block, columns j0..j0+7 of image row `at` (flat offset of column 0).
fn storeRow(row: u32, rows: u32, at: u32, j0: u32, lo: vec4f, hi: vec4f) {
  if (row >= rows) { return; }
  store4(at + row * HW + j0, j0, lo);
  store4(at + row * HW + j0 + 4u, j0 + 4u, hi);
}

fn storeBlock(rows0: u32, rows: u32, at: u32, j0: u32, k: Block) {
  storeRow(rows0, rows, at, j0, k.a0, k.b0);
  storeRow(rows0 + 1u, rows, at, j0, k.a1, k.b1);
  storeRow(rows0 + 2u, rows, at, j0, k.a2, k.b2);
  storeRow(rows0 + 3u, rows, at, j0, k.a3, k.b3);
  storeRow(rows0 + 4u, rows, at, j0, k.a4, k.b4);
  storeRow(rows0 + 5u, rows, at, j0, k.a5, k.b5);
  storeRow(rows0 + 6u, rows, at, j0, k.a6, k.b6);
  storeRow(rows0 + 7u, rows, at, j0, k.a7, k.b7);
}

// Invocation t: (block of 8 channels, image row, block of 8 columns); images in grid z.
fn split(t: u32) -> vec3u {
  let colBlocks = (W + 7u) / 8u;
  let perBlock = H * colBlocks;
  let rest = t % perBlock;
  return vec3u((t / perBlock) * 8u, rest / colBlocks, (rest % colBlocks) * 8u);
}

// Invocation: 8 output channels by 8 columns of one output row.
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= ((O + 7u) / 8u) * H * ((W + 7u) / 8u)) { return; }
  let s = split(t);
  let o0 = s.x;
  let q = i32(s.z / 4u);
  var wr: array<u32, 8>;
  for (var k = 0u; k < 8u; k++) { wr[k] = min(o0 + k, O - 1u) * R; }
  var k: Block;
  for (var ki = 0u; ki < 3u; ki++) {
    let yy = i32(s.y + ki) - 1;
    if (yy < 0 || yy >= i32(H)) { continue; }
    var row = (gid.z * C * H + u32(yy)) * W4;
    var r = ki * 3u;
    for (var c = 0u; c < C; c++) {
      let x = windows(chunk(row, q - 1), chunk(row, q), chunk(row, q + 1), chunk(row, q + 2));
      accumulate(&k, &wr, r, x.l0, x.l1, x.m0, x.m1, x.r0, x.r1);
      row += H * W4;
      r += 9u;
    }
  }
  if (BIAS) {
    k.a0 += bias[wr[0] / R]; k.b0 += bias[wr[0] / R]; k.a1 += bias[wr[1] / R]; k.b1 += bias[wr[1] / R];
    k.a2 += bias[wr[2] / R]; k.b2 += bias[wr[2] / R]; k.a3 += bias[wr[3] / R]; k.b3 += bias[wr[3] / R];
    k.a4 += bias[wr[4] / R]; k.b4 += bias[wr[4] / R]; k.a5 += bias[wr[5] / R]; k.b5 += bias[wr[5] / R];
    k.a6 += bias[wr[6] / R]; k.b6 += bias[wr[6] / R]; k.a7 += bias[wr[7] / R]; k.b7 += bias[wr[7] / R];
  }
  storeBlock(o0, O, (gid.z * O * H + s.y) * W, s.z, k);
}

// Invocation: 8 input channels by 8 columns of one input row. Tap (ki, kj) of output row i+1-ki,
// column j+1-kj: kj = 0 is the window starting at j+1, kj = 2 the one starting at j-1.
@compute @workgroup_size(WG)
fn backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= ((C + 7u) / 8u) * H * ((W + 7u) / 8u)) { return; }
  let s = split(t);
  let c0 = s.x;
  let q = i32(s.z / 4u);
  var wc: array<u32, 8>;
  for (var k = 0u; k < 8u; k++) { wc[k] = min(c0 + k, C - 1u) * 9u; }
  var k: Block;
  for (var ki = 0u; ki < 3u; ki++) {
    let ty = i32(s.y) + 1 - i32(ki);
    if (ty < 0 || ty >= i32(H)) { continue; }
    var row = (gid.z * O * H + u32(ty)) * W4;
    var r = ki * 3u;
    for (var o = 0u; o < O; o++) {
      let d = windows(chunk(row, q - 1), chunk(row, q), chunk(row, q + 1), chunk(row, q + 2));
      // w[base] is tap kj = 0 (window j+1), w[base + 2] tap kj = 2 (window j-1).
      accumulate(&k, &wc, r, d.r0, d.r1, d.m0, d.m1, d.l0, d.l1);
      row += H * W4;
      r += R;
    }
  }
  storeBlock(c0, C, (gid.z * C * H + s.y) * W, s.z, k);
}

// Chunk q of row `row` of channel o of dy (in1v; `row` counts chunks from channel 0). Channels past O
// repeat the last; their sums are not stored.
fn dyChunk(row: u32, q: u32, o: u32) -> vec4f {
  return in1v[row + min(o, O - 1u) * H * W4 + q];
}

// Invocation: dw[o0..o0+3, c, all 9 taps] (9 vec4 accumulators over the 4 channels o), summed over the
// images of its grid-z slice (p.per of them: a bounded loop, see src/kernels/loops.ts), row and 4-column chunk;
// slice z writes its partial sums at z * O * R. The x chunks of the three rows slide along the row, so
// each step reads 3 new x chunks and 4 dy chunks for 144 products.
@compute @workgroup_size(WG)
fn backward_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= ((O + 3u) / 4u) * C) { return; }
  let o0 = (t / C) * 4u;
  let c = t % C;
  var t0 = vec4f(0.0); var t1 = vec4f(0.0); var t2 = vec4f(0.0);
  var t3 = vec4f(0.0); var t4 = vec4f(0.0); var t5 = vec4f(0.0);
  var t6 = vec4f(0.0); var t7 = vec4f(0.0); var t8 = vec4f(0.0);
  for (var n = gid.z * p.per; n < min(p.n, gid.z * p.per + p.per); n++) {
    let xImage = (n * C + c) * H * W4;
    let dyImage = n * O * H * W4;
    for (var i = 0u; i < H; i++) {
      // Rows i-1, i, i+1 of x (chunk index base; a row outside the image reads as zeros).
      let up = i > 0u;
      let down = i + 1u < H;
      let rowU = xImage + select(0u, i - 1u, up) * W4;
      let rowM = xImage + i * W4;
      let rowD = xImage + select(0u, i + 1u, down) * W4;
      var uPrev = vec4f(0.0); var mPrev = vec4f(0.0); var dPrev = vec4f(0.0);
      var uCur = select(vec4f(0.0), in0[rowU], up);
      var mCur = in0[rowM];
      var dCur = select(vec4f(0.0), in0[rowD], down);
      let dyRow = dyImage + i * W4;
      for (var q = 0u; q < W4; q++) {
        let more = q + 1u < W4;
        let nq = select(q, q + 1u, more);
        let uNext = select(vec4f(0.0), in0[rowU + nq], up && more);
        let mNext = select(vec4f(0.0), in0[rowM + nq], more);
        let dNext = select(vec4f(0.0), in0[rowD + nq], down && more);
        let g0 = dyChunk(dyRow, q, o0);
        let g1 = dyChunk(dyRow, q, o0 + 1u);
        let g2 = dyChunk(dyRow, q, o0 + 2u);
        let g3 = dyChunk(dyRow, q, o0 + 3u);
        // Windows of columns 4q-1.., 4q.., 4q+1.. for each of the three rows.
        let ul = vec4f(uPrev.w, uCur.xyz); let ur = vec4f(uCur.yzw, uNext.x);
        let ml = vec4f(mPrev.w, mCur.xyz); let mr = vec4f(mCur.yzw, mNext.x);
        let dl = vec4f(dPrev.w, dCur.xyz); let dr = vec4f(dCur.yzw, dNext.x);
        t0 += vec4f(dot(g0, ul), dot(g1, ul), dot(g2, ul), dot(g3, ul));
        t1 += vec4f(dot(g0, uCur), dot(g1, uCur), dot(g2, uCur), dot(g3, uCur));
        t2 += vec4f(dot(g0, ur), dot(g1, ur), dot(g2, ur), dot(g3, ur));
        t3 += vec4f(dot(g0, ml), dot(g1, ml), dot(g2, ml), dot(g3, ml));
        t4 += vec4f(dot(g0, mCur), dot(g1, mCur), dot(g2, mCur), dot(g3, mCur));
        t5 += vec4f(dot(g0, mr), dot(g1, mr), dot(g2, mr), dot(g3, mr));
        t6 += vec4f(dot(g0, dl), dot(g1, dl), dot(g2, dl), dot(g3, dl));
        t7 += vec4f(dot(g0, dCur), dot(g1, dCur), dot(g2, dCur), dot(g3, dCur));
        t8 += vec4f(dot(g0, dr), dot(g1, dr), dot(g2, dr), dot(g3, dr));
        uPrev = uCur; uCur = uNext;
        mPrev = mCur; mCur = mNext;
        dPrev = dCur; dCur = dNext;
      }
    }
  }
  // dw[o, c, ki, kj] at o*R + c*9 + ki*3 + kj; tap ki*3+kj is t<ki*3+kj>, component o - o0.
  for (var j = 0u; j < 4u; j++) {
    let o = o0 + j;
    if (o >= O) { return; }
    let at = gid.z * O * R + o * R + c * 9u;
    out[at] = t0[j]; out[at + 1u] = t1[j]; out[at + 2u] = t2[j];
    out[at + 3u] = t3[j]; out[at + 4u] = t4[j]; out[at + 5u] = t5[j];
    out[at + 6u] = t6[j]; out[at + 7u] = t7[j]; out[at + 8u] = t8[j];
  }
}
