// Implicit-GEMM convolution for GPUs: the forward and input-gradient products of conv.ts (x NCHW, w OIHW)
// without a column buffer, tiled in workgroup memory and register-blocked (not yet timed on a GPU; the
// static cost model, src/kernels/cost.ts, and the forced SwiftShader tests vouch for traffic and results).
//   forward:         y[n, o, i, j]  = sum over c, ki, kj of w[o, c, ki, kj] x[n, c, i*S-PAD+ki, j*S-PAD+kj]
//   backward_input:  dx[n, c, y, x] = sum over o and the taps (ki, kj) that read (y, x) of w[o, c, ki, kj] dy[n, o, i, j]
//
// forward and backward_input are one "gather" product: out[n, m, position] = sum over channels k and taps of
// A[m, k, tap] * in0[n, k, patch position], with m the output channels (forward O, backward_input C) and
// k the summed ones (C, O). A workgroup owns BM output channels by a tile of TN images x TH rows x TW columns
// of positions; per step of BC summed channels it stages A (all taps) and the input patch the tile reads
// (its rows and columns plus the taps' halo; padding is zeros, never loaded) in workgroup memory, so every
// input value is fetched once per workgroup. An invocation keeps 4 channels x 8 consecutive positions in 8
// vec4 accumulators. The input gradient of a strided convolution splits its outputs by residue mod S
// (grid z): the positions of one residue class share their taps, so a class is a stride-1 product over
// the taps that reach it (ki = (ry + PAD) mod S, + S, ...) and no lane multiplies a tap that misses.
//
// The weight gradient is conv_igemm_weight.wgsl.
//
// The *4 entries read the image rows as vec4s (row lengths multiple of 4) and store vec4s where the output
// rows allow; otherwise identical. Geometry and tiles are override constants (the wrapper, convIgemm.ts,
// picks the tiles and sizes sA / sP).
override KH: u32;
override KW: u32;
override S: u32;
override PAD: u32;
override M: u32; // output channels of the pass: forward O, backward_input C
override K: u32; // channels summed: forward C, backward_input O
override IH: u32; // in0's image: x (forward) or dy (backward_input)
override IW: u32;
override OHF: u32; // out's image: y (forward) or dx (backward_input)
override OWF: u32;
override AM: u32 = 1; // strides of m and k in w: forward C*KH*KW and KH*KW, backward_input the reverse
override AK: u32 = 1;
override BIAS: bool = false;
override BM: u32; // output channels per workgroup, a multiple of 4
override TW: u32; // positions per tile row, a multiple of 8
override TH: u32; // tile rows
override TN: u32; // images per tile
override BC: u32; // summed channels per step
override WG: u32; // invocations: (BM / 4) * TN * TH * (TW / 8)
override SA: u32; // vec4s of sA
override SP: u32; // floats of sP

override TM: u32 = BM / 4;

// n: images; k = K and bc = BC again, as uniforms: loops bounded by them have trip counts the compiler
// cannot see, so SwiftShader does not unroll them (seconds of compile time per pipeline otherwise).
struct Params { n: u32, k: u32, bc: u32 }

@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
// vec4 views for the *4 entries (no entry point uses both views of a binding).
@group(0) @binding(0) var<storage, read> in0v: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out4: array<vec4f>;

// A [BC][tapsY][tapsX][BM / 4] as vec4s of 4 channels.
var<workgroup> sA: array<vec4f, SA>;
// The input patch [BC][TN][rows][cols].
var<workgroup> sP: array<f32, SP>;

// One axis of a tile: its `n` taps (tap a is kernel index k0 + a * kStep and patch offset
// off0 + a * offStep relative to the position's own row, scaled by the position step), the patch origin in
// the input image and its extent.
struct Axis { n: u32, k0: u32, kStep: u32, off0: i32, offStep: i32, origin: i32, len: u32 }

// forward: positions p0.. of the output step S through the input; tap k reads p*S - PAD + k.
fn forwardAxis(p0: u32, ksize: u32, tile: u32) -> Axis {
  return Axis(ksize, 0u, 1u, 0, 1, i32(p0 * S) - i32(PAD), (tile - 1u) * S + ksize);
}

