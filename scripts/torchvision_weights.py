#!/usr/bin/env python3
"""torchvision's ResNet weights into the app, and the app's checkpoints back into torchvision.

usage:
  /usr/bin/python3 scripts/torchvision_weights.py export resnet18 resnet18.safetensors --weights IMAGENET1K_V1
      torchvision's pretrained weights (downloaded by torchvision into its cache; needs the internet once) as a
      bare safetensors state dict, as safetensors.torch.save_file writes it: every state_dict() tensor under its
      own name, F32, with the I64 num_batches_tracked buffers. The app's "Load checkpoint..." and fine-tuning read
      it; the network is read off its names and shapes (src/model/stateDictModel.ts).
  ... export resnet18 out.safetensors --seed 3 [--num-classes 10]
      a seeded random initialisation instead (no download), with the BatchNorm affine parameters and running
      statistics drawn too, so that an eval-mode forward depends on every tensor (the tests' stand-in).
  ... logits resnet18 FILE [--size 64] [--count 2] [--seed 20150] [--images-bin F.bin]
      loads FILE (a bare state dict, or a checkpoint the app saved: its optimizer.* tensors are dropped) into
      torchvision.models.resnet18(num_classes = fc.weight's rows) with load_state_dict(strict=True; only
      num_batches_tracked may be missing) and prints one JSON object: eval-mode float64 logits of `count` images of
      size x size from scripts/torchvision_golden.py's hash (tests/support/torchvisionFill.ts's filledImages), or
      of the raw uint8 images of --images-bin (R, G, B planes, N x 3 x size x size, as `engine.mjs predict` reads
      them), normalised with ImageNet's mean and std as torchvision's weights expect.

Needs Debian's python3-torchvision (CPU). No safetensors package: the format is 8 bytes of header length, a JSON
header, then the raw little-endian data.
"""
import argparse
import json
import os
import struct
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_golden import hash_uniform  # noqa: E402

MODELS = ('resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152')
DTYPES = {torch.float32: ('F32', '<f4'), torch.int64: ('I64', '<i8')}


def write_state_dict(path, state):
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        code, np_dtype = DTYPES[t.dtype]
        data = t.detach().cpu().contiguous().numpy().astype(np_dtype).tobytes()
        header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def read_state_dict(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    types = {'F32': torch.float32, 'I64': torch.int64}
    out = {}
    for name, e in header.items():
        if name.startswith('optimizer.'):
            continue  # the app's SGD momentum, not part of the module
        b, end = e['data_offsets']
        t = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + end]), dtype=types[e['dtype']]) if end > b else torch.zeros(0)
        out[name] = t.reshape(e['shape']).clone()
    return out


def export(args):
    if args.weights:
        model = getattr(torchvision.models, args.model)(weights=args.weights)
    else:
        torch.manual_seed(args.seed)
        model = getattr(torchvision.models, args.model)(num_classes=args.num_classes)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.weight.uniform_(0.8, 1.2)
                    m.bias.uniform_(-0.1, 0.1)
                    m.running_mean.uniform_(-0.1, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
    write_state_dict(args.out, model.state_dict())
    print(json.dumps({'model': args.model, 'out': args.out, 'tensors': len(model.state_dict()),
                      'params': sum(p.numel() for p in model.parameters())}))


def logits(args):
    state = read_state_dict(args.file)
    model = getattr(torchvision.models, args.model)(num_classes=state['fc.weight'].shape[0])
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        sys.exit(f'{args.file} does not load into torchvision {args.model}: missing {missing}, unexpected {unexpected}')
    model = model.double().eval()
    s = args.size
    if args.images_bin:
        with open(args.images_bin, 'rb') as f:
            raw = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
        x = raw.double().reshape(-1, 3, s, s) / 255
        mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64).reshape(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64).reshape(1, 3, 1, 1)
        x = (x - mean) / std
    else:
        x = torch.tensor([1.5 * hash_uniform(args.seed, 100_000, i) for i in range(args.count * 3 * s * s)],
                         dtype=torch.float32).double().reshape(args.count, 3, s, s)
    with torch.no_grad():
        y = model(x)
    print(json.dumps({'model': args.model, 'classes': y.shape[1], 'logits': y.flatten().tolist()}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    e = sub.add_parser('export')
    e.add_argument('model', choices=MODELS)
    e.add_argument('out')
    e.add_argument('--weights', help="torchvision's weights name, e.g. IMAGENET1K_V1 (downloads once)")
    e.add_argument('--seed', type=int, default=0)
    e.add_argument('--num-classes', type=int, default=1000)
    lg = sub.add_parser('logits')
    lg.add_argument('model', choices=MODELS)
    lg.add_argument('file')
    lg.add_argument('--size', type=int, default=64)
    lg.add_argument('--count', type=int, default=2)
    lg.add_argument('--seed', type=int, default=20150)
    lg.add_argument('--images-bin', help='raw uint8 images (N x 3 x size x size) instead of the hash ones')
    args = p.parse_args()
    export(args) if args.cmd == 'export' else logits(args)


if __name__ == '__main__':
    main()
