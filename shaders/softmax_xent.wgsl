// Softmax cross-entropy over logits [N, K] with int32 labels, in ONE workgroup (N <= ~1024, K <= ~100:
// the whole batch's loss and correct count are reduced without atomics or a second pass).
//   dlogits[r, j] = (softmax(logits[r])[j] - (j == label[r])) / count, count = number of valid samples
//   metrics[0] = mean loss, metrics[1] = correct predictions (argmax, ties to the lowest class),
//   metrics[2] += sum of losses, metrics[3] += correct (running totals the caller zeroes).
// A sample whose label is outside [0, K) (padding: -1) has no loss, zero dlogits, and is not counted.
// main_serial computes the same in ONE invocation with Kahan-compensated sums and no barriers, for CPU
// adapters (src/gpu/tuning.ts), where a barrier costs more than the whole loop.
override WG: u32 = 256; // a power of two (tree reduction)

// zero: 0, unknown to the compiler: keeps main_serial's Kahan compensation (batchnorm_reduce.wgsl's kadd).
struct Params { n: u32, k: u32, zero: u32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(3) var<storage, read_write> metrics: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> part0: array<f32, WG>;
var<workgroup> part1: array<f32, WG>;

fn reduce2(t: u32) {
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (t < h) {
      part0[t] += part0[t + h];
      part1[t] += part1[t + h];
    }
    workgroupBarrier();
  }
}

fn valid(r: u32) -> bool {
  return labels[r] >= 0 && u32(labels[r]) < p.k;
}

// Row r: writes its dlogits; returns (loss, correct), both 0 for an invalid label.
fn xentRow(r: u32, scale: f32) -> vec2f {
  let row = r * p.k;
  var mx = logits[row];
  var arg = 0u;
  for (var j = 1u; j < p.k; j++) {
    let v = logits[row + j];
    if (v > mx) { mx = v; arg = j; } // strict: ties go to the lowest index
  }
  var z = 0.0;
  for (var j = 0u; j < p.k; j++) { z += exp(logits[row + j] - mx); }
  let ok = valid(r);
  let label = u32(select(0, labels[r], ok));
  for (var j = 0u; j < p.k; j++) {
    let sm = exp(logits[row + j] - mx) / z;
    dlogits[row + j] = select(0.0, (sm - select(0.0, 1.0, j == label)) * scale, ok);
  }
  if (!ok) { return vec2f(0.0); }
  // log(z) - (l_label - max) avoids cancelling two large numbers when the logits are large.
  return vec2f(log(z) - (logits[row + label] - mx), select(0.0, 1.0, arg == label));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32) {
  // Pass 1: the number of valid samples, which every dlogits row is divided by.
  var cnt = 0.0;
  for (var r = t; r < p.n; r += WG) { cnt += select(0.0, 1.0, valid(r)); }
  part0[t] = cnt;
  part1[t] = 0.0;
  reduce2(t);
  let count = part0[0];
  workgroupBarrier(); // everyone has read part0[0] before it is overwritten
  let scale = select(0.0, 1.0 / count, count > 0.0);

  // Pass 2: one row per thread at a time; max subtraction keeps exp() in range.
  var loss = 0.0;
  var correct = 0.0;
  for (var r = t; r < p.n; r += WG) {
    let lc = xentRow(r, scale);
    loss += lc.x;
    correct += lc.y;
  }
  part0[t] = loss;
  part1[t] = correct;
  reduce2(t);
  if (t == 0u) {
    metrics[0] = select(0.0, part0[0] / count, count > 0.0);
    metrics[1] = part1[0];
    metrics[2] += part0[0];
    metrics[3] += part1[0];
  }
}

@compute @workgroup_size(1)
fn main_serial() {
  var cnt = 0u;
  for (var r = 0u; r < p.n; r++) { cnt += select(0u, 1u, valid(r)); }
  let count = f32(cnt);
  let scale = select(0.0, 1.0 / count, count > 0.0);
  // Kahan-compensated loss sum (s.x sum, s.y compensation); the correct count is exact in f32.
  var s = vec2f(0.0);
  var correct = 0.0;
  for (var r = 0u; r < p.n; r++) {
    let lc = xentRow(r, scale);
    let y = lc.x - s.y;
    let t = bitcast<f32>(bitcast<u32>(s.x + y) ^ p.zero);
    s.y = (t - s.x) - y;
    s.x = t;
    correct += lc.y;
  }
  metrics[0] = select(0.0, s.x / count, count > 0.0);
  metrics[1] = correct;
  metrics[2] += s.x;
  metrics[3] += correct;
}
