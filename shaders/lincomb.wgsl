// out = base + a * d1 + b * d2 over a flat array: the loss landscape's weights at grid point (a, b) written into a
// network's parameter arena (base, d1 and d2 laid out like the arena).
override WG: u32 = 256;

struct Params { count: u32, a: f32, b: f32 }

@group(0) @binding(0) var<storage, read> base: array<f32>;
@group(0) @binding(1) var<storage, read> d1: array<f32>;
@group(0) @binding(2) var<storage, read> d2: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn lincomb(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count) { return; }
  out[i] = base[i] + p.a * d1[i] + p.b * d2[i];
}
