#!/usr/bin/env python3
"""Independent golden for our engine: PyTorch trains the same CIFAR ResNet from the same initial state.

usage: node scripts/torch-golden-inputs.mjs DIR && /usr/bin/python3 scripts/torch_golden.py DIR tests/golden/resnet8-torch.json
       node scripts/torch-golden-inputs.mjs --variants DIR && /usr/bin/python3 scripts/torch_golden.py --variants DIR tests/golden/variants-torch.json

DIR holds what our side wrote (tests/golden/resnet8Inputs.ts): state.safetensors (initial state, state-dict
names), images.f32 / labels.i32 (one batch per step, little-endian) and meta.json (config, hyperparameters).
The network is rebuilt here from the paper / the common PyTorch CIFAR reproductions, not from our graph:
option A shortcut = x[:, :, ::stride, ::stride] zero-padded with (cout - cin) / 2 channels on each side (planes//4
for basic blocks), option B a 1x1 convolution + BN, bottleneck blocks 1x1 / 3x3 (with the stride) / 1x1 x4, plain
nets without shortcuts, and without BN every convolution has a bias. With --variants, DIR holds one such folder
per network (and its name.txt) and OUT one record per name. It runs in
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


def conv_bn(cin, cout, k, stride, bn):
    """A convolution and its BatchNorm (an identity without BN, where the convolution has a bias instead)."""
    conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=not bn)
    return conv, (nn.BatchNorm2d(cout) if bn else nn.Identity())


class Block(nn.Module):
    """The paper's basic block (two 3x3) or bottleneck (1x1 reduce, 3x3 with the stride, 1x1 expand x4); a plain
    block is the same without the shortcut, its last ReLU applied to the residual branch alone."""

    def __init__(self, cin, planes, stride, cfg):
        super().__init__()
        bn, bottleneck = cfg['batchNorm'], cfg['block'] == 'bottleneck'
        self.residual = cfg['arch'] == 'residual'
        cout = planes * 4 if bottleneck else planes
        if bottleneck:
            self.conv1, self.bn1 = conv_bn(cin, planes, 1, 1, bn)
            self.conv2, self.bn2 = conv_bn(planes, planes, 3, stride, bn)
            self.conv3, self.bn3 = conv_bn(planes, cout, 1, 1, bn)
            self.layers = [(self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)]
        else:
            self.conv1, self.bn1 = conv_bn(cin, planes, 3, stride, bn)
            self.conv2, self.bn2 = conv_bn(planes, cout, 3, 1, bn)
            self.layers = [(self.conv1, self.bn1), (self.conv2, self.bn2)]
        self.shortcut = nn.Sequential()
        if self.residual and (stride != 1 or cin != cout):
            if cfg['shortcut'] == 'A':
                assert (cout - cin) % 2 == 0
                self.shortcut = ShortcutA(stride, (cout - cin) // 2)
            else:
                conv, norm = conv_bn(cin, cout, 1, stride, bn)
                self.shortcut = nn.Sequential(conv, norm) if bn else nn.Sequential(conv)

    def forward(self, x):
        y = x
        for i, (conv, norm) in enumerate(self.layers):
            y = norm(conv(y))
            if i < len(self.layers) - 1:
                y = F.relu(y)
        return F.relu(y + self.shortcut(x)) if self.residual else F.relu(y)


class ResNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        per = 9 if cfg['block'] == 'bottleneck' else 6
        assert (cfg['depth'] - 2) % per == 0
        n, width = (cfg['depth'] - 2) // per, cfg['width']
        self.conv1, self.bn1 = conv_bn(3, width, 3, 1, cfg['batchNorm'])
        cin = width
        for s in (1, 2, 3):
            planes = width << (s - 1)
            blocks = []
            for i in range(n):
                blocks.append(Block(cin, planes, 2 if s > 1 and i == 0 else 1, cfg))
                cin = planes * 4 if cfg['block'] == 'bottleneck' else planes
            setattr(self, f'layer{s}', nn.Sequential(*blocks))
        self.fc = nn.Linear(cin, cfg['classes'])

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.layer3(self.layer2(self.layer1(y)))
        y = F.avg_pool2d(y, y.shape[3]).flatten(1)
        return self.fc(y)


def norms(tensors):
    return {k: float(torch.linalg.vector_norm(v.double())) for k, v in tensors.items()}


def golden(src, regenerate):
    """Trains the network of one input folder; returns the golden's record."""
    src = Path(src)
    meta = json.loads((src / 'meta.json').read_text())
    cfg = meta['config']
    torch.set_default_dtype(torch.float64)
    model = ResNet(cfg)
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
    return {
        'about': 'PyTorch golden for tests/gpu/torchGolden*.test.ts; inputs from tests/golden/resnet8Inputs.ts',
        'regenerate': regenerate,
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


def main(args):
    variants = args[0] == '--variants'
    src, dst = args[1:] if variants else args
    if not variants:
        cmd = 'node scripts/torch-golden-inputs.mjs DIR && /usr/bin/python3 scripts/torch_golden.py DIR ' + str(dst)
        out = golden(src, cmd)
        print(f'{dst}: losses {out["losses"]}, torch {torch.__version__}')
    else:
        cmd = 'node scripts/torch-golden-inputs.mjs --variants DIR && /usr/bin/python3 scripts/torch_golden.py --variants DIR ' + str(dst)
        out = {}
        for sub in sorted(p for p in Path(src).iterdir() if (p / 'meta.json').exists()):
            name = (sub / 'name.txt').read_text()
            out[name] = golden(sub, cmd)
            print(f'{name}: losses {out[name]["losses"]}')
    Path(dst).write_text(json.dumps(out, indent=1) + '\n')


if __name__ == '__main__':
    if len(sys.argv) != (4 if sys.argv[1:2] == ['--variants'] else 3):
        sys.exit(__doc__)
    main(sys.argv[1:])
