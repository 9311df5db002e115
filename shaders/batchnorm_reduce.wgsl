// BatchNorm's per-channel reductions over N and S (x viewed as [N, C, S]), one workgroup per channel:
//   stats:           out0 = mean, out1 = biased variance of x
//   backward_reduce: out0 = dgamma = sum(dy * xhat), out1 = dbeta = sum(dy)
// or, for CPU adapters where barriers are costly (src/gpu/tuning.ts), one invocation per channel with
// Kahan-compensated sums and no workgroup memory: stats_serial and backward_reduce_serial, same outputs,
// and stats_serial4 / backward_reduce_serial4 reading vec4s when S % 4 == 0 (4 independent Kahan sums). One
// invocation loops over its whole channel: src/kernels/batchnorm.ts takes the workgroup entries past the loop
// bound of src/kernels/loops.ts.
// and the running-statistics update, one thread per channel:
//   update_running:  out0 = runMean, out1 = runVar, updated in place from mean and variance.
// Entries bind x (or mean) again in the slots they ignore. The two-output entries live here, apart from
// the elementwise ones in batchnorm.wgsl: an ignored writable slot would need a buffer of its own.
override WG: u32 = 256; // a power of two (tree reduction)
override EPS: f32 = 1e-5;

// zero: 0, from the uniform buffer so the compiler cannot know it (see kadd).
struct Params { n: u32, c: u32, s: u32, momentum: f32, unbias: f32, zero: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> out0: array<f32>;
@group(0) @binding(5) var<storage, read_write> out1: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

var<workgroup> part0: array<f32, WG>;
var<workgroup> part1: array<f32, WG>;

// Flat index of the j-th element (j < n*s) of channel c. Threads take consecutive j, so reads coalesce
// within a row of s, and small s (8x8 maps, the fc's s = 1) still keeps every thread busy.
fn at(c: u32, j: u32) -> u32 {
  let n = j / p.s;
  return (n * p.c + c) * p.s + (j - n * p.s);
}

// Tree-sums part0 and part1 into element 0. Called by every thread (barriers need uniform control flow);
// per-thread partial sums followed by a pairwise tree keep float32 rounding error small.
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

// Two passes over the data: a provisional mean mu0, then the sums of d = x - mu0 and d^2. The corrected
// two-pass formula var = sum(d^2)/m - (sum(d)/m)^2 cancels mu0's rounding error, so the variance stays
// accurate when |mean| >> std (E[x^2] - E[x]^2 in float32 would lose it entirely).
@compute @workgroup_size(WG)
fn stats(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.x;
  let m = p.n * p.s;
  var sum = 0.0;
  for (var j = t; j < m; j += WG) { sum += x[at(c, j)]; }
  part0[t] = sum;
  part1[t] = 0.0;
  reduce2(t);
  let mu0 = part0[0] / f32(m);
  workgroupBarrier(); // everyone has read part0[0] before it is overwritten
  var sd = 0.0;
  var sdd = 0.0;
  for (var j = t; j < m; j += WG) {
    let d = x[at(c, j)] - mu0;
    sd += d;
    sdd += d * d;
  }
  part0[t] = sd;
  part1[t] = sdd;
  reduce2(t);
  if (t == 0u) {
    let dm = part0[0] / f32(m);
    out0[c] = mu0 + dm;
    out1[c] = max(part1[0] / f32(m) - dm * dm, 0.0);
  }
}

@compute @workgroup_size(WG)
fn backward_reduce(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.x;
  let m = p.n * p.s;
  let mu = mean[c];
  var sdy = 0.0;
  var sdyd = 0.0;
  for (var j = t; j < m; j += WG) {
    let k = at(c, j);
    let g = dy[k];
    sdy += g;
    sdyd += g * (x[k] - mu);
  }
  part0[t] = sdyd;
  part1[t] = sdy;
  reduce2(t);
  if (t == 0u) {
    out0[c] = part0[0] / sqrt(variance[c] + EPS);
    out1[c] = part1[0];
  }
}

// running = (1 - momentum) * running + momentum * batch; unbias = m / (m - 1) turns the biased batch
// variance into the unbiased one, as PyTorch does.
@compute @workgroup_size(WG)
fn update_running(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.c) { return; }
  out0[c] = (1.0 - p.momentum) * out0[c] + p.momentum * mean[c];
  out1[c] = (1.0 - p.momentum) * out1[c] + p.momentum * variance[c] * p.unbias;
}

// ---- Serial variants: invocation c reduces channel c alone (flat index, grid1d). ----

// Kahan-compensated running sum: s.x the sum, s.y the compensation. Its error does not grow with the
// number of terms, so one invocation summing a whole channel matches the tree's accuracy. A compiler that
// reassociates float additions sees t = s + y and folds the compensation (t - s) - y to 0, leaving a naive
// sum (Mesa's llvmpipe under lavapipe did: 1 + 8191 x 1e-8 came out 1.0). So t passes through its bits XOR
// p.zero: 0 at run time, unknown to the compiler, which can then no longer prove t == s + y.
fn opaque(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) ^ p.zero);
}

