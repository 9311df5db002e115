#!/usr/bin/env python3
"""torchvision's own ResNet-18 and ResNet-50, seeded, as a golden for the app's ImageNet family: their eval-mode
logits (float64) on two fixed 64x64 images.

usage: /usr/bin/python3 scripts/torchvision_golden.py tests/golden/torchvision-logits.json

Weights: not torch's random init (which TypeScript cannot redraw) but a counter hash both sides compute bit for bit
(tests/support/torchvisionFill.ts is its twin): every state-dict tensor, in torchvision's order, element by element,
a uniform value in [-1, 1) scaled by what the tensor is (He-scaled convolutions, 1/sqrt(fan-in) fc, BatchNorm gamma
near 1, running variance in [0.5, 1.5)), rounded to float32. The images come from the same hash. torchvision builds
the networks (torchvision.models.resnet18/50, weights=None, 1000 classes, v1.5 bottlenecks), the values are loaded
with load_state_dict, and the forward runs in float64, so tests/unit/torchvisionGolden.test.ts can hold the app's
float64 interpreter to it at 1e-9 and the GPU (float32) at float32 accuracy. Run by hand (Debian:
apt-get install python3-torchvision); CI reads the committed file.
"""
import json
import math
import sys

import torch
import torchvision

M = 0xFFFFFFFF
SEED = 20150
IMAGE_SIZE = 64
IMAGES = 2


def imul(a, b):
    return (a * b) & M


def hash_uniform(seed, k, i):
    """The value in [-1, 1) at (tensor k, element i): torchvisionFill.ts's hashUniform."""
    h = (imul(k + 1, 0x9E3779B1) ^ imul(i + 1, 0x85EBCA77) ^ seed) & M
    h = imul(h ^ (h >> 16), 0x7FEB352D)
    h = imul(h ^ (h >> 15), 0x846CA68B)
    h = (h ^ (h >> 16)) & M
    return h / 2**32 * 2 - 1


def fill_value(name, shape, u):
    """What the tensor `name` of this shape gets from the uniform u: torchvisionFill.ts's fillValue."""
    if name.endswith('running_mean') or (name.endswith('bias') and not name.startswith('fc.')) or name == 'fc.bias':
        return 0.1 * u
    if name.endswith('running_var'):
        return 1 + 0.5 * u
    if len(shape) == 1:  # BatchNorm gamma
        return 1 + 0.2 * u
    fan_in = math.prod(shape[1:])
    return u * math.sqrt((6 if len(shape) == 4 else 3) / fan_in)


def filled_state(model):
    state = {}
    entries = [(k, v) for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')]
    for k, (name, t) in enumerate(entries):
        shape = list(t.shape)
        vals = [fill_value(name, shape, hash_uniform(SEED, k, i)) for i in range(t.numel())]
        state[name] = torch.tensor(vals, dtype=torch.float64).float().reshape(shape)
    return state


def main():
    n = IMAGES * 3 * IMAGE_SIZE * IMAGE_SIZE
    images = torch.tensor([1.5 * hash_uniform(SEED, 100_000, i) for i in range(n)], dtype=torch.float64).float()
    out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'seed': SEED, 'imageSize': IMAGE_SIZE,
           'images': IMAGES, 'models': {}}
    for depth in (18, 50):
        model = getattr(torchvision.models, f'resnet{depth}')(weights=None)
        missing, unexpected = model.load_state_dict(filled_state(model), strict=False)
        assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing), (missing, unexpected)
        model = model.double().eval()
        with torch.no_grad():
            logits = model(images.double().reshape(IMAGES, 3, IMAGE_SIZE, IMAGE_SIZE))
        out['models'][f'resnet{depth}'] = logits.flatten().tolist()
    with open(sys.argv[1], 'w') as f:
        json.dump(out, f)
        f.write('\n')


if __name__ == '__main__':
    main()
