// BatchNorm's elementwise passes over x viewed as [N, C, S], one thread per element:
//   apply:          out = y = gamma * (x - mean) / sqrt(var + eps) + beta, then ReLU when RELU
//   backward_apply: out = dx = gamma * inv * (dy - dbeta/m - xhat * dgamma/m), xhat = (x - mean) * inv,
//                   inv = 1/sqrt(var + eps), m = n*s, with dgamma = sum(dy*xhat) and dbeta = sum(dy)
//                   from batchnorm_reduce.wgsl (train mode: the batch statistics depend on x).
// apply binds x in the dy and dgamma slots; backward_apply binds dbeta in the beta slot.
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
