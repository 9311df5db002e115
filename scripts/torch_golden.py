#!/usr/bin/env python3
"""Independent golden for our engine: PyTorch trains the same CIFAR ResNet from the same initial state.

usage: node scripts/torch-golden-inputs.mjs DIR && /usr/bin/python3 scripts/torch_golden.py DIR tests/golden/resnet8-torch.json

DIR holds what our side wrote (tests/golden/resnet8Inputs.ts): state.safetensors (initial state, state-dict
names), images.f32 / labels.i32 (one batch per step, little-endian) and meta.json (config, hyperparameters).
The network is rebuilt here from the paper / the common PyTorch CIFAR reproductions, not from our graph:
option A shortcut = x[:, :, ::stride, ::stride] zero-padded with planes//4 channels on each side. It runs in
float64 (the golden is then the exact answer our float32 GPU is compared with), takes `steps` steps of
torch.optim.SGD (momentum, weight decay on every parameter) in train mode (BN batch statistics, running
statistics updated with momentum 0.1), and writes per-step losses and correct counts, every tensor's L2 norm
before and after, and the final BN running statistics. Needs torch and numpy only (no safetensors package);
run by hand, not in CI. Debian: apt-get install python3-torch (1.13.1).
"""
import json
import platform
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop('__metadata__', None)
    data = raw[8 + n :]
    out = {}
    for name, e in header.items():
        assert e['dtype'] == 'F32', f'{name}: dtype {e["dtype"]}'
        begin, end = e['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype='<f4').copy().reshape(e['shape']))
    return out


class ShortcutA(nn.Module):
    def __init__(self, stride, pad):
        super().__init__()
        self.stride, self.pad = stride, pad

    def forward(self, x):
        s = self.stride
        return F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, self.pad, self.pad))


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride, option):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            if option == 'A':
                assert planes - cin == 2 * (planes // 4)
                self.shortcut = ShortcutA(stride, planes // 4)
            else:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, n, width, classes, option):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        cin = width
        for s in (1, 2, 3):
            planes = width << (s - 1)
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(cin, planes, 2 if s > 1 and i == 0 else 1, option))
                cin = planes
            setattr(self, f'layer{s}', nn.Sequential(*blocks))
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.layer3(self.layer2(self.layer1(y)))
        y = F.avg_pool2d(y, y.shape[3]).flatten(1)
        return self.fc(y)


def norms(tensors):
    return {k: float(torch.linalg.vector_norm(v.double())) for k, v in tensors.items()}


def main(src, dst):
    src = Path(src)
    meta = json.loads((src / 'meta.json').read_text())
    cfg = meta['config']
    assert cfg['arch'] == 'residual' and cfg['block'] == 'basic' and cfg['batchNorm'], f'unsupported config {cfg}'
    assert (cfg['depth'] - 2) % 6 == 0
    torch.set_default_dtype(torch.float64)
    model = ResNet((cfg['depth'] - 2) // 6, cfg['width'], cfg['classes'], cfg['shortcut'])
    state = read_safetensors(src / 'state.safetensors')
    missing, unexpected = model.load_state_dict({k: v.double() for k, v in state.items()}, strict=False)
    assert not unexpected, f'unexpected tensors {unexpected}'
    assert all(k.endswith('num_batches_tracked') for k in missing), f'missing tensors {missing}'

    steps, batch = meta['steps'], meta['batch']
    shape = [steps] + meta['imageShape']
    images = np.fromfile(src / 'images.f32', dtype='<f4').reshape(shape)
    labels = np.fromfile(src / 'labels.i32', dtype='<i4').reshape(steps, batch)
    h = meta['hyper']
    opt = torch.optim.SGD(model.parameters(), lr=h['lr'], momentum=h['momentum'], weight_decay=h['weightDecay'])
    model.train()
    losses, correct = [], []
    for i in range(steps):
        x = torch.from_numpy(images[i].astype(np.float64))
        t = torch.from_numpy(labels[i].astype(np.int64))
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, t)
        loss.backward()
        opt.step()
        losses.append(float(loss))
        correct.append(int((logits.argmax(1) == t).sum()))

    final = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    out = {
        'about': 'PyTorch golden for tests/gpu/torchGolden.test.ts; inputs from tests/golden/resnet8Inputs.ts',
        'regenerate': 'node scripts/torch-golden-inputs.mjs DIR && /usr/bin/python3 scripts/torch_golden.py DIR ' + str(dst),
        'torch': torch.__version__,
        'numpy': np.__version__,
        'python': platform.python_version(),
        'dtype': 'float64',
        'config': cfg,
        'seed': meta['seed'],
        'dataSeed': meta['dataSeed'],
        'batch': batch,
        'steps': steps,
        'hyper': h,
        'losses': losses,
        'correct': correct,
        'initialNorms': norms(state),
        'finalNorms': norms({k: v for k, v in final.items() if not k.endswith(('running_mean', 'running_var'))}),
        'bnStats': {k: v.tolist() for k, v in final.items() if k.endswith(('running_mean', 'running_var'))},
    }
    Path(dst).write_text(json.dumps(out, indent=1) + '\n')
    print(f'{dst}: losses {losses}, torch {torch.__version__}')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