fn kadd(s: ptr<function, vec2f>, v: f32) {
  let y = v - (*s).y;
  let t = opaque((*s).x + y);
  (*s).y = (t - (*s).x) - y;
  (*s).x = t;
}

// The same corrected two-pass algorithm as stats.
@compute @workgroup_size(WG)
fn stats_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.c) { return; }
  let m = f32(p.n * p.s);
  var sum = vec2f(0.0);
  for (var n = 0u; n < p.n; n++) {
    let base = (n * p.c + c) * p.s;
    for (var j = 0u; j < p.s; j++) { kadd(&sum, x[base + j]); }
  }
  let mu0 = sum.x / m;
  var sd = vec2f(0.0);
  var sdd = vec2f(0.0);
  for (var n = 0u; n < p.n; n++) {
    let base = (n * p.c + c) * p.s;
    for (var j = 0u; j < p.s; j++) {
      let d = x[base + j] - mu0;
      kadd(&sd, d);
      kadd(&sdd, d * d);
    }
  }
  let dm = sd.x / m;
  out0[c] = mu0 + dm;
  out1[c] = max(sdd.x / m - dm * dm, 0.0);
}

@compute @workgroup_size(WG)
fn backward_reduce_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.c) { return; }
  let mu = mean[c];
  var sdy = vec2f(0.0);
  var sdyd = vec2f(0.0);
  for (var n = 0u; n < p.n; n++) {
    let base = (n * p.c + c) * p.s;
    for (var j = 0u; j < p.s; j++) {
      let g = dy[base + j];
      kadd(&sdy, g);
      kadd(&sdyd, g * (x[base + j] - mu));
    }
  }
  out0[c] = sdyd.x / sqrt(variance[c] + EPS);
  out1[c] = sdy.x;
}

// ---- Serial, vec4: S % 4 == 0, so each (n, c) row is whole vec4s (x4, dy4 alias bindings 0 and 1). ----
@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4f>;

fn kadd4(s: ptr<function, vec4f>, e: ptr<function, vec4f>, v: vec4f) {
  let y = v - *e;
  let t = bitcast<vec4f>(bitcast<vec4u>(*s + y) ^ vec4u(p.zero));
  *e = (t - *s) - y;
  *s = t;
}

// The sum held by four Kahan accumulators (sums s, compensations e): s - e, added with compensation.
fn total(s: vec4f, e: vec4f) -> f32 {
  var acc = vec2f(0.0);
  kadd(&acc, s.x); kadd(&acc, s.y); kadd(&acc, s.z); kadd(&acc, s.w);
  kadd(&acc, -e.x); kadd(&acc, -e.y); kadd(&acc, -e.z); kadd(&acc, -e.w);
  return acc.x;
}

@compute @workgroup_size(WG)
fn stats_serial4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.c) { return; }
  let s4 = p.s / 4u;
  let m = f32(p.n * p.s);
  var sum = vec4f(0.0);
  var sumE = vec4f(0.0);
  for (var n = 0u; n < p.n; n++) {
    let base = (n * p.c + c) * s4;
    for (var j = 0u; j < s4; j++) { kadd4(&sum, &sumE, x4[base + j]); }
  }
  let mu0 = total(sum, sumE) / m;
  var sd = vec4f(0.0);
  var sdE = vec4f(0.0);
  var sdd = vec4f(0.0);
  var sddE = vec4f(0.0);
  for (var n = 0u; n < p.n; n++) {
    let base = (n * p.c + c) * s4;
    for (var j = 0u; j < s4; j++) {
      let d = x4[base + j] - mu0;
      kadd4(&sd, &sdE, d);
      kadd4(&sdd, &sddE, d * d);
    }
  }
  let dm = total(sd, sdE) / m;
  out0[c] = mu0 + dm;
  out1[c] = max(total(sdd, sddE) / m - dm * dm, 0.0);
}

@compute @workgroup_size(WG)
fn backward_reduce_serial4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.c) { return; }
  let s4 = p.s / 4u;
  let mu = mean[c];
  var sdy = vec4f(0.0);
  var sdyE = vec4f(0.0);
  var sdyd = vec4f(0.0);
  var sdydE = vec4f(0.0);
  for (var n = 0u; n < p.n; n++) {
    let base = (n * p.c + c) * s4;
    for (var j = 0u; j < s4; j++) {
      let g = dy4[base + j];
      kadd4(&sdy, &sdyE, g);
      kadd4(&sdyd, &sdydE, g * (x4[base + j] - mu));
    }
  }
  out0[c] = total(sdyd, sdydE) / sqrt(variance[c] + EPS);
  out1[c] = total(sdy, sdyE);
}
