// The weight gradient of conv_igemm.wgsl's convolution (x NCHW, w OIHW), without a column buffer:
//   dw[o, c, ki, kj] = sum over n, i, j of dy[n, o, i, j] x[n, c, i*S-PAD+ki, j*S-PAD+kj]
// i.e. dw [O, C*KH*KW] = dY [O, positions] x col^T. A workgroup owns BM output channels by BN columns
// r = (c, ki, kj) and walks the positions of its images (grid z: a split of the images, whose partial
// sums the caller adds), TH output rows at a time: it stages dy for those rows and the x rows they read in
// workgroup memory, keeping the KH - S rows that the next chunk shares (a sliding window, so every x row is
// fetched once per image and workgroup). An invocation keeps 4 output channels x 8 columns r in 8 vec4
// accumulators. backward_weight4 reads the x rows as vec4s (W % 4 == 0) and stores dw rows as vec4s
// (R % 4 == 0). Geometry and tiles are override constants (convIgemm.ts picks them).
override KH: u32;
override KW: u32;
override S: u32;
override PAD: u32;
override M: u32; // output channels O
override K: u32; // input channels C
override IH: u32; // x's image
override IW: u32;
override OHF: u32; // dy's image
override OWF: u32;
override BM: u32; // output channels per workgroup, a multiple of 4
override BN: u32; // columns r per workgroup, a multiple of 8
override TH: u32; // output rows per chunk
override WG: u32; // invocations: (BM / 4) * (BN / 8)
override SA: u32; // vec4s of sA
override SP: u32; // floats of sP

override TM: u32 = BM / 4;
override KK: u32 = KH * KW;
override R: u32 = K * KK;

// Images, images per grid-z split, and OHF again: the loops that hold the barriers get trip counts the
// compiler cannot see, so SwiftShader does not unroll them and their barriers' coroutine splits.
struct Params { n: u32, per: u32, rows: u32 }

// in0 = x [N, K, IH, IW], in1 = dy [N, M, OHF, OWF], out = dw (or grid-z split z's partial sums, M*R apart).
// (Binding 3 of the shared layout is not used here.)
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
// vec4 views for backward_weight4 (no entry point uses both views of a binding).
@group(0) @binding(0) var<storage, read> in0v: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out4: array<vec4f>;

// dy [TH * OWF][BM / 4] as vec4s of 4 output channels.
var<workgroup> sA: array<vec4f, SA>;
// x rows [channels][rows][cols].
var<workgroup> sP: array<f32, SP>;

fn floor4(v: i32) -> i32 {
  return select((v - 3) / 4, v / 4, v >= 0);
}

override PH: u32 = (TH - 1u) * S + KH; // x rows a chunk reads
override PW: u32 = (OWF - 1u) * S + KW; // x columns (with the padding)
override KEEP: u32 = max(KH, S) - S; // rows the next chunk shares (the wrapper keeps KEEP <= TH*S)

// The columns r of dw an invocation owns, and where each reads the patch (channel slot, tap row, tap column).
struct Cols { r0: u32, lo: u32, n: u32, off: array<u32, 8> }

fn columns(wid: vec3u, tn: u32) -> Cols {
  let r0 = wid.x * BN;
  let lo = r0 / KK;
  let hi = min(K, (r0 + BN - 1u) / KK + 1u);
  var off: array<u32, 8>;
  for (var j = 0u; j < 8u; j++) {
    let r = min(r0 + tn * 8u + j, R - 1u);
    let tap = r % KK;
    off[j] = ((r / KK - lo) * PH + tap / KW) * PW + tap % KW;
  }
  return Cols(r0, lo, hi - lo, off);
}

// Patch rows first.. of channel slots 0..nch for the chunk starting at output row py0 of image n.
fn stageRows(li: u32, n: u32, c: Cols, py0: u32, first: u32) {
  let rows = PH - first;
  let count = c.n * rows * PW;
  for (var e = li; e < count; e += WG) {
    let col = e % PW;
    let row = first + (e / PW) % rows;
    let ch = e / (PW * rows);
    let iy = i32(py0 * S + row) - i32(PAD);
    let ix = i32(col) - i32(PAD);
    var v = 0.0;
    if (iy >= 0 && iy < i32(IH) && ix >= 0 && ix < i32(IW)) { v = in0[((n * K + c.lo + ch) * IH + u32(iy)) * IW + u32(ix)]; }
    sP[(ch * PH + row) * PW + col] = v;
  }
}

fn stageRows4(li: u32, n: u32, c: Cols, py0: u32, first: u32) {
  let q0 = floor4(-i32(PAD));
  let nq = u32(floor4(i32(PW) - 1 - i32(PAD)) - q0 + 1);
  let rows = PH - first;
  let count = c.n * rows * nq;
  for (var e = li; e < count; e += WG) {
    let q = q0 + i32(e % nq);
    let row = first + (e / nq) % rows;
    let ch = e / (nq * rows);
    let iy = i32(py0 * S + row) - i32(PAD);
    var v = vec4f(0.0);
    if (iy >= 0 && iy < i32(IH) && q >= 0 && q < i32(IW / 4u)) { v = in0v[(((n * K + c.lo + ch) * IH + u32(iy)) * IW) / 4u + u32(q)]; }
    for (var j = 0; j < 4; j++) {
      let col = q * 4 + j + i32(PAD);
      if (col >= 0 && col < i32(PW)) { sP[(ch * PH + row) * PW + u32(col)] = v[j]; }
    }
  }
}

