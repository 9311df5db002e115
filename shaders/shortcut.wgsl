// Option-A shortcut: y = x[:, :, ::stride, ::stride] with zero channels added, `pad` before the
// existing ones and the rest after. Both entries write every element of their output, so the
// executor never has to clear the buffers first.
override WG: u32 = 256;

struct Params { n: u32, cin: u32, h: u32, w: u32, cout: u32, stride: u32, oh: u32, ow: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// One thread per y element [n, cout, oh, ow]; x is src, y is dst.
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n * p.cout * p.oh * p.ow) { return; }
  let j = i % p.ow;
  let r = i / p.ow;
  let k = r % p.oh;
  let nc = r / p.oh;
  let co = nc % p.cout;
  let n = nc / p.cout;
  // Unsigned wrap-around makes co < pad land far above cin, so one comparison covers both sides.
  let ci = co - p.pad;
  var v = 0.0;
  if (ci < p.cin) { v = src[((n * p.cin + ci) * p.h + k * p.stride) * p.w + j * p.stride]; }
  dst[i] = v;
}

// One thread per dx element [n, cin, h, w]; dy is src, dx is dst (zero where the stride skipped).
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n * p.cin * p.h * p.w) { return; }
  let x = i % p.w;
  let r = i / p.w;
  let y = r % p.h;
  let nc = r / p.h;
  let ci = nc % p.cin;
  let n = nc / p.cin;
  var v = 0.0;
  if (x % p.stride == 0u && y % p.stride == 0u) {
    v = src[((n * p.cout + ci + p.pad) * p.oh + y / p.stride) * p.ow + x / p.stride];
  }
  dst[i] = v;
}
