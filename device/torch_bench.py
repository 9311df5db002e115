#!/usr/bin/env python3
"""PyTorch side of the GPU kit (device/run.sh, part b): the engine benchmark's networks and measurement in PyTorch.

The networks come from resnet_torch.py beside this file: the app's "Export as PyTorch script" (src/train/torchScript.ts),
written by `npm run device:pack`, so both sides run the same module tree. Same measurement as src/train/benchmark.ts:
random images (seeded), SGD lr 0.01 / momentum 0.9 / weight decay 1e-4, warm-up steps, then timed training steps
(each synchronised), the median; eval-mode inference under no_grad at the inference batch. fp32: TF32 is off for
convolutions and matmuls unless --tf32. One JSON line per (network, batch) appended to --out, and printed.

  torch_bench.py [--quick] [--device cuda|cpu] [--compile [--compile-budget S]] [--out FILE]
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from resnet_torch import build_model  # noqa: E402


def model_config(name):
    m = re.fullmatch(r'(resnet|plain)(\d+)', name)
    if not m:
        raise SystemExit(f'{name}: not a network name like resnet20 or plain56')
    return {'arch': 'residual' if m[1] == 'resnet' else 'plain', 'depth': int(m[2])}


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(fn, device, steps, warmup):
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench(name, batch, infer_batch, a, device, base):
    torch.manual_seed(0)
    model = build_model(model_config(name)).to(device)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 3, 32, 32, generator=g).to(device)
    t = torch.randint(0, 10, (batch,), generator=g).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    net = model
    line = dict(base, model=name, batch=batch)
    if a.compile:
        if not hasattr(torch, 'compile'):
            return dict(line, error=f'torch {torch.__version__} has no torch.compile')
        net = torch.compile(model)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), t).backward()
        opt.step()

    model.train()
    if a.compile:
        t0 = time.perf_counter()
        step()
        sync(device)
        line['compileSeconds'] = round(time.perf_counter() - t0, 1)
    ms = timed(step, device, a.steps, a.warmup)
    line.update(imagesPerSec=round(batch / (ms / 1000), 2), msPerStep=round(ms, 2), steps=a.steps)
    if device.type == 'cuda':
        line['peakGpuBytes'] = torch.cuda.max_memory_allocated(device)
    if infer_batch:
        xi = torch.randn(infer_batch, 3, 32, 32, generator=g).to(device)
        model.eval()

        def infer():
            with torch.no_grad():
                net(xi).cpu()  # the logits read back, as the engine's inference does

        ms = timed(infer, device, a.steps, a.warmup)
        line['infer'] = {'batch': infer_batch, 'imagesPerSec': round(infer_batch / (ms / 1000), 2), 'msPerBatch': round(ms, 2)}
    return line


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='resnet8 and plain14 at batch 4, inference at 8, 2 steps')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--models', help='comma-separated, e.g. resnet20,plain56')
    p.add_argument('--batch', help='comma-separated batch sizes')
    p.add_argument('--infer', type=int, help='inference batch (0: none)')
    p.add_argument('--steps', type=int)
    p.add_argument('--warmup', type=int)
    p.add_argument('--compile', action='store_true', help='torch.compile (default mode) instead of eager')
    p.add_argument('--compile-budget', type=float, default=60, help='stop compiling further networks once this many seconds went to compiling')
    p.add_argument('--tf32', action='store_true', help='allow TF32 (PyTorch allows it for convolutions by default; off here: fp32)')
    p.add_argument('--out', help='JSON lines appended here too')
    a = p.parse_args()
    if a.quick:
        models, batches, infer, a.steps, a.warmup = ['resnet8', 'plain14'], [4], 8, a.steps or 2, a.warmup if a.warmup is not None else 1
    elif a.compile:
        models, batches, infer = ['resnet20', 'resnet56'], [128], 512
    else:
        models, batches, infer = ['resnet20', 'plain20', 'resnet56', 'plain56', 'resnet110'], [128, 512], 512
    models = a.models.split(',') if a.models else models
    batches = [int(b) for b in a.batch.split(',')] if a.batch else batches
    infer = a.infer if a.infer is not None else infer
    a.steps = a.steps or 10
    a.warmup = a.warmup if a.warmup is not None else 3
    device = torch.device(a.device)
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.benchmark = True
    base = {
        'runtime': f'torch {"compile" if a.compile else "eager"}',
        'torch': torch.__version__,
        'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu',
        'precision': 'tf32' if a.tf32 else 'fp32',
    }
    print(json.dumps(dict(base, cuda=torch.version.cuda, threads=torch.get_num_threads())), file=sys.stderr)
    out = open(a.out, 'a') if a.out else None
    compile_spent = 0.0
    for name in models:
        for i, batch in enumerate(batches):
            if a.compile and compile_spent > a.compile_budget:
                line = dict(base, model=name, batch=batch, error=f'skipped: {compile_spent:.0f}s already spent compiling')
            else:
                try:
                    line = bench(name, batch, infer if i == 0 else 0, a, device, base)
                except Exception as e:  # out of memory, a compile failure: reported, the rest still runs
                    line = dict(base, model=name, batch=batch, error=f'{type(e).__name__}: {e}'[:500])
                compile_spent += line.get('compileSeconds', 0)
            if device.type == 'cuda':
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)
            text = json.dumps(line)
            print(text, flush=True)
            if out:
                out.write(text + '\n')
                out.flush()


if __name__ == '__main__':
    main()
