// BatchNorm's per-channel reductions (x viewed as [N, C, S]) split over workgroups, for GPUs: a layer of
// 16 channels of 131,072 values would otherwise run 16 workgroups. Each channel's m = N*S values are cut
// into chunks of p.len = WG * 8 (grid x: chunk, grid y: channel); a workgroup writes one partial result per
// chunk, and a *_finalize pass (one invocation per channel) combines a channel's partials.
//   stats_partial:     out0[c, k] = s_k = sum over the chunk of d = x - K, out1[c, k] = q_k = the sum of
//                      (d - s_k / n_k)^2, with K = x[0, c, 0] a shift common to the channel's chunks
//   stats_finalize:    mean and biased variance: Chan et al.'s combination of the chunks' (n_k, s_k, q_k)
//   backward_partial:  out0[c, k] = sum of dy * (x - mean), out1[c, k] = sum of dy
//   backward_finalize: dgamma = sum of out0's partials / sqrt(var + eps), dbeta = sum of out1's
// Each thread keeps its 8 values in registers, so the statistics read x once (the one-workgroup variant in
// batchnorm_reduce.wgsl reads it twice) and still take deviations from the chunk's own mean: the shift
// makes every partial a sum of values of the size of the channel's spread, so the variance stays accurate
// when |mean| >> std. The *4 partial entries read vec4s (S % 4 == 0: a vec4 never straddles two rows).
override WG: u32 = 256; // a power of two (tree reduction)
override EPS: f32 = 1e-5;
const PER: u32 = 8u; // values per thread: two vec4s

struct Params { n: u32, c: u32, s: u32, chunks: u32, len: u32 } // len: values per chunk (WG * PER of the partial pass)

// partials: in0 = x, in1 = dy (backward), in2 = mean (backward); out0, out1 = the two partial arrays [C, chunks].
// stats_finalize: in0 = x, in1 = s_k, in2 = q_k; out0 = mean, out1 = variance.
// backward_finalize: in0 = variance, in1, in2 = the partials; out0 = dgamma, out1 = dbeta.
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read> in2: array<f32>;
@group(0) @binding(3) var<storage, read_write> out0: array<f32>;
@group(0) @binding(4) var<storage, read_write> out1: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
@group(0) @binding(0) var<storage, read> in0v: array<vec4f>;
@group(0) @binding(1) var<storage, read> in1v: array<vec4f>;

var<workgroup> part0: array<f32, WG>;
var<workgroup> part1: array<f32, WG>;

// Element j (< m) of channel c as a flat index.
fn at(c: u32, j: u32) -> u32 {
  let n = j / p.s;
  return (n * p.c + c) * p.s + (j - n * p.s);
}

// First value of thread t's v-th vec4 in chunk k: consecutive threads take consecutive vec4s.
fn first(k: u32, t: u32, v: u32) -> u32 {
  return k * p.len + (v * WG + t) * 4u;
}

// Values of chunk k a thread holds, with which of them exist (j < m).
struct Held { v0: vec4f, v1: vec4f, ok0: vec4<bool>, ok1: vec4<bool> }

fn valid(j: u32) -> vec4<bool> {
  let m = p.n * p.s;
  return vec4u(j) + vec4u(0u, 1u, 2u, 3u) < vec4u(m);
}

fn gather(buf: u32, c: u32, j: u32, ok: vec4<bool>) -> vec4f {
  var v = vec4f(0.0);
  for (var e = 0u; e < 4u; e++) {
    if (ok[e]) {
      if (buf == 0u) { v[e] = in0[at(c, j + e)]; } else { v[e] = in1[at(c, j + e)]; }
    }
  }
  return v;
}

fn hold(buf: u32, c: u32, k: u32, t: u32) -> Held {
  let j0 = first(k, t, 0u);
  let j1 = first(k, t, 1u);
  let ok0 = valid(j0);
  let ok1 = valid(j1);
  return Held(gather(buf, c, j0, ok0), gather(buf, c, j1, ok1), ok0, ok1);
}

