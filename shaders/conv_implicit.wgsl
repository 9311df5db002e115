// Convolution without a column buffer ("implicit im2col"): the three products of conv.ts with the column
// matrix read straight from the image, for CPU adapters (src/gpu/tuning.ts) where writing and re-reading
// the column buffer cost more than the products. x NCHW, w OIHW, y NCHW; P = OH*OW; R = C*KH*KW.
//   forward:         y[n, o, i, j] = sum over c, ki, kj of w[o, c, ki, kj] x[n, c, i*S-PAD+ki, j*S-PAD+kj] (+ bias[o])
//   backward_input:  dx[n, c, y, x] = sum over o and the taps (ki, kj) that read (y, x) of w[o, c, ki, kj] dy[n, o, i, j]
//   backward_weight: dw[o, c, ki, kj] = sum over n, i, j of dy[n, o, i, j] x[n, c, i*S-PAD+ki, j*S-PAD+kj]
// As in gemm_direct.wgsl, each invocation keeps an 8 x 8 block of its output in registers (8 channels by
// 8 positions, 16 vec4 accumulators) and there is no workgroup memory or barrier. The geometry is
// override constants, so divisions by it are by constants. Taps outside the image read a valid address
// and select 0 (gather4).
override C: u32;
override H: u32;
override W: u32;
override O: u32;
override KH: u32;
override KW: u32;
override S: u32;
override PAD: u32;
override OH: u32;
override OW: u32;
override WG: u32 = 64;
override BIAS: bool = false;

override P: u32 = OH * OW;
override HW: u32 = H * W;
override R: u32 = C * KH * KW;

// n: images; per: images each grid-z slice of backward_weight sums (its partial sums go to slice z of out).
struct Params { n: u32, per: u32 }

// forward: in0 = x, in1 = w; backward_input: in0 = dy, in1 = w; backward_weight: in0 = x, in1 = dy.
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// The four values of in0 at flat offsets idx, 0 where ok is false.
fn gather4(idx: vec4i, ok: vec4<bool>) -> vec4f {
  let i = vec4u(select(vec4i(0), idx, ok));
  return select(vec4f(0.0), vec4f(in0[i.x], in0[i.y], in0[i.z], in0[i.w]), ok);
}

fn inRange(v: vec4i, hi: u32) -> vec4<bool> {
  return (v >= vec4i(0)) & (v < vec4i(i32(hi)));
}

const LO = vec4i(0, 1, 2, 3);
const HI = vec4i(4, 5, 6, 7);

// out[base + row*stride + col0 + j*step] = v[j] for the j with col0 + j*step < cols, if row < rows.
fn store4(base: u32, row: u32, rows: u32, stride: u32, col0: u32, step: u32, cols: u32, v: vec4f) {
  if (row >= rows) { return; }
  for (var j = 0u; j < 4u; j++) {
    let col = col0 + j * step;
    if (col >= cols) { return; }
    out[base + row * stride + col] = v[j];
  }
}

// Stores an 8 x 8 block: rows row0.. (acc: columns 0-3, bcc: columns 4-7).
struct Block {
  a0: vec4f, a1: vec4f, a2: vec4f, a3: vec4f, a4: vec4f, a5: vec4f, a6: vec4f, a7: vec4f,
  b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f, b4: vec4f, b5: vec4f, b6: vec4f, b7: vec4f,
}

fn storeBlock(base: u32, row0: u32, rows: u32, stride: u32, col0: u32, step: u32, cols: u32, k: Block) {
  let c1 = col0 + 4u * step;
  store4(base, row0, rows, stride, col0, step, cols, k.a0); store4(base, row0, rows, stride, c1, step, cols, k.b0);
  store4(base, row0 + 1u, rows, stride, col0, step, cols, k.a1); store4(base, row0 + 1u, rows, stride, c1, step, cols, k.b1);
  store4(base, row0 + 2u, rows, stride, col0, step, cols, k.a2); store4(base, row0 + 2u, rows, stride, c1, step, cols, k.b2);
  store4(base, row0 + 3u, rows, stride, col0, step, cols, k.a3); store4(base, row0 + 3u, rows, stride, c1, step, cols, k.b3);
  store4(base, row0 + 4u, rows, stride, col0, step, cols, k.a4); store4(base, row0 + 4u, rows, stride, c1, step, cols, k.b4);
  store4(base, row0 + 5u, rows, stride, col0, step, cols, k.a5); store4(base, row0 + 5u, rows, stride, c1, step, cols, k.b5);
  store4(base, row0 + 6u, rows, stride, col0, step, cols, k.a6); store4(base, row0 + 6u, rows, stride, c1, step, cols, k.b6);
  store4(base, row0 + 7u, rows, stride, col0, step, cols, k.a7); store4(base, row0 + 7u, rows, stride, c1, step, cols, k.b7);
}

// Offsets of rows row0..row0+7 (clamped to rows-1) times `stride`.
fn rows8(row0: u32, rows: u32, stride: u32) -> array<u32, 8> {
  var r: array<u32, 8>;
  for (var i = 0u; i < 8u; i++) { r[i] = min(row0 + i, rows - 1u) * stride; }
  return r;
}