// backward_input, residue class r: position p is image coordinate r + S*p; the taps k = k0, k0 + S, ...
// read dy at p + (r + PAD - k) / S, i.e. rows p + top, p + top - 1, ...
fn inputAxis(r: u32, p0: u32, ksize: u32, tile: u32) -> Axis {
  let k0 = (r + PAD) % S;
  let n = select(0u, (ksize - k0 + S - 1u) / S, k0 < ksize);
  let top = i32((r + PAD - k0) / S);
  return Axis(n, k0, S, i32(n) - 1, -1, i32(p0) + top - (i32(n) - 1), tile + max(n, 1u) - 1u);
}

fn floor4(v: i32) -> i32 {
  return select((v - 3) / 4, v / 4, v >= 0);
}

// Stages A for summed channels k0.. (zeros past M and K).
fn stageA(li: u32, m0: u32, k0: u32, ay: Axis, ax: Axis) {
  let count = TM * BC * ay.n * ax.n;
  for (var e = li; e < count; e += WG) {
    let tx = e % ax.n;
    let ty = (e / ax.n) % ay.n;
    let kk = (e / (ax.n * ay.n)) % BC;
    let mq = e / (ax.n * ay.n * BC);
    var v = vec4f(0.0);
    if (k0 + kk < K) {
      let at = (k0 + kk) * AK + (ay.k0 + ty * ay.kStep) * KW + ax.k0 + tx * ax.kStep;
      for (var i = 0u; i < 4u; i++) {
        let m = m0 + mq * 4u + i;
        if (m < M) { v[i] = in1[at + m * AM]; }
      }
    }
    sA[((kk * ay.n + ty) * ax.n + tx) * TM + mq] = v;
  }
}

// Whether patch row `row` of image slot `img`, channel slot `kk` is inside the input; its flat row offset.
struct RowAt { ok: bool, at: u32 }

fn patchRow(n0: u32, k0: u32, kk: u32, img: u32, iy: i32) -> RowAt {
  let n = n0 + img;
  let k = k0 + kk;
  let ok = n < p.n && k < K && iy >= 0 && iy < i32(IH);
  return RowAt(ok, select(0u, ((n * K + k) * IH + u32(iy)) * IW, ok));
}

fn stagePatch(li: u32, n0: u32, k0: u32, ay: Axis, ax: Axis) {
  let count = BC * TN * ay.len * ax.len;
  for (var e = li; e < count; e += WG) {
    let col = e % ax.len;
    let row = (e / ax.len) % ay.len;
    let img = (e / (ax.len * ay.len)) % TN;
    let kk = e / (ax.len * ay.len * TN);
    let r = patchRow(n0, k0, kk, img, ay.origin + i32(row));
    let ix = ax.origin + i32(col);
    var v = 0.0;
    if (r.ok && ix >= 0 && ix < i32(IW)) { v = in0[r.at + u32(ix)]; }
    sP[e] = v;
  }
}

// The same through aligned vec4 chunks of the rows (IW % 4 == 0).
fn stagePatch4(li: u32, n0: u32, k0: u32, ay: Axis, ax: Axis) {
  let q0 = floor4(ax.origin);
  let nq = u32(floor4(ax.origin + i32(ax.len) - 1) - q0 + 1);
  let count = BC * TN * ay.len * nq;
  for (var e = li; e < count; e += WG) {
    let q = q0 + i32(e % nq);
    let rowSlot = e / nq; // (kk * TN + img) * rows + row
    let row = rowSlot % ay.len;
    let img = (rowSlot / ay.len) % TN;
    let kk = rowSlot / (ay.len * TN);
    let r = patchRow(n0, k0, kk, img, ay.origin + i32(row));
    var v = vec4f(0.0);
    if (r.ok && q >= 0 && q < i32(IW / 4u)) { v = in0v[r.at / 4u + u32(q)]; }
    for (var j = 0; j < 4; j++) {
      let col = q * 4 + j - ax.origin;
      if (col >= 0 && col < i32(ax.len)) { sP[rowSlot * ax.len + u32(col)] = v[j]; }
    }
  }
}

