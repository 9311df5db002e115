// Bilinear resampling of square float planes, [planes, IN, IN] -> [planes, OUT, OUT], one thread per output
// value: PyTorch's F.interpolate(mode='bilinear', align_corners=False) (torchvision's Resize on a tensor when
// enlarging): the source coordinate of output pixel d is max((d + 0.5) * IN / OUT - 0.5, 0), its two neighbours
// i0 = floor, i1 = min(i0 + 1, IN - 1), weighted by the fraction. Used to enlarge the augmented 32x32 batch to a
// run's input size (src/runtime/batchInput.ts), after normalisation (a linear map, so the order does not matter).
override WG: u32 = 256;

struct Params { planes: u32, size_in: u32, size_out: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// The coordinate as the exact fraction ((2d + 1) IN - OUT) / (2 OUT): whole part and remainder in integers, so
// the only rounding is the weight's one division (a float scale would misplace taps by ~1e-7 of the image).
fn source(d: u32) -> vec3f {
  let num = max(i32((2u * d + 1u) * p.size_in) - i32(p.size_out), 0);
  let den = i32(2u * p.size_out);
  let i0 = min(u32(num / den), p.size_in - 1u);
  let i1 = min(i0 + 1u, p.size_in - 1u);
  let w = select(f32(num % den) / f32(den), 0.0, u32(num / den) >= p.size_in - 1u);
  return vec3f(f32(i0), f32(i1), w);
}

@compute @workgroup_size(WG)
fn upsample(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let per = p.size_out * p.size_out;
  if (i >= p.planes * per) { return; }
  let plane = i / per;
  let e = i % per;
  let y = source(e / p.size_out);
  let x = source(e % p.size_out);
  let base = plane * p.size_in * p.size_in;
  let r0 = base + u32(y.x) * p.size_in;
  let r1 = base + u32(y.y) * p.size_in;
  let top = mix(src[r0 + u32(x.x)], src[r0 + u32(x.y)], x.z);
  let bottom = mix(src[r1 + u32(x.x)], src[r1 + u32(x.y)], x.z);
  dst[i] = mix(top, bottom, y.z);
}
