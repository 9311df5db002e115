// Area-average resize of RGBA8 images of any size to 32x32 R, G, B planes of bytes (a CIFAR record each): output
// pixel (ox, oy) of an image w x h covers source [ox*w/32, (ox+1)*w/32) x [oy*h/32, (oy+1)*h/32), every source pixel
// weighted by the area of it that the output covers. In units of 1/32 source pixel every weight is an integer
// (0..32 per axis), so the sum is exact in u32 (up to 255 * w * h, hence w * h <= 16,843,009: the wrapper checks)
// and the mean rounds half up like Math.round: no float rounding for a reference to disagree with.
// One invocation per output u32 (4 neighbouring pixels of one channel plane); grid y = the image.
override WG: u32 = 64;

// Per image: its first pixel in `pixels` (u32 index), width, height, unused.
struct Params { count: u32 }

@group(0) @binding(0) var<storage, read> pixels: array<u32>;
@group(0) @binding(1) var<storage, read> images: array<vec4u>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn resize(@builtin(global_invocation_id) gid: vec3u) {
  let img = gid.y;
  let j = gid.x;
  if (img >= p.count || j >= 768u) { return; }
  let im = images[img];
  let off = im.x;
  let w = im.y;
  let h = im.z;
  let area = w * h;
  let c = j / 256u;
  let oy = (j % 256u) / 8u;
  let ox0 = (j % 8u) * 4u;
  let shift = 8u * c;
  // The output row's span in 1/32 source rows.
  let y0 = oy * h;
  let y1 = y0 + h;
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let x0 = (ox0 + k) * w;
    let x1 = x0 + w;
    var acc = 0u;
    for (var sy = y0 / 32u; sy * 32u < y1; sy++) {
      let wy = min(y1, sy * 32u + 32u) - max(y0, sy * 32u);
      var row = 0u;
      for (var sx = x0 / 32u; sx * 32u < x1; sx++) {
        let wx = min(x1, sx * 32u + 32u) - max(x0, sx * 32u);
        row += wx * ((pixels[off + sy * w + sx] >> shift) & 255u);
      }
      acc += wy * row;
    }
    // acc / area rounded half up; 2 * r < 2^32 since area is.
    let r = acc % area;
    let v = acc / area + select(0u, 1u, 2u * r >= area);
    word |= v << (8u * k);
  }
  out[img * 768u + j] = word;
}
