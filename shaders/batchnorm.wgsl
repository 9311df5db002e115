// BatchNorm's elementwise passes over x viewed as [N, C, S], one thread per element:
//   apply:          out = y = gamma * (x - mean) / sqrt(var + eps) + beta, then ReLU when RELU
//   backward_apply: out = dx = gamma * inv * (dy - dbeta/m - xhat * dgamma/m), xhat = (x - mean) * inv,
//                   inv = 1/sqrt(var + eps), m = n*s, with dgamma = sum(dy*xhat) and dbeta = sum(dy)
//                   from batchnorm_reduce.wgsl (train mode: the batch statistics depend on x).
// apply binds x in the dy and dgamma slots; backward_apply binds dbeta in the beta slot.
// apply4 and backward_apply4 do the same four elements per thread through vec4 views of x, dy and out
// (S % 4 == 0, so the four share a channel): 2-3x faster than one element per thread on SwiftShader.
override WG: u32 = 256;
override EPS: f32 = 1e-5;
override RELU: bool = false;

struct Params { count: u32, c: u32, s: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> beta: array<f32>; // dbeta in backward_apply
@group(0) @binding(6) var<storage, read> dgamma: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count) { return; }
  let c = (i / p.s) % p.c;
  // (x - mean) first: exact when |mean| >> std, unlike x * scale + (beta - mean * scale).
  let y = (x[i] - mean[c]) * (gamma[c] / sqrt(variance[c] + EPS)) + beta[c];
  out[i] = select(y, max(y, 0.0), RELU);
}

// Eval-mode input gradient: out = dy * gamma / sqrt(variance + EPS), variance the running one (x unused).
@compute @workgroup_size(WG)
fn eval_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count) { return; }
  let c = (i / p.s) % p.c;
  out[i] = dy[i] * (gamma[c] / sqrt(variance[c] + EPS));
}

@compute @workgroup_size(WG)
fn backward_apply(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count) { return; }
  let c = (i / p.s) % p.c;
  let inv = 1.0 / sqrt(variance[c] + EPS);
  let m = f32(p.count / p.c);
  let xhat = (x[i] - mean[c]) * inv;
  out[i] = gamma[c] * inv * (dy[i] - beta[c] / m - xhat * (dgamma[c] / m));
}

@group(0) @binding(0) var<storage, read> x4: array<vec4f>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> out4: array<vec4f>;

@compute @workgroup_size(WG)
fn apply4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count / 4u) { return; }
  let c = (i * 4u / p.s) % p.c;
  let y = (x4[i] - mean[c]) * (gamma[c] / sqrt(variance[c] + EPS)) + beta[c];
  out4[i] = select(y, max(y, vec4f(0.0)), RELU);
}

@compute @workgroup_size(WG)
fn backward_apply4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count / 4u) { return; }
  let c = (i * 4u / p.s) % p.c;
  let inv = 1.0 / sqrt(variance[c] + EPS);
  let m = f32(p.count / p.c);
  let xhat = (x4[i] - mean[c]) * inv;
  out4[i] = gamma[c] * inv * (dy4[i] - beta[c] / m - xhat * (dgamma[c] / m));
}