// Invocation t: (channel block, image row, column block) of an output with `rowsPerImage` rows of
// `colBlocks` column blocks; images in grid z.
fn split(t: u32, rowsPerImage: u32, colBlocks: u32) -> vec3u {
  let perBlock = rowsPerImage * colBlocks;
  let rest = t % perBlock;
  return vec3u((t / perBlock) * 8u, rest / colBlocks, rest % colBlocks);
}

// Invocation: 8 output channels by 8 consecutive output columns of one output row.
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let colBlocks = (OW + 7u) / 8u;
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= ((O + 7u) / 8u) * OH * colBlocks) { return; }
  let s = split(t, OH, colBlocks);
  let o0 = s.x;
  let i = s.y;
  let j0 = s.z * 8u;
  let iy = i32(i * S) - i32(PAD);
  let ixa = (i32(j0) + LO) * i32(S) - i32(PAD);
  let ixb = (i32(j0) + HI) * i32(S) - i32(PAD);
  let wr = rows8(o0, O, R);
  var k: Block;
  let xb = i32(gid.z * C * HW);
  // Taps outermost: their bounds checks are computed once, and the channel loop inside only steps
  // addresses (x by HW, w by KH*KW).
  for (var ki = 0u; ki < KH; ki++) {
    let yy = iy + i32(ki);
    if (yy < 0 || yy >= i32(H)) { continue; }
    for (var kj = 0u; kj < KW; kj++) {
      let xa = ixa + i32(kj);
      let xc = ixb + i32(kj);
      let okA = inRange(xa, W);
      let okB = inRange(xc, W);
      var at = xb + yy * i32(W);
      var r = ki * KW + kj;
      for (var c = 0u; c < C; c++) {
        let va = gather4(at + xa, okA);
        let vb = gather4(at + xc, okB);
        let w0 = in1[wr[0] + r]; k.a0 += w0 * va; k.b0 += w0 * vb;
        let w1 = in1[wr[1] + r]; k.a1 += w1 * va; k.b1 += w1 * vb;
        let w2 = in1[wr[2] + r]; k.a2 += w2 * va; k.b2 += w2 * vb;
        let w3 = in1[wr[3] + r]; k.a3 += w3 * va; k.b3 += w3 * vb;
        let w4 = in1[wr[4] + r]; k.a4 += w4 * va; k.b4 += w4 * vb;
        let w5 = in1[wr[5] + r]; k.a5 += w5 * va; k.b5 += w5 * vb;
        let w6 = in1[wr[6] + r]; k.a6 += w6 * va; k.b6 += w6 * vb;
        let w7 = in1[wr[7] + r]; k.a7 += w7 * va; k.b7 += w7 * vb;
        at += i32(HW);
        r += KH * KW;
      }
    }
  }
  if (BIAS) {
    let bo = rows8(o0, O, 1u);
    k.a0 += bias[bo[0]]; k.b0 += bias[bo[0]]; k.a1 += bias[bo[1]]; k.b1 += bias[bo[1]];
    k.a2 += bias[bo[2]]; k.b2 += bias[bo[2]]; k.a3 += bias[bo[3]]; k.b3 += bias[bo[3]];
    k.a4 += bias[bo[4]]; k.b4 += bias[bo[4]]; k.a5 += bias[bo[5]]; k.b5 += bias[bo[5]];
    k.a6 += bias[bo[6]]; k.b6 += bias[bo[6]]; k.a7 += bias[bo[7]]; k.b7 += bias[bo[7]];
  }
  // Row o of image n is y[n, o, i, :]: base n*O*P + i*OW, row stride P, columns j0.. < OW.
  storeBlock(gid.z * O * P + i * OW, o0, O, P, j0, 1u, OW, k);
}

