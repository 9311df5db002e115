#!/usr/bin/env python3
"""torchvision's ImageNet ResNets as a fixture: every state-dict entry's name and shape, in order, and the
parameter count, for ResNet-18/34/50/101/152 with a 1000-class head (weights=None: no download).

usage: /usr/bin/python3 scripts/torchvision_layout.py tests/golden/torchvision-resnet-layout.json

tests/unit/imagenetFamily.test.ts holds src/model/stateLayout.ts to it: the app's ImageNet family lists the same
tensors under the same names in the same order, so a torchvision state dict saved as safetensors loads by name
and ours loads into torchvision. num_batches_tracked is left out (the layout does not keep it; see stateLayout.ts).
Run by hand (Debian: apt-get install python3-torchvision); CI reads the committed file.
"""
import json
import sys

import torch
import torchvision

out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'models': {}}
for depth in (18, 34, 50, 101, 152):
    model = getattr(torchvision.models, f'resnet{depth}')(weights=None)
    out['models'][f'resnet{depth}'] = {
        'params': sum(p.numel() for p in model.parameters()),
        'state': [[k, list(v.shape)] for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')],
    }
with open(sys.argv[1], 'w') as f:
    json.dump(out, f, separators=(',', ':'))
    f.write('\n')
