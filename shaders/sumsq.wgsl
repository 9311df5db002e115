// Sums of squares over segments of one array (per-layer weight and gradient norms): one workgroup
// per segment. Each thread keeps a two-level sum (an inner run of CHUNK strided terms added into an
// outer total) so a segment of millions of elements stays accurate without relying on Kahan
// compensation, which a fast-math compiler may remove; the workgroup then adds the totals pairwise.
// sumsq_serial (CPU adapters, where barriers are costly: src/gpu/tuning.ts): one invocation per segment
// with three levels (runs of CHUNK terms, blocks of CHUNK runs, the total), no workgroup memory.
override WG: u32 = 256;
const CHUNK: u32 = 64u;

struct Params { segments: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
// Per segment: (offset, count) in elements of x.
@group(0) @binding(1) var<storage, read> table: array<vec2u>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn sumsq(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  // Uniform per workgroup, so every thread of the group reaches the barriers below or none does.
  let seg = wid.x + wid.y * nwg.x;
  if (seg >= p.segments) { return; }
  let start = table[seg].x;
  let count = table[seg].y;
  var total = 0.0;
  var i = t;
  while (i < count) {
    var run = 0.0;
    for (var k = 0u; k < CHUNK && i < count; k++) {
      let v = x[start + i];
      run += v * v;
      i += WG;
    }
    total += run;
  }
  partial[t] = total;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (t < half) { partial[t] += partial[t + half]; }
    workgroupBarrier();
  }
  if (t == 0u) { out[seg] = partial[0]; }
}

@compute @workgroup_size(WG)
fn sumsq_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let seg = gid.x + gid.y * nwg.x * WG;
  if (seg >= p.segments) { return; }
  let start = table[seg].x;
  let count = table[seg].y;
  var total = 0.0;
  var i = 0u;
  while (i < count) {
    var block = 0.0;
    for (var r = 0u; r < CHUNK && i < count; r++) {
      var run = 0.0;
      for (var k = 0u; k < CHUNK && i < count; k++) {
        let v = x[start + i];
        run += v * v;
        i++;
      }
      block += run;
    }
    total += block;
  }
  out[seg] = total;
}