// Invocation: 8 input channels by 8 input columns x = rho + S*(m0 + j) of one input row y, all of one
// residue rho mod S, so every column is reached by the same taps: ki = (y + PAD) mod S, + S, ...,
// likewise kj, and a stride-2 gradient loops over its 2.25 live taps of 9 instead of all nine.
@compute @workgroup_size(WG)
fn backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let perResidue = (W + S - 1u) / S; // columns of residue 0 (the most)
  let colBlocks = S * ((perResidue + 7u) / 8u);
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= ((C + 7u) / 8u) * H * colBlocks) { return; }
  let s = split(t, H, colBlocks);
  let c0 = s.x;
  let y = s.y;
  let rho = s.z % S;
  let m0 = (s.z / S) * 8u;
  let wc = rows8(c0, C, KH * KW);
  var k: Block;
  let db = gid.z * O * P;
  for (var ki = (y + PAD) % S; ki < KH; ki += S) {
    let ty = i32(y + PAD) - i32(ki);
    if (ty < 0) { break; } // ki only grows
    let i = u32(ty) / S;
    if (i >= OH) { continue; }
    for (var kj = (rho + PAD) % S; kj < KW; kj += S) {
      // Output column of input column j: (rho + S*(m0 + j) + PAD - kj) / S, exact.
      let jb = (i32(rho + PAD) - i32(kj)) / i32(S) + i32(m0);
      let ja = jb + LO;
      let jc = jb + HI;
      let okA = inRange(ja, OW);
      let okB = inRange(jc, OW);
      var at = i32(db + i * OW);
      let wk = ki * KW + kj;
      for (var o = 0u; o < O; o++) {
        let va = gather4(at + ja, okA);
        let vb = gather4(at + jc, okB);
        let wo = o * R + wk;
        let w0 = in1[wc[0] + wo]; k.a0 += w0 * va; k.b0 += w0 * vb;
        let w1 = in1[wc[1] + wo]; k.a1 += w1 * va; k.b1 += w1 * vb;
        let w2 = in1[wc[2] + wo]; k.a2 += w2 * va; k.b2 += w2 * vb;
        let w3 = in1[wc[3] + wo]; k.a3 += w3 * va; k.b3 += w3 * vb;
        let w4 = in1[wc[4] + wo]; k.a4 += w4 * va; k.b4 += w4 * vb;
        let w5 = in1[wc[5] + wo]; k.a5 += w5 * va; k.b5 += w5 * vb;
        let w6 = in1[wc[6] + wo]; k.a6 += w6 * va; k.b6 += w6 * vb;
        let w7 = in1[wc[7] + wo]; k.a7 += w7 * va; k.b7 += w7 * vb;
        at += i32(P);
      }
    }
  }
  // Row c of image n is dx[n, c, y, :]: base n*C*HW + y*W, row stride HW, columns rho + S*(m0 + j) < W.
  storeBlock(gid.z * C * HW + y * W, c0, C, HW, rho + S * m0, S, W, k);
}

// Invocation: 8 output channels by 8 columns r = (c, ki, kj) of dw viewed as [O, R], summed over the images
// of its grid-z slice (p.per of them: a bounded loop, see src/kernels/loops.ts) and every output position;
// slice z writes its partial sums at z * O * R (one slice: all of dw).
@compute @workgroup_size(WG)
fn backward_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  let colBlocks = (R + 7u) / 8u;
  if (t >= ((O + 7u) / 8u) * colBlocks) { return; }
  let o0 = (t / colBlocks) * 8u;
  let r0 = (t % colBlocks) * 8u;
  let KK = KH * KW;
  // Column r = (c, ki, kj) reads x[c, i*S - PAD + ki, j*S - PAD + kj]; columns past R repeat the last.
  let ra = min(vec4u(r0) + vec4u(LO), vec4u(R - 1u));
  let rb = min(vec4u(r0) + vec4u(HI), vec4u(R - 1u));
  let offA = vec4i((ra / KK) * HW);
  let offB = vec4i((rb / KK) * HW);
  let dyA = vec4i((ra % KK) / KW) - i32(PAD);
  let dyB = vec4i((rb % KK) / KW) - i32(PAD);
  let dxA = vec4i(ra % KW) - i32(PAD);
  let dxB = vec4i(rb % KW) - i32(PAD);
  let d = rows8(o0, O, P);
  var k: Block;
  for (var n = gid.z * p.per; n < min(p.n, gid.z * p.per + p.per); n++) {
    let xb = i32(n * C * HW);
    var q = n * O * P;
    for (var i = 0u; i < OH; i++) {
      let ya = dyA + i32(i * S);
      let yb = dyB + i32(i * S);
      let rowA = xb + offA + ya * i32(W);
      let rowB = xb + offB + yb * i32(W);
      let okRowA = inRange(ya, H);
      let okRowB = inRange(yb, H);
      for (var j = 0u; j < OW; j++) {
        let xa = dxA + i32(j * S);
        let xc = dxB + i32(j * S);
        let va = gather4(rowA + xa, okRowA & inRange(xa, W));
        let vb = gather4(rowB + xc, okRowB & inRange(xc, W));
        let g0 = in1[d[0] + q]; k.a0 += g0 * va; k.b0 += g0 * vb;
        let g1 = in1[d[1] + q]; k.a1 += g1 * va; k.b1 += g1 * vb;
        let g2 = in1[d[2] + q]; k.a2 += g2 * va; k.b2 += g2 * vb;
        let g3 = in1[d[3] + q]; k.a3 += g3 * va; k.b3 += g3 * vb;
        let g4 = in1[d[4] + q]; k.a4 += g4 * va; k.b4 += g4 * vb;
        let g5 = in1[d[5] + q]; k.a5 += g5 * va; k.b5 += g5 * vb;
        let g6 = in1[d[6] + q]; k.a6 += g6 * va; k.b6 += g6 * vb;
        let g7 = in1[d[7] + q]; k.a7 += g7 * va; k.b7 += g7 * vb;
        q++;
      }
    }
  }
  storeBlock(gid.z * O * R, o0, O, R, r0, 1u, R, k);
}