// The same with S % 4 == 0: each vec4 is one read.
fn hold4(buf: u32, c: u32, k: u32, t: u32) -> Held {
  let j0 = first(k, t, 0u);
  let j1 = first(k, t, 1u);
  let ok0 = valid(j0);
  let ok1 = valid(j1);
  var v0 = vec4f(0.0);
  var v1 = vec4f(0.0);
  if (buf == 0u) {
    if (ok0.x) { v0 = in0v[at(c, j0) / 4u]; }
    if (ok1.x) { v1 = in0v[at(c, j1) / 4u]; }
  } else {
    if (ok0.x) { v0 = in1v[at(c, j0) / 4u]; }
    if (ok1.x) { v1 = in1v[at(c, j1) / 4u]; }
  }
  return Held(v0, v1, ok0, ok1);
}

// Tree-sums part0 and part1 into element 0 (every thread calls it: barriers need uniform control flow).
fn reduce2(t: u32) {
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (t < h) {
      part0[t] += part0[t + h];
      part1[t] += part1[t + h];
    }
    workgroupBarrier();
  }
}

fn total(v: vec4f) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

// Values in chunk k of channel c.
fn chunkCount(k: u32) -> u32 {
  return min(p.len, p.n * p.s - k * p.len);
}

// `shift` is x[0, c, 0] (read through the entry's view of x).
fn statsPartial(x: Held, shift: f32, wid: vec3u, t: u32) {
  let c = wid.y;
  let k = wid.x;
  let z = vec4f(0.0);
  let d0 = select(z, x.v0 - shift, x.ok0);
  let d1 = select(z, x.v1 - shift, x.ok1);
  part0[t] = total(d0 + d1);
  part1[t] = 0.0;
  reduce2(t);
  let sk = part0[0];
  let mk = sk / f32(chunkCount(k));
  workgroupBarrier(); // everyone has read part0[0] before it is overwritten
  let e0 = select(z, d0 - mk, x.ok0);
  let e1 = select(z, d1 - mk, x.ok1);
  part0[t] = 0.0;
  part1[t] = total(e0 * e0 + e1 * e1);
  reduce2(t);
  if (t == 0u) {
    out0[c * p.chunks + k] = sk;
    out1[c * p.chunks + k] = part1[0];
  }
}

@compute @workgroup_size(WG)
fn stats_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  statsPartial(hold(0u, wid.y, wid.x, t), in0[wid.y * p.s], wid, t);
}

@compute @workgroup_size(WG)
fn stats_partial4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  statsPartial(hold4(0u, wid.y, wid.x, t), in0v[wid.y * p.s / 4u].x, wid, t);
}

// Chan et al.: M2 = sum of q_k + sum of n_k (mean_k - mean)^2, with every mean taken relative to the shift.
@compute @workgroup_size(WG)
fn stats_finalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.c) { return; }
  let m = f32(p.n * p.s);
  var s = 0.0;
  for (var k = 0u; k < p.chunks; k++) { s += in1[c * p.chunks + k]; }
  let md = s / m;
  var m2 = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    let nk = f32(chunkCount(k));
    let dk = in1[c * p.chunks + k] / nk - md;
    m2 += in2[c * p.chunks + k] + nk * dk * dk;
  }
  out0[c] = in0[c * p.s] + md;
  out1[c] = max(m2 / m, 0.0);
}

fn backwardPartial(x: Held, g: Held, wid: vec3u, t: u32) {
  let c = wid.y;
  let mu = in2[c];
  let z = vec4f(0.0);
  let g0 = select(z, g.v0, g.ok0);
  let g1 = select(z, g.v1, g.ok1);
  part0[t] = total(g0 * select(z, x.v0 - mu, x.ok0) + g1 * select(z, x.v1 - mu, x.ok1));
  part1[t] = total(g0 + g1);
  reduce2(t);
  if (t == 0u) {
    out0[c * p.chunks + wid.x] = part0[0];
    out1[c * p.chunks + wid.x] = part1[0];
  }
}

@compute @workgroup_size(WG)
fn backward_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  backwardPartial(hold(0u, wid.y, wid.x, t), hold(1u, wid.y, wid.x, t), wid, t);
}

@compute @workgroup_size(WG)
fn backward_partial4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  backwardPartial(hold4(0u, wid.y, wid.x, t), hold4(1u, wid.y, wid.x, t), wid, t);
}

@compute @workgroup_size(WG)
fn backward_finalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.c) { return; }
  var s0 = 0.0;
  var s1 = 0.0;
  for (var k = 0u; k < p.chunks; k++) {
    s0 += in1[c * p.chunks + k];
    s1 += in2[c * p.chunks + k];
  }
  out0[c] = s0 / sqrt(in0[c] + EPS);
  out1[c] = s1;
}
