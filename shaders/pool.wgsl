// Sums over the spatial axis of x viewed as [N, C, S]:
//   avg_pool:          out[n, c] = mean over s of x[n, c, s]           (global average pooling)
//   avg_pool_backward: out[n, c, s] = x[n, c] / S                      (x holds dy [N, C])
//   channel_sum:       out[c] = sum over n and s of x[n, c, s]         (bias gradients; one workgroup per channel)
//   channel_sum_serial: the same, one invocation per channel with a Kahan-compensated sum and no
//                      barriers (CPU adapters, src/gpu/tuning.ts)
override WG: u32 = 256; // a power of two (tree reduction in channel_sum)

// zero: 0, unknown to the compiler: keeps channel_sum_serial's Kahan compensation (batchnorm_reduce.wgsl's kadd).
struct Params { n: u32, c: u32, s: u32, zero: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn avg_pool(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n * p.c) { return; }
  var sum = 0.0;
  for (var k = 0u; k < p.s; k++) { sum += x[i * p.s + k]; }
  out[i] = sum / f32(p.s);
}

@compute @workgroup_size(WG)
fn avg_pool_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n * p.c * p.s) { return; }
  out[i] = x[i / p.s] / f32(p.s);
}

@compute @workgroup_size(WG)
fn channel_sum(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.x;
  let m = p.n * p.s;
  var sum = 0.0;
  // Consecutive threads take consecutive elements of a row (coalesced); s = 1 (the fc) keeps all busy.
  for (var j = t; j < m; j += WG) {
    let n = j / p.s;
    sum += x[(n * p.c + c) * p.s + (j - n * p.s)];
  }
  part[t] = sum;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (t < h) { part[t] += part[t + h]; }
    workgroupBarrier();
  }
  if (t == 0u) { out[c] = part[0]; }
}

@compute @workgroup_size(WG)
fn channel_sum_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.c) { return; }
  var sum = 0.0;
  var comp = 0.0;
  for (var n = 0u; n < p.n; n++) {
    let base = (n * p.c + c) * p.s;
    for (var j = 0u; j < p.s; j++) {
      let y = x[base + j] - comp;
      let t = bitcast<f32>(bitcast<u32>(sum + y) ^ p.zero);
      comp = (t - sum) - y;
      sum = t;
    }
  }
  out[c] = sum;
}
