// Histogram of a flat array into `bins` equal bins over [lo, lo + bins / scale): bin = floor((x - lo) * scale),
// values below or above the range counted in the first or last bin. One invocation per element, atomic adds into
// `out` (zeroed by the caller: clearBuffer before the dispatch).
override WG: u32 = 256;

struct Params { count: u32, bins: u32, lo: f32, scale: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn histogram(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count) { return; }
  let t = floor((x[i] - p.lo) * p.scale);
  // Clamp in f32 first: converting an out-of-range float to i32 is not defined to saturate everywhere.
  let b = u32(clamp(t, 0.0, f32(p.bins - 1u)));
  atomicAdd(&out[b], 1u);
}
