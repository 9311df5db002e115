// "Export as PyTorch script": a self-contained Python file (torch + torchvision only) that rebuilds a run's
// network with our state-dict names (DESIGN.md, src/model/stateLayout.ts), reads and writes our safetensors
// checkpoints (struct + json, no safetensors package) and continues training or evaluates on the full CIFAR-10,
// on one GPU or several (`torchrun --nproc_per_node N script.py`, DistributedDataParallel, the batch split across
// processes). Pure: text in, text out, so the UI, the Node CLI and the GPU kit (device/torch_bench.py imports the
// generated module's build_model) all use this one generator.
import type { RunConfig } from './protocol';

const PY_TEMPLATE = String.raw`#!/usr/bin/env python3
"""__NAME__: a CIFAR-10 run exported from ResNet Playground as a PyTorch script (torch + torchvision only).

  python3 __FILE__ --checkpoint RUN.safetensors --eval-only        evaluate on the CIFAR-10 test set
  python3 __FILE__ --checkpoint RUN.safetensors                    continue training to the run's length
  python3 __FILE__                                                 train from scratch (seed __SEED__)
  torchrun --nproc_per_node N __FILE__ [options]                   the same on N GPUs (DistributedDataParallel;
                                                                   the batch of __BATCH__ split across processes)
Options: --data DIR (torchvision CIFAR10 root; --download fetches it), --steps N (run length), --out FILE
(checkpoint written at the end, loadable by the app's "Load checkpoint"), --save-every N, --device cpu|cuda.
State names are the app's (PyTorch's for the same module tree); BN running statistics load as they are, so
eval-mode outputs match the app's. num_batches_tracked is not in the app's checkpoints (strict=False for it).
Not identical to the app: the data order and augmentation draws come from torch's generator, and a validation
split (if the run held one out) is a seeded random subset, not the app's images.
"""
import argparse
import json
import math
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

RUN_NAME = __NAME_JSON__
# The run's RunConfig as the app stores it (src/train/protocol.ts): model, recipe and seed.
RUN_CONFIG = json.loads(r'''__CONFIG_JSON__''')
CHECKPOINT_FORMAT = 'resnet-playground.run/1'
MOMENTUM_PREFIX = 'optimizer.momentum_buffer.'


def read_safetensors(path):
    """(tensors by name, metadata) of a safetensors file of F32 tensors."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', None) or {}
    base = 8 + n
    out = {}
    for name, e in header.items():
        if e['dtype'] != 'F32':
            raise ValueError(f'{path}: {name} has dtype {e["dtype"]}; only F32 is supported')
        b, end = e['data_offsets']
        t = torch.frombuffer(bytearray(raw[base + b:base + end]), dtype=torch.float32) if end > b else torch.zeros(0)
        out[name] = t.reshape(e['shape']).clone()
    return out, meta


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, t in tensors.items():
        data = t.detach().to('cpu', torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


class ShortcutA(nn.Module):
    """Option A: x[:, :, ::s, ::s] with the new channels zero-padded, (cout - cin) / 2 before and after."""

    def __init__(self, stride, pad):
        super().__init__()
        self.stride, self.pad = stride, pad

    def forward(self, x):
        s = self.stride
        return F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, self.pad, self.pad))


class Block(nn.Module):
    def __init__(self, cin, planes, stride, m):
        super().__init__()
        self.residual = m['arch'] == 'residual'
        bottleneck = m['block'] == 'bottleneck'
        bn = m['batchNorm']
        cout = planes * 4 if bottleneck else planes
        convs = [(cin, planes, 1, 1), (planes, planes, 3, stride), (planes, cout, 1, 1)] if bottleneck else [(cin, planes, 3, stride), (planes, cout, 3, 1)]
        self.depth = len(convs)
        for i, (a, b, k, s) in enumerate(convs, 1):
            setattr(self, f'conv{i}', nn.Conv2d(a, b, k, s, (k - 1) // 2, bias=not bn))
            setattr(self, f'bn{i}', nn.BatchNorm2d(b) if bn else nn.Identity())
        self.shortcut = nn.Sequential()
        if self.residual and (stride != 1 or cin != cout):
            if m['shortcut'] == 'A':
                self.shortcut = ShortcutA(stride, (cout - cin) // 2)
            else:
                layers = [nn.Conv2d(cin, cout, 1, stride, bias=not bn)]
                if bn:
                    layers.append(nn.BatchNorm2d(cout))
                self.shortcut = nn.Sequential(*layers)

    def forward(self, x):
        y = x
        for i in range(1, self.depth + 1):
            y = getattr(self, f'bn{i}')(getattr(self, f'conv{i}')(y))
            if i < self.depth:
                y = F.relu(y)
        return F.relu(y + self.shortcut(x)) if self.residual else F.relu(y)


class CifarNet(nn.Module):
    """The paper's CIFAR ResNet or plain net (He et al. 2015, 4.2): 3x3 stem, 3 stages of n blocks, pool, fc."""

    def __init__(self, m):
        super().__init__()
        m = {'width': 16, 'shortcut': 'A', 'batchNorm': True, 'classes': 10, 'block': 'basic', **m}
        per = 9 if m['block'] == 'bottleneck' else 6
        if (m['depth'] - 2) % per or m['depth'] < per + 2:
            raise ValueError(f'depth {m["depth"]} is not {per}n+2 for {m["block"]} blocks')
        n, w, bn = (m['depth'] - 2) // per, m['width'], m['batchNorm']
        self.conv1 = nn.Conv2d(3, w, 3, 1, 1, bias=not bn)
        self.bn1 = nn.BatchNorm2d(w) if bn else nn.Identity()
        cin = w
        for s in (1, 2, 3):
            blocks = []
            for i in range(n):
                blocks.append(Block(cin, w << (s - 1), 2 if s > 1 and i == 0 else 1, m))
                cin = (w << (s - 1)) * (4 if m['block'] == 'bottleneck' else 1)
            setattr(self, f'layer{s}', nn.Sequential(*blocks))
        self.fc = nn.Linear(cin, m['classes'])
        for mod in self.modules():  # He normal for every weight (the app's init; torch's generator, so other values)
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(mod.weight, mode='fan_in', nonlinearity='relu')

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.layer3(self.layer2(self.layer1(y)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def build_model(model_config=None):
    return CifarNet(model_config or RUN_CONFIG['model'])


def load_checkpoint(model, path, optimizer=None):
    """Loads the app's checkpoint (or a state dict saved the same way) into model; returns (step, metadata)."""
    tensors, meta = read_safetensors(path)
    if meta.get('runConfig') and json.loads(meta['runConfig'])['model'] != RUN_CONFIG['model']:
        print(f'note: {path} was saved for model {meta["runConfig"]}, this script builds {RUN_CONFIG["model"]}')
    state = {k: v for k, v in tensors.items() if not k.startswith(MOMENTUM_PREFIX)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise ValueError(f'{path}: missing {missing}, unexpected {unexpected}')
    if optimizer is not None:
        for name, p in model.named_parameters():
            buf = tensors.get(MOMENTUM_PREFIX + name)
            if buf is not None:
                optimizer.state[p]['momentum_buffer'] = buf.to(p.device).reshape(p.shape).clone()
    return int(meta.get('step', 0)), meta


def save_checkpoint(model, optimizer, path, step, epoch):
    tensors = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    for name, p in model.named_parameters():
        buf = optimizer.state.get(p, {}).get('momentum_buffer')
        if buf is not None:
            tensors[MOMENTUM_PREFIX + name] = buf
    write_safetensors(path, tensors, {'format': CHECKPOINT_FORMAT, 'runConfig': json.dumps(RUN_CONFIG), 'step': str(step), 'epoch': str(epoch), 'name': RUN_NAME})


def learning_rate(step, total):
    """The app's schedule (src/train/schedule.ts)."""
    c = RUN_CONFIG
    warm = max(0, int(c.get('warmupSteps', 0)))
    if step < warm:
        start = c.get('warmupLr', c['lr'] / 10)
        return start + (c['lr'] - start) * step / warm
    total = max(1, total)
    if c['schedule'] == 'step':
        return c['lr'] / 100 if step >= 0.75 * total else c['lr'] / 10 if step >= 0.5 * total else c['lr']
    if c['schedule'] == 'cosine':
        t = min(1.0, max(0.0, (step - warm) / max(1, total - 1 - warm)))
        return c['lr'] * (1 + math.cos(math.pi * t)) / 2
    return c['lr']


def datasets(root, download, rank):
    """CIFAR-10 train (minus the validation split) and test, normalised with the training images' channel statistics."""
    import torchvision
    import torchvision.transforms as T
    train_raw = torchvision.datasets.CIFAR10(root, train=True, download=download and rank == 0)
    ids = torch.randperm(len(train_raw), generator=torch.Generator().manual_seed(RUN_CONFIG['seed']))
    val = int(RUN_CONFIG.get('valCount', 0))
    train_ids = ids[val:].sort().values if val else torch.arange(len(train_raw))
    px = torch.from_numpy(train_raw.data[train_ids.numpy()]).double().div(255)  # N, 32, 32, 3
    mean, std = px.mean((0, 1, 2)).tolist(), px.std((0, 1, 2), unbiased=False).tolist()
    norm = [T.ToTensor(), T.Normalize(mean, std)]
    aug = [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()] if RUN_CONFIG['augment'] else []
    train = torchvision.datasets.CIFAR10(root, train=True, transform=T.Compose(aug + norm))
    test = torchvision.datasets.CIFAR10(root, train=False, download=download and rank == 0, transform=T.Compose(norm))
    return torch.utils.data.Subset(train, train_ids.tolist()), test


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = loss = 0.0
    for x, t in loader:
        x, t = x.to(device), t.to(device)
        y = model(x)
        loss += float(F.cross_entropy(y, t, reduction='sum'))
        correct += float((y.argmax(1) == t).sum())
        total += len(t)
    return loss, correct, total


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', help="the app's .safetensors checkpoint to start from")
    p.add_argument('--data', default='./data', help='torchvision CIFAR10 root')
    p.add_argument('--download', action='store_true', help='download CIFAR-10 into --data')
    p.add_argument('--eval-only', action='store_true')
    p.add_argument('--steps', type=int, help='run length in steps (default: the run\'s)')
    p.add_argument('--out', default=None, help='checkpoint written at the end (default NAME-stepN.safetensors)')
    p.add_argument('--save-every', type=int, default=0)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--workers', type=int, default=4)
    a = p.parse_args()

    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    device = torch.device(a.device)
    if world > 1:
        import torch.distributed as dist
        if device.type == 'cuda':
            device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', '0')))
            torch.cuda.set_device(device)
        dist.init_process_group('nccl' if device.type == 'cuda' else 'gloo')
    torch.manual_seed(RUN_CONFIG['seed'])
    model = build_model().to(device)
    c = RUN_CONFIG
    opt = torch.optim.SGD(model.parameters(), lr=c['lr'], momentum=c['momentum'], weight_decay=c['weightDecay'])
    step = 0
    if a.checkpoint:
        step, _ = load_checkpoint(model, a.checkpoint, opt)
        if rank == 0:
            print(f'loaded {a.checkpoint} at step {step}')
    train_set, test_set = datasets(a.data, a.download, rank)
    if world > 1:
        torch.distributed.barrier()
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=500, num_workers=a.workers)
    if a.eval_only:
        if rank == 0:
            loss, correct, total = evaluate(model, test_loader, device)
            print(json.dumps({'step': step, 'testLoss': loss / total, 'testAcc': correct / total, 'images': int(total)}))
        return
    per_epoch = max(1, len(train_set) // c['batchSize'])
    total = a.steps or c.get('steps') or (round(c['epochs'] * per_epoch) if c.get('epochs') else 64000)
    if c['batchSize'] % world:
        raise SystemExit(f'batch {c["batchSize"]} does not split across {world} processes')
    sampler = torch.utils.data.distributed.DistributedSampler(train_set, world, rank, seed=c['seed'], drop_last=True) if world > 1 else None
    loader = torch.utils.data.DataLoader(train_set, batch_size=c['batchSize'] // world, shuffle=sampler is None, sampler=sampler,
                                         drop_last=True, num_workers=a.workers, pin_memory=device.type == 'cuda', persistent_workers=a.workers > 0)
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == 'cuda' else None) if world > 1 else model
    out = a.out or f'{RUN_NAME}-step{total}.safetensors'
    t0, epoch = time.time(), step // per_epoch
    while step < total:
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        for x, t in loader:
            if step >= total:
                break
            for g in opt.param_groups:
                g['lr'] = learning_rate(step, total)
            x, t = x.to(device, non_blocking=True), t.to(device, non_blocking=True)
            y = net(x)
            loss = F.cross_entropy(y, t)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if rank == 0 and (step % 100 == 0 or step == total):
                acc = float((y.argmax(1) == t).float().mean())
                print(json.dumps({'step': step, 'lr': learning_rate(step - 1, total), 'trainLoss': float(loss), 'trainAcc': acc, 'seconds': round(time.time() - t0, 1)}), flush=True)
            if rank == 0 and a.save_every and step % a.save_every == 0:
                save_checkpoint(model, opt, out, step, step / per_epoch)
        epoch += 1
    if rank == 0:
        save_checkpoint(model, opt, out, step, step / per_epoch)
        loss, correct, n = evaluate(model, test_loader, device)
        print(json.dumps({'step': step, 'testLoss': loss / n, 'testAcc': correct / n, 'checkpoint': out}))
    if world > 1:
        torch.distributed.destroy_process_group()


if __name__ == '__main__':
    main()
`;

/** The file name the export offers: `<name>.py` with characters Python module names cannot hold replaced. */
export function torchScriptFileName(name: string): string {
  const base = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
  return `${/^\d/.test(base) ? `run_${base}` : base}.py`;
}

/** The Python script for a run: its architecture, recipe and seed baked in (see the file comment). */
export function torchScript(name: string, config: RunConfig): string {
  const json = JSON.stringify(config);
  if (json.includes("'''")) throw new Error('torchScript: the run config cannot be embedded');
  const file = torchScriptFileName(name);
  return PY_TEMPLATE.replaceAll('__NAME_JSON__', JSON.stringify(name))
    .replaceAll('__CONFIG_JSON__', json)
    .replaceAll('__NAME__', name.replace(/"""|\\/g, '_'))
    .replaceAll('__FILE__', file)
    .replaceAll('__SEED__', String(config.seed))
    .replaceAll('__BATCH__', String(config.batchSize));
}
