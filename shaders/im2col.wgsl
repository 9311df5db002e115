// Column matrix for convolution as a GEMM, and its adjoint.
// im2col: src = x [N,C,H,W], dst = col [N, C*KH*KW, OH*OW];
//   col[n, (c*KH+ki)*KW+kj, i*OW+j] = x[n, c, i*s-p+ki, j*s-p+kj], 0 outside the image.
// col2im: src = col, dst = dx [N,C,H,W]; a gather: each dx element sums the column entries it fed,
//   so no two threads write one element and no atomics are needed. dx is overwritten.
// One thread per output element; the flat index folds into y (grid1d).
override WG: u32 = 256;

struct Params {
  n: u32, c: u32, h: u32, w: u32,
  kh: u32, kw: u32, stride: u32, pad: u32,
  oh: u32, ow: u32, count: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn im2col(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let idx = gid.x + gid.y * nwg.x * WG;
  if (idx >= p.count) { return; }
  let P = p.oh * p.ow;
  let R = p.c * p.kh * p.kw;
  let q = idx % P;
  let r = (idx / P) % R;
  let n = idx / (P * R);
  let c = r / (p.kh * p.kw);
  let ki = (r / p.kw) % p.kh;
  let kj = r % p.kw;
  // Signed: the top-left taps of a padded convolution fall at -pad.
  let y = i32((q / p.ow) * p.stride + ki) - i32(p.pad);
  let x = i32((q % p.ow) * p.stride + kj) - i32(p.pad);
  var v = 0.0;
  if (y >= 0 && y < i32(p.h) && x >= 0 && x < i32(p.w)) {
    v = src[((n * p.c + c) * p.h + u32(y)) * p.w + u32(x)];
  }
  dst[idx] = v;
}

@compute @workgroup_size(WG)
fn col2im(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let idx = gid.x + gid.y * nwg.x * WG;
  if (idx >= p.count) { return; }
  let x = idx % p.w;
  let y = (idx / p.w) % p.h;
  let c = (idx / (p.w * p.h)) % p.c;
  let n = idx / (p.w * p.h * p.c);
  let P = p.oh * p.ow;
  let R = p.c * p.kh * p.kw;
  var s = 0.0;
  for (var ki = 0u; ki < p.kh; ki++) {
    // Output row i reads input row y through tap ki when i*stride = y + pad - ki.
    let ty = i32(y + p.pad) - i32(ki);
    if (ty < 0 || u32(ty) % p.stride != 0u) { continue; }
    let i = u32(ty) / p.stride;
    if (i >= p.oh) { continue; }
    for (var kj = 0u; kj < p.kw; kj++) {
      let tx = i32(x + p.pad) - i32(kj);
      if (tx < 0 || u32(tx) % p.stride != 0u) { continue; }
      let j = u32(tx) / p.stride;
      if (j >= p.ow) { continue; }
      s += src[(n * R + (c * p.kh + ki) * p.kw + kj) * P + i * p.ow + j];
    }
  }
  dst[idx] = s;
}
