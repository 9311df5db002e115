// One step of torch.optim.SGD (dampening 0, no Nesterov) over a flat parameter arena, in place:
// d = g + weight_decay * p; m = momentum * m + d; p -= lr * m.
// The momentum buffer starts at zero, which gives PyTorch's first step (m = d).
override WG: u32 = 256;

// Hyper-parameters first: setSgdHyper rewrites bytes 0..12 when the schedule changes them.
struct Params { lr: f32, momentum: f32, weight_decay: f32, count: u32 }

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> mom: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.count) { return; }
  let w = param[i];
  let m = p.momentum * mom[i] + (grad[i] + p.weight_decay * w);
  mom[i] = m;
  param[i] = w - p.lr * m;
}
