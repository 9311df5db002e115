// Max pooling (PyTorch's MaxPool2d: k x k window, stride, padding cells never picked) and its
// backward. The winner of a window is its first largest value in row-major order (PyTorch's CPU rule: a later
// value replaces the best only when strictly greater), so the gradient of a tie goes to one input, as PyTorch's.
// The backward keeps no arg-max tensor: each input element finds the windows that cover it, decides each
// window's winner again from x, and sums the dy of those it won. No atomics, no cleared buffer, and the result
// does not depend on the order threads run (overlapping windows, k > stride, add up in a fixed order).
override WG: u32 = 256;

struct Params { n: u32, c: u32, h: u32, w: u32, oh: u32, ow: u32, k: u32, stride: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>; // forward: unused (bound to x)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// The flat index within plane `base` of window (oy, ox)'s winner. pad < k (the wrapper checks pad <= k / 2), so
// every window holds at least one input element.
fn winner(base: u32, oy: u32, ox: u32) -> u32 {
  let y0 = i32(oy * p.stride) - i32(p.pad);
  let x0 = i32(ox * p.stride) - i32(p.pad);
  var best = 0.0;
  var at = 0xffffffffu;
  for (var ky = 0u; ky < p.k; ky++) {
    let iy = y0 + i32(ky);
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    for (var kx = 0u; kx < p.k; kx++) {
      let ix = x0 + i32(kx);
      if (ix < 0 || ix >= i32(p.w)) { continue; }
      let j = u32(iy) * p.w + u32(ix);
      let v = x[base + j];
      if (at == 0xffffffffu || v > best) {
        best = v;
        at = j;
      }
    }
  }
  return at;
}

// One thread per y element [n, c, oh, ow].
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n * p.c * p.oh * p.ow) { return; }
  let ox = i % p.ow;
  let r = i / p.ow;
  let oy = r % p.oh;
  let base = (r / p.oh) * p.h * p.w;
  out[i] = x[base + winner(base, oy, ox)];
}

// One thread per dx element [n, c, h, w]: the sum of dy over the windows this element wins.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n * p.c * p.h * p.w) { return; }
  let ix = i % p.w;
  let r = i / p.w;
  let iy = r % p.h;
  let plane = r / p.h;
  let base = plane * p.h * p.w;
  let j = iy * p.w + ix;
  // Windows oy with oy * stride - pad <= iy <= oy * stride - pad + k - 1, within 0..oh-1 (same for x).
  let ylo = (max(i32(iy + p.pad) - i32(p.k) + 1, 0) + i32(p.stride) - 1) / i32(p.stride);
  let yhi = min(i32(iy + p.pad) / i32(p.stride), i32(p.oh) - 1);
  let xlo = (max(i32(ix + p.pad) - i32(p.k) + 1, 0) + i32(p.stride) - 1) / i32(p.stride);
  let xhi = min(i32(ix + p.pad) / i32(p.stride), i32(p.ow) - 1);
  var sum = 0.0;
  for (var oy = ylo; oy <= yhi; oy++) {
    for (var ox = xlo; ox <= xhi; ox++) {
      if (winner(base, u32(oy), u32(ox)) == j) { sum += dy[(plane * p.oh + u32(oy)) * p.ow + u32(ox)]; }
    }
  }
  out[i] = sum;
}