// Invocation li of a gather tile: channel quad, and (image, row, 8-column block) of its positions.
struct Lane { tm: u32, img: u32, row: u32, col: u32 }

fn lane(li: u32) -> Lane {
  let rest = li / TM;
  let blocks = TW / 8u;
  return Lane(li % TM, rest / (blocks * TH), (rest / blocks) % TH, (rest % blocks) * 8u);
}

// One step of summed channels from workgroup memory into the 4 x 8 accumulators (acc[2i]: channel i,
// positions 0-3; acc[2i+1]: positions 4-7). `step` is the patch distance between neighbouring positions.
fn accumulate(acc: ptr<function, array<vec4f, 8>>, l: Lane, ay: Axis, ax: Axis, step: u32) {
  for (var kk = 0u; kk < p.bc; kk++) {
    for (var ty = 0u; ty < ay.n; ty++) {
      let prow = (kk * TN + l.img) * ay.len + u32(i32(l.row * step) + ay.off0 + i32(ty) * ay.offStep);
      for (var tx = 0u; tx < ax.n; tx++) {
        let a = sA[((kk * ay.n + ty) * ax.n + tx) * TM + l.tm];
        let b = prow * ax.len + u32(i32(l.col * step) + ax.off0 + i32(tx) * ax.offStep);
        let lo = vec4f(sP[b], sP[b + step], sP[b + 2u * step], sP[b + 3u * step]);
        let hi = vec4f(sP[b + 4u * step], sP[b + 5u * step], sP[b + 6u * step], sP[b + 7u * step]);
        (*acc)[0] += a.x * lo; (*acc)[1] += a.x * hi;
        (*acc)[2] += a.y * lo; (*acc)[3] += a.y * hi;
        (*acc)[4] += a.z * lo; (*acc)[5] += a.z * hi;
        (*acc)[6] += a.w * lo; (*acc)[7] += a.w * hi;
      }
    }
  }
}

// A gather tile's place: grid x = (tile row, tile column), y = channel tile, z = (image tile, class).
struct Tile { m0: u32, n0: u32, py0: u32, px0: u32, ry: u32, rx: u32 }

fn tileOf(wid: vec3u, classes: u32, cols: u32) -> Tile {
  let tilesX = (cols + TW - 1u) / TW;
  let cls = wid.z % classes;
  return Tile(wid.y * BM, (wid.z / classes) * TN, (wid.x / tilesX) * TH, (wid.x % tilesX) * TW, cls / S, cls % S);
}

// Stores channel i's accumulators (positions 0-3 in lo, 4-7 in hi) at out[n, m, ry + step*py, rx + step*px]
// (+ bias[m]) where that is inside out. Called with constant i, so the accumulators stay in registers.
fn storeRow(t: Tile, l: Lane, step: u32, i: u32, lo: vec4f, hi: vec4f) {
  let n = t.n0 + l.img;
  let oy = t.ry + step * (t.py0 + l.row);
  let m = t.m0 + l.tm * 4u + i;
  if (n >= p.n || oy >= OHF || m >= M) { return; }
  let b = select(0.0, bias[m], BIAS);
  let row = ((n * M + m) * OHF + oy) * OWF;
  for (var j = 0u; j < 8u; j++) {
    let ox = t.rx + step * (t.px0 + l.col + j);
    if (ox < OWF) { out[row + ox] = select(hi[j % 4u], lo[j % 4u], j < 4u) + b; }
  }
}

fn storeOut(acc: array<vec4f, 8>, t: Tile, l: Lane, step: u32) {
  storeRow(t, l, step, 0u, acc[0], acc[1]);
  storeRow(t, l, step, 1u, acc[2], acc[3]);
  storeRow(t, l, step, 2u, acc[4], acc[5]);
  storeRow(t, l, step, 3u, acc[6], acc[7]);
}

