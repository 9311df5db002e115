#!/usr/bin/env python3
"""The GPU kit's report (device/run.sh): reads OUT/engine.jsonl, OUT/autotune.jsonl, OUT/torch.jsonl, OUT/accuracy/*-metrics.json and
OUT/env.txt, writes OUT/report.md (Markdown tables). Standard library only.

  report.py OUT
"""
import glob
import json
import os
import sys


def lines(path):
    if not os.path.exists(path):
        return []
    out = []
    for line in open(path):
        line = line.strip()
        if line.startswith('{'):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def num(v, digits=1):
    return '-' if v is None else f'{v:,.{digits}f}'


def main(out):
    engine = lines(os.path.join(out, 'engine.jsonl'))
    torch_lines = lines(os.path.join(out, 'torch.jsonl'))
    adapters = sorted({json.dumps(e['adapter']) for e in engine if 'adapter' in e and 'model' not in e})
    ours = {(e['model'], e['batch']): e for e in engine if 'imagesPerSec' in e or 'error' in e}
    kernels = {(e['model'], e['batch']): e['kernelMs'] for e in engine if 'kernelMs' in e}
    eager = {(e['model'], e['batch']): e for e in torch_lines if e.get('runtime') == 'torch eager'}
    compiled = {(e['model'], e['batch']): e for e in torch_lines if e.get('runtime') == 'torch compile'}
    peers = lines(os.path.join(out, 'peers.jsonl'))
    tfjs = {(e['model'], e['batch']): e for e in peers if e.get('runtime') == 'tfjs-webgpu' and 'model' in e}
    jax = {(e['model'], e['batch']): e for e in peers if e.get('runtime') == 'jax-webgpu' and 'model' in e}
    keys = list(dict.fromkeys(list(ours) + list(eager) + list(tfjs) + list(jax)))

    md = ['# GPU benchmark kit report', '']
    env = os.path.join(out, 'env.txt')
    if os.path.exists(env):
        md += ['```', open(env).read().strip(), '```', '']
    md += [f'Our adapter: {", ".join(adapters) or "none reported"}', '']
    peer_info = [e for e in peers if 'backend' in e]
    if peer_info:
        md += ['Peers on Dawn: ' + '; '.join(sorted({e['backend'] for e in peer_info})), '']
    if torch_lines:
        t = torch_lines[0]
        md += [f'PyTorch: {t.get("torch")} on {t.get("device")}, {t.get("precision")}', '']

    md += ['## Training step (images/s, ms/step: median)', '',
           '| network | batch | ours img/s | ours ms/step | PyTorch eager img/s | eager ms/step | ours / eager | torch.compile img/s | TF.js WebGPU img/s | jax-js img/s |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for k in keys:
        o, e, c = ours.get(k, {}), eager.get(k, {}), compiled.get(k, {})
        ratio = f'{o["imagesPerSec"] / e["imagesPerSec"]:.2f}' if o.get('imagesPerSec') and e.get('imagesPerSec') else '-'
        comp = num(c.get('imagesPerSec')) + (f' (compiled in {c["compileSeconds"]} s)' if 'compileSeconds' in c else '') if c.get('imagesPerSec') else (c.get('error', '-')[:60] if c else '-')
        note = f' ({o["error"][:60]})' if o.get('error') else ''
        peer = lambda d: num(d[k].get('imagesPerSec')) if k in d and d[k].get('imagesPerSec') else (d[k].get('error', '-')[:40] if k in d else '-')
        md.append(f'| {k[0]} | {k[1]} | {num(o.get("imagesPerSec"))}{note} | {num(o.get("msPerStep"), 2)} | {num(e.get("imagesPerSec"))} | {num(e.get("msPerStep"), 2)} | {ratio} | {comp} | {peer(tfjs)} | {peer(jax)} |')

    md += ['', '## Inference (eval mode, logits read back)', '',
           '| network | batch | ours img/s | ours ms | PyTorch eager img/s | eager ms | ours / eager | TF.js WebGPU img/s | jax-js img/s |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    for k in keys:
        oi, ei = ours.get(k, {}).get('infer'), eager.get(k, {}).get('infer')
        ti, ji = tfjs.get(k, {}).get('infer') or {}, jax.get(k, {}).get('infer') or {}
        if not oi and not ei and not ti and not ji:
            continue
        oi, ei = oi or {}, ei or {}
        ratio = f'{oi["imagesPerSec"] / ei["imagesPerSec"]:.2f}' if oi.get('imagesPerSec') and ei.get('imagesPerSec') else '-'
        md.append(f'| {k[0]} | {oi.get("batch") or ei.get("batch") or ti.get("batch")} | {num(oi.get("imagesPerSec"))} | {num(oi.get("msPerBatch"), 2)} | {num(ei.get("imagesPerSec"))} | {num(ei.get("msPerBatch"), 2)} | {ratio} | {num(ti.get("imagesPerSec"))} | {num(ji.get("imagesPerSec"))} |')

    if kernels:
        md += ['', '## Our training step by kernel (GPU timestamps, top 5)', '', '| network | batch | total ms | kernels (ms, count) |', '|---|---:|---:|---|']
        for k, ks in kernels.items():
            total = sum(x['ms'] for x in ks)
            top = ', '.join(f'{x["kind"]} {x["ms"]:.2f} ({x["count"]})' for x in ks[:5])
            md.append(f'| {k[0]} | {k[1]} | {total:.2f} | {top} |')
    else:
        md += ['', '(no per-kernel timestamps: the adapter has no timestamp queries)']

    tuned = lines(os.path.join(out, 'autotune.jsonl'))
    tuned = [t for t in tuned if 'model' in t]
    if tuned:
        md += ['', '## Autotuner: per-layer kernel choices against the fixed profiles (images/s, training, same run)', '',
               '| network | batch | rule\'s profile | img/s | best fixed | img/s | tuned (kept) | img/s | per-layer choices img/s | tuned / best fixed | tuning s | timing |',
               '|---|---:|---|---:|---|---:|---|---:|---:|---:|---:|---|']
        for t in tuned:
            if t.get('error'):
                md.append(f'| {t["model"]} | {t["batch"]} | {t["error"][:80]} | | | | | | | | | |')
                continue
            f, b, u = t['fixed'], t['bestFixed'], t['tuned']
            budget = ' (budget hit)' if t.get('budgetHit') else ''
            md.append(f'| {t["model"]} | {t["batch"]} | {f["profile"]} | {num(f["imagesPerSec"])} | {b["profile"]} | {num(b["imagesPerSec"])} | {u["kept"]} | {num(u["imagesPerSec"])} | {num(u.get("perLayerImagesPerSec"))} | {t["speedup"]:.3f} | {t["tuneSeconds"]}{budget} | {t["timing"]} |')
        for t in tuned:
            if t.get('tuned', {}).get('choices'):
                picks = '; '.join(f'{k}: {v}' for k, v in t['tuned']['choices'].items())
                md += ['', f'Choices for {t["model"]} at batch {t["batch"]}: {picks}']

    md += ['', '## Short accuracy run on the CIFAR-10 slice (training error = 1 - batch accuracy)', '',
           '| network | steps | batch | train error, first 10% of steps | middle 10% | last 10% | test error (eval BN) |', '|---|---:|---:|---:|---:|---:|---:|']
    for f in sorted(glob.glob(os.path.join(out, 'accuracy', '*-metrics.json')), key=os.path.getmtime):  # in run order
        r = json.load(open(f))
        m = r.get('metrics', [])
        if not m:
            continue
        errs = [1 - p['trainAcc'] for p in m]
        w = max(1, len(errs) // 10)
        mid = len(errs) // 2
        mean = lambda xs: sum(xs) / len(xs)
        ev = [e for e in r.get('evaluations', []) if e.get('bnMode') == 'eval' and e.get('split') == 'test']
        test = f'{1 - ev[-1]["accuracy"]:.3f} ({ev[-1]["images"]} images)' if ev else '-'
        md.append(f'| {r["name"]} | {m[-1]["step"]} | {r["config"]["batchSize"]} | {mean(errs[:w]):.3f} | {mean(errs[mid - w // 2: mid - w // 2 + w]):.3f} | {mean(errs[-w:]):.3f} | {test} |')
    md += ['', 'Per-step training error: accuracy/*-metrics.csv (the app\'s export format). Raw lines: engine.jsonl, autotune.jsonl (every candidate time per layer), torch.jsonl, peers.jsonl, accuracy.jsonl; log: run.log.', '']
    open(os.path.join(out, 'report.md'), 'w').write('\n'.join(md))


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'out')