// Moves the KEEP rows the next chunk shares to the top of each channel's patch.
fn slide(li: u32, c: Cols) {
  let keep = max(KEEP, 1u); // a divisor the compiler can see is not 0 (slide only runs when KEEP > 0)
  let count = c.n * keep * PW;
  for (var e = li; e < count; e += WG) {
    let col = e % PW;
    let row = (e / PW) % keep;
    let base = (e / (PW * keep)) * PH;
    sP[(base + row) * PW + col] = sP[(base + row + TH * S) * PW + col];
  }
}

// dy of output rows py0.. for the workgroup's output channels (zeros past M and OHF).
fn stageDy(li: u32, n: u32, o0: u32, py0: u32) {
  let count = TH * OWF * TM;
  for (var e = li; e < count; e += WG) {
    let pos = e % (TH * OWF);
    let mq = e / (TH * OWF);
    let oy = py0 + pos / OWF;
    var v = vec4f(0.0);
    if (oy < OHF) {
      for (var i = 0u; i < 4u; i++) {
        let o = o0 + mq * 4u + i;
        if (o < M) { v[i] = in1[((n * M + o) * OHF + oy) * OWF + pos % OWF]; }
      }
    }
    sA[pos * TM + mq] = v;
  }
}

// acc[j] (4 output channels) += dy * x over the chunk's positions, for the invocation's 8 columns.
fn accumulateW(acc: ptr<function, array<vec4f, 8>>, tm: u32, c: Cols) {
  for (var pos = 0u; pos < TH * OWF; pos++) {
    let g = sA[pos * TM + tm];
    let at = (pos / OWF) * S * PW + (pos % OWF) * S;
    (*acc)[0] += g * sP[c.off[0] + at]; (*acc)[1] += g * sP[c.off[1] + at];
    (*acc)[2] += g * sP[c.off[2] + at]; (*acc)[3] += g * sP[c.off[3] + at];
    (*acc)[4] += g * sP[c.off[4] + at]; (*acc)[5] += g * sP[c.off[5] + at];
    (*acc)[6] += g * sP[c.off[6] + at]; (*acc)[7] += g * sP[c.off[7] + at];
  }
}

@compute @workgroup_size(WG)
fn backward_weight(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let tm = li % TM;
  let tn = li / TM;
  let c = columns(wid, tn);
  let o0 = wid.y * BM;
  var acc: array<vec4f, 8>;
  for (var n = wid.z * p.per; n < min(p.n, wid.z * p.per + p.per); n++) {
    for (var py0 = 0u; py0 < p.rows; py0 += TH) {
      var first = 0u;
      if (py0 > 0u && KEEP > 0u) {
        slide(li, c);
        workgroupBarrier();
        first = KEEP;
      }
      stageRows(li, n, c, py0, first);
      stageDy(li, n, o0, py0);
      workgroupBarrier();
      accumulateW(&acc, tm, c);
      workgroupBarrier();
    }
  }
  let at = vec3u(wid.z * M * R, o0 + tm * 4u, c.r0 + tn * 8u);
  storeCol(at, 0u, acc[0]); storeCol(at, 1u, acc[1]); storeCol(at, 2u, acc[2]); storeCol(at, 3u, acc[3]);
  storeCol(at, 4u, acc[4]); storeCol(at, 5u, acc[5]); storeCol(at, 6u, acc[6]); storeCol(at, 7u, acc[7]);
}

// Column r = at.z + j of dw (or of partial at.x) for output channels at.y .. at.y + 3. Called with constant j,
// so the accumulators stay in registers.
fn storeCol(at: vec3u, j: u32, v: vec4f) {
  let r = at.z + j;
  if (r >= R) { return; }
  for (var i = 0u; i < 4u; i++) {
    if (at.y + i < M) { out[at.x + (at.y + i) * R + r] = v[i]; }
  }
}

// x rows as vec4s (IW % 4 == 0) and dw rows stored as vec4s (R % 4 == 0).
@compute @workgroup_size(WG)
fn backward_weight4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let tm = li % TM;
  let tn = li / TM;
  let c = columns(wid, tn);
  let o0 = wid.y * BM;
  var acc: array<vec4f, 8>;
  for (var n = wid.z * p.per; n < min(p.n, wid.z * p.per + p.per); n++) {
    for (var py0 = 0u; py0 < p.rows; py0 += TH) {
      var first = 0u;
      if (py0 > 0u && KEEP > 0u) {
        slide(li, c);
        workgroupBarrier();
        first = KEEP;
      }
      stageRows4(li, n, c, py0, first);
      stageDy(li, n, o0, py0);
      workgroupBarrier();
      accumulateW(&acc, tm, c);
      workgroupBarrier();
    }
  }
  let at = vec3u(wid.z * M * R, o0 + tm * 4u, c.r0 + tn * 8u);
  storeCols4(at, 0u, acc[0], acc[1], acc[2], acc[3]);
  storeCols4(at, 4u, acc[4], acc[5], acc[6], acc[7]);
}

// Columns r = at.z + j .. + 3 of dw (or of partial at.x), a vec4 per output channel (R % 4 == 0).
fn storeCols4(at: vec3u, j: u32, a: vec4f, b: vec4f, c: vec4f, d: vec4f) {
  let r = at.z + j;
  if (r >= R) { return; }
  for (var i = 0u; i < 4u; i++) {
    if (at.y + i < M) { out4[(at.x + (at.y + i) * R + r) / 4u] = vec4f(a[i], b[i], c[i], d[i]); }
  }
}