// The same as two vec4s per channel (step 1, OWF % 4 == 0, so a vec4 lies inside the row or outside it).
fn storeRow4(t: Tile, l: Lane, i: u32, lo: vec4f, hi: vec4f) {
  let n = t.n0 + l.img;
  let oy = t.py0 + l.row;
  let ox = t.px0 + l.col;
  let m = t.m0 + l.tm * 4u + i;
  if (n >= p.n || oy >= OHF || m >= M) { return; }
  let b = select(0.0, bias[m], BIAS);
  let at = (((n * M + m) * OHF + oy) * OWF + ox) / 4u;
  if (ox < OWF) { out4[at] = lo + b; }
  if (ox + 4u < OWF) { out4[at + 1u] = hi + b; }
}

fn storeOut4(acc: array<vec4f, 8>, t: Tile, l: Lane) {
  storeRow4(t, l, 0u, acc[0], acc[1]);
  storeRow4(t, l, 1u, acc[2], acc[3]);
  storeRow4(t, l, 2u, acc[4], acc[5]);
  storeRow4(t, l, 3u, acc[6], acc[7]);
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let t = tileOf(wid, 1u, OWF);
  let ay = forwardAxis(t.py0, KH, TH);
  let ax = forwardAxis(t.px0, KW, TW);
  var acc: array<vec4f, 8>;
  let l = lane(li);
  for (var k0 = 0u; k0 < p.k; k0 += BC) {
    stageA(li, t.m0, k0, ay, ax);
    stagePatch(li, t.n0, k0, ay, ax);
    workgroupBarrier();
    accumulate(&acc, l, ay, ax, S);
    workgroupBarrier();
  }
  storeOut(acc, t, l, 1u);
}

@compute @workgroup_size(WG)
fn forward4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let t = tileOf(wid, 1u, OWF);
  let ay = forwardAxis(t.py0, KH, TH);
  let ax = forwardAxis(t.px0, KW, TW);
  var acc: array<vec4f, 8>;
  let l = lane(li);
  for (var k0 = 0u; k0 < p.k; k0 += BC) {
    stageA(li, t.m0, k0, ay, ax);
    stagePatch4(li, t.n0, k0, ay, ax);
    workgroupBarrier();
    accumulate(&acc, l, ay, ax, S);
    workgroupBarrier();
  }
  storeOut4(acc, t, l);
}

@compute @workgroup_size(WG)
fn backward_input(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let t = tileOf(wid, S * S, (OWF + S - 1u) / S);
  let ay = inputAxis(t.ry, t.py0, KH, TH);
  let ax = inputAxis(t.rx, t.px0, KW, TW);
  var acc: array<vec4f, 8>;
  let l = lane(li);
  // A class no tap reaches (a 1x1 strided convolution's odd positions) is all zeros.
  if (ay.n > 0u && ax.n > 0u) {
    for (var k0 = 0u; k0 < p.k; k0 += BC) {
      stageA(li, t.m0, k0, ay, ax);
      stagePatch(li, t.n0, k0, ay, ax);
      workgroupBarrier();
      accumulate(&acc, l, ay, ax, 1u);
      workgroupBarrier();
    }
  }
  storeOut(acc, t, l, S);
}

// Stride 1 only (one class), IW % 4 == 0 and OWF % 4 == 0.
@compute @workgroup_size(WG)
fn backward_input4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let t = tileOf(wid, 1u, OWF);
  let ay = inputAxis(0u, t.py0, KH, TH);
  let ax = inputAxis(0u, t.px0, KW, TW);
  var acc: array<vec4f, 8>;
  let l = lane(li);
  for (var k0 = 0u; k0 < p.k; k0 += BC) {
    stageA(li, t.m0, k0, ay, ax);
    stagePatch4(li, t.n0, k0, ay, ax);
    workgroupBarrier();
    accumulate(&acc, l, ay, ax, 1u);
    workgroupBarrier();
  }
  storeOut4(acc, t, l);
}
