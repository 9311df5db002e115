// Training-data augmentation and normalisation, one thread per output element [batch, 3, 32, 32]:
// a random crop of the zero-padded uint8 image and a horizontal flip, then (pixel/255 - mean) / std
// folded into pixel * scale + bias. The draws are a stateless hash of (seed, step, sample), the same
// code as src/reference/augment.ts, so a run reproduces from its seed.
override WG: u32 = 256;
const IMAGE: u32 = 32u;
const RECORD: u32 = 3072u;

// seed and step first: setAugmentStep rewrites bytes 0..8 every step.
struct Params {
  seed: u32, step: u32, batch: u32, pad: u32, flip: u32,
  scale0: f32, scale1: f32, scale2: f32, bias0: f32, bias1: f32, bias2: f32,
}

// Records of 3072 bytes, four to a u32, little endian.
@group(0) @binding(0) var<storage, read> images: array<u32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> out_images: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_labels: array<i32>;
@group(0) @binding(5) var<uniform> p: Params;

// lowbias32 (Chris Wellons): a full-avalanche 32-bit mix.
fn mix32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

@compute @workgroup_size(WG)
fn augment(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.batch * RECORD) { return; }
  let b = i / RECORD;
  let e = i % RECORD;
  let c = e / (IMAGE * IMAGE);
  let y = (e / IMAGE) % IMAGE;
  let x = e % IMAGE;
  let img = indices[b];
  if (e == 0u) { out_labels[b] = labels[img]; }

  // Bits 0..15: ox, bits 16..30: oy, bit 31: flip.
  let h = mix32(mix32(mix32(p.seed + 0x9e3779b9u) ^ p.step) ^ b);
  let span = 2u * p.pad + 1u;
  let ox = (h & 0xffffu) % span;
  let oy = ((h >> 16u) & 0x7fffu) % span;
  let flip = p.flip != 0u && (h >> 31u) == 1u;
  // Output (y, x) is crop pixel (y, flipped x), i.e. padded-image pixel (y + oy, x' + ox);
  // coordinates are i32 because the padding reaches below zero.
  let sx = i32(select(x, IMAGE - 1u - x, flip) + ox) - i32(p.pad);
  let sy = i32(y + oy) - i32(p.pad);
  var pixel = 0.0;
  if (sx >= 0 && sx < i32(IMAGE) && sy >= 0 && sy < i32(IMAGE)) {
    let byte = img * RECORD + (c * IMAGE + u32(sy)) * IMAGE + u32(sx);
    pixel = f32((images[byte / 4u] >> ((byte % 4u) * 8u)) & 0xffu);
  }
  let scale = select(select(p.scale2, p.scale1, c == 1u), p.scale0, c == 0u);
  let bias = select(select(p.bias2, p.bias1, c == 1u), p.bias0, c == 0u);
  out_images[i] = pixel * scale + bias;
}
