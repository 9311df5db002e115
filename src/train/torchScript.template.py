#!/usr/bin/env python3
"""__NAME__: a CIFAR-10 run exported from ResNet Playground as a PyTorch script (needs only torch).

Run it with the Python that has torch: `python3` may be another one (pyenv, a venv); on Debian that is
/usr/bin/python3 once `apt-get install python3-torch` is done.

  python3 __FILE__ --checkpoint RUN.safetensors --eval-only        evaluate on the test split
  python3 __FILE__ --checkpoint RUN.safetensors                    continue training to the run's length
  python3 __FILE__                                                 train from scratch (seed __SEED__)
  torchrun --nproc_per_node N __FILE__ [options]                   the same on N GPUs or processes

The same run as the app's: the app's initial weights (its generator, seed __SEED__), its batches (the same seeded
order of image ids, the same validation split and class subset), its crops and flips (the same hash of seed, step
and position in the batch), its learning-rate schedule; a checkpoint carries on where the app stopped. What
differs is float rounding (cuDNN or the CPU instead of WGSL), which grows over a long run as in any two GPUs.

Data (--data, default ./data, where the app's `npm run fetch-data` puts it): the files the app reads, the CIFAR-10
binary archive cifar-10-binary.tar.gz or any subset in its layout (data_batch_N.bin, test_batch.bin), as the
archive, a plain .tar, or the folder it unpacks to; or, second, torchvision's Python copy (cifar-10-batches-py or
cifar-10-python.tar.gz). Every record is checked as the app checks it. --download fetches the binary archive
(--data-url, default the official one, whose MD5 is checked) into --data when nothing is there.

Several processes (torchrun): the batch of __BATCH__ is split across them, each taking its share of the same
global batch, and the gradients are averaged (DistributedDataParallel). BatchNorm is synchronised by default
(--sync-bn): each layer normalises over the whole batch, as the app and a single process do, so N processes
train the same run. --no-sync-bn normalises over each process's share only (what plain DDP does): faster, but
a different run, and further from the app's the smaller the share (8 GPUs at batch 128: 16 images each).
The first process on each machine (LOCAL_RANK 0) downloads, the others wait; on several machines --data must
hold the files on each, so put it on shared storage or copy it to every machine first.
torch 1.13 with Python 3.11 (Debian 12): plain `torchrun` fails in to_map ("'NoneType' object has no attribute
'get'"); `torchrun --redirects 1 --tee 1 --nproc_per_node N __FILE__` works.

State names are the app's (PyTorch's for the same module tree); BN running statistics load as they are, so
eval-mode outputs match the app's. num_batches_tracked is not in the app's checkpoints (strict=False for it).
"""
import argparse
import json
import math
import os
import re
import socket
import struct
import sys
import tarfile
import time
import traceback

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the first thing a user on a machine with several Pythons sees
    sys.exit(f'{sys.executable} cannot import torch ({e}). Run this script with the Python that has torch '
             '(Debian: apt-get install python3-torch, then /usr/bin/python3 __FILE__), or install torch for this one.')

RUN_NAME = __NAME_JSON__
# The run's RunConfig as the app stores it (src/train/protocol.ts): model, recipe and seed.
RUN_CONFIG = json.loads(r'''__CONFIG_JSON__''')
CHECKPOINT_FORMAT = 'resnet-playground.run/1'
MOMENTUM_PREFIX = 'optimizer.momentum_buffer.'
OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'
OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530'
VAL_SPLIT_SEED = 0  # src/train/gpuDataset.ts: the validation split does not depend on the run's seed
M32 = 0xFFFFFFFF


# ---- checkpoints: safetensors of F32 tensors, read and written with struct + json ----

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
    with open(path + '.part', 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
    os.replace(path + '.part', path)  # a reader never sees half a file


# ---- the network ----

class BatchNorm(nn.BatchNorm2d):
    """nn.BatchNorm2d; with `sync` set, in train mode under torch.distributed, it normalises over the whole batch
    across processes (synchronised BatchNorm). nn.SyncBatchNorm does the same on CUDA only in torch 1.13; this runs
    on any device and backend (gloo too). The per-channel sums are taken about the batch's mean (an all-reduce of
    the processes' means, outside autograd), so E[d^2] - E[d]^2 loses no digits even where the mean is large against
    the spread; then one all-reduce of the sums, whose gradient autograd's all_reduce carries back to every process."""
    sync = False

    def forward(self, x):
        if not (self.sync and self.training):
            return super().forward(x)
        import torch.distributed as dist
        from torch.distributed.nn.functional import all_reduce
        c, world = x.shape[1], dist.get_world_size()
        n = x.numel() // c * world
        with torch.no_grad():
            k = x.mean((0, 2, 3))
            dist.all_reduce(k)
            k = (k / world).view(1, c, 1, 1)
        d = x - k
        s = all_reduce(torch.cat([d.sum((0, 2, 3)), (d * d).sum((0, 2, 3))]))
        mean_d = s[:c] / n
        var = (s[c:] / n - mean_d * mean_d).clamp_min(0)
        mean = mean_d + k.view(c)
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(mean.detach(), alpha=self.momentum)
            self.running_var.mul_(1 - self.momentum).add_(var.detach() * (n / max(1, n - 1)), alpha=self.momentum)
            self.num_batches_tracked.add_(1)
        y = (x - mean.view(1, c, 1, 1)) * torch.rsqrt(var.view(1, c, 1, 1) + self.eps)
        return y * self.weight.view(1, c, 1, 1) + self.bias.view(1, c, 1, 1)


class ShortcutA(nn.Module):
    """Option A: x[:, :, ::s, ::s] with the new channels zero-padded, (cout - cin) / 2 before and after."""

    def __init__(self, stride, pad):
        super().__init__()
        self.stride, self.pad = stride, pad

    def forward(self, x):
        s = self.stride
        return F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, self.pad, self.pad))


class Block(nn.Module):
    """A basic (two 3x3) or bottleneck (1x1, 3x3, 1x1 x4) block. ImageNet family: torchvision's module names
    (the projection is `downsample`, so a state dict loads into torchvision.models.resnetD and back) and the
    bottleneck's stride on its 3x3 (torchvision's v1.5) or its first 1x1 (the paper), as model['strideAt'] says."""

    def __init__(self, cin, planes, stride, m):
        super().__init__()
        self.residual = m['arch'] == 'residual'
        bottleneck = m['block'] == 'bottleneck'
        bn = m['batchNorm']
        cout = planes * 4 if bottleneck else planes
        first = m.get('strideAt') == '1x1'
        convs = ([(cin, planes, 1, stride if first else 1), (planes, planes, 3, 1 if first else stride), (planes, cout, 1, 1)]
                 if bottleneck else [(cin, planes, 3, stride), (planes, cout, 3, 1)])
        self.depth = len(convs)
        for i, (a, b, k, s) in enumerate(convs, 1):
            setattr(self, f'conv{i}', nn.Conv2d(a, b, k, s, (k - 1) // 2, bias=not bn))
            setattr(self, f'bn{i}', BatchNorm(b) if bn else nn.Identity())
        self._shortcut = 'downsample' if m.get('family') == 'imagenet' else 'shortcut'
        shortcut = nn.Sequential()
        if self.residual and (stride != 1 or cin != cout):
            if m['shortcut'] == 'A':
                shortcut = ShortcutA(stride, (cout - cin) // 2)
            else:
                layers = [nn.Conv2d(cin, cout, 1, stride, bias=not bn)]
                if bn:
                    layers.append(BatchNorm(cout))
                shortcut = nn.Sequential(*layers)
        setattr(self, self._shortcut, shortcut)

    def forward(self, x):
        y = x
        for i in range(1, self.depth + 1):
            y = getattr(self, f'bn{i}')(getattr(self, f'conv{i}')(y))
            if i < self.depth:
                y = F.relu(y)
        return F.relu(y + getattr(self, self._shortcut)(x)) if self.residual else F.relu(y)


def add_stages(net, m, blocks_per_stage):
    """layer1, layer2, ... of `net`: stage s has width << (s - 1) planes and strides 2 in its first block (from
    stage 2 on). Returns the channels of the last stage's output."""
    cin, w = m['width'], m['width']
    for s, n in enumerate(blocks_per_stage, 1):
        blocks = []
        for i in range(n):
            blocks.append(Block(cin, w << (s - 1), 2 if s > 1 and i == 0 else 1, m))
            cin = (w << (s - 1)) * (4 if m['block'] == 'bottleneck' else 1)
        setattr(net, f'layer{s}', nn.Sequential(*blocks))
    return cin


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
        self.bn1 = BatchNorm(w) if bn else nn.Identity()
        self.fc = nn.Linear(add_stages(self, m, [n] * 3), m['classes'])
        for mod in self.modules():  # He normal for every weight (the app's rule; app_init draws the app's values)
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(mod.weight, mode='fan_in', nonlinearity='relu')

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.layer3(self.layer2(self.layer1(y)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


IMAGENET_BLOCKS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


class ImageNetNet(nn.Module):
    """The paper's ImageNet ResNets (Table 1: ResNet-18/34/50/101/152) and their plain twins, module for module as
    torchvision.models.resnet names them: the 7x7 stride-2 stem and 3x3 stride-2 max-pool (or, with stem 'cifar', a
    3x3 stride-1 conv without pool), four stages of width, 2x, 4x, 8x planes, projection shortcuts where the shape
    changes, global average pooling, fc."""

    def __init__(self, m):
        super().__init__()
        d = m['depth']
        m = {'width': 64, 'shortcut': 'B', 'batchNorm': True, 'classes': 1000, 'block': 'bottleneck' if d >= 50 else 'basic',
             'stem': 'imagenet', 'strideAt': '3x3', **m}
        if d not in IMAGENET_BLOCKS:
            raise ValueError(f'the ImageNet family has depths 18, 34, 50, 101, 152, not {d}')
        w, bn, big = m['width'], m['batchNorm'], m['stem'] == 'imagenet'
        self.conv1 = nn.Conv2d(3, w, 7, 2, 3, bias=not bn) if big else nn.Conv2d(3, w, 3, 1, 1, bias=not bn)
        self.bn1 = BatchNorm(w) if bn else nn.Identity()
        self.maxpool = nn.MaxPool2d(3, 2, 1) if big else nn.Identity()
        self.fc = nn.Linear(add_stages(self, m, IMAGENET_BLOCKS[d]), m['classes'])

    def forward(self, x):
        y = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        y = self.layer4(self.layer3(self.layer2(self.layer1(y))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def build_model(model_config=None, seed=None):
    """The network; with `seed`, its initial weights are the app's for that seed (app_init), else torch's."""
    m = model_config or RUN_CONFIG['model']
    model = ImageNetNet(m) if m.get('family') == 'imagenet' else CifarNet(m)
    if seed is not None:
        app_init(model, seed)
    return model


# ---- the app's random numbers (src/util/rng.ts, src/train/sampler.ts, src/reference/augment.ts) ----

def _imul(a, b):
    return (a * b) & M32


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    """The app's generator: xoshiro128** seeded through splitmix32; normals by Box-Muller."""

    def __init__(self, seed):
        x, s = seed & M32, []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = _imul(x ^ (x >> 16), 0x85EBCA6B)
            z = _imul(z ^ (z >> 13), 0xC2B2AE35)
            s.append((z ^ (z >> 16)) & M32)
        if not any(s):
            s[0] = 1
        self.s, self.spare = s, None

    def next_u32(self):
        s = self.s
        r = _imul(_rotl(_imul(s[1], 5), 7), 9)
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return r

    def next(self):
        return self.next_u32() / 4294967296

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u = 0.0
        while u == 0.0:
            u = self.next()
        v = self.next()
        r = math.sqrt(-2 * math.log(u))
        self.spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = (self.next_u32() * (i + 1)) >> 32  # floor(next() * (i + 1)), exactly
            p[i], p[j] = p[j], p[i]
        return p


def app_init(model, seed):
    """The app's initial state (src/model/init.ts): drawn in state-dict order from Rng(seed); He normal for conv
    and fc weights, uniform(+-1/sqrt(fan_in)) for their biases; BN gamma 1, beta 0, running mean 0, variance 1."""
    rng = Rng(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                w = mod.weight
                fan_in = w[0].numel()
                std = math.sqrt(2 / fan_in)
                w.copy_(torch.tensor([rng.normal() * std for _ in range(w.numel())], dtype=torch.float64).view(w.shape))
                if mod.bias is not None:
                    bound = 1 / math.sqrt(fan_in)
                    mod.bias.copy_(torch.tensor([-bound + 2 * bound * rng.next() for _ in range(mod.bias.numel())], dtype=torch.float64))
            elif isinstance(mod, nn.BatchNorm2d):
                mod.reset_parameters()


def epoch_order(ids, seed, epoch):
    """The app's order of the training ids in an epoch: one generator per (seed, epoch)."""
    perm = Rng(_imul(seed & M32, 0x9E3779B1) ^ _imul(epoch + 1, 0x85EBCA77)).permutation(len(ids))
    return [ids[i] for i in perm]


def mix32(x):
    """lowbias32, as in shaders/augment.wgsl."""
    h = x & M32
    h ^= h >> 16
    h = _imul(h, 0x7FEB352D)
    h ^= h >> 15
    h = _imul(h, 0x846CA68B)
    h ^= h >> 16
    return h


def augment_draws(seed, step, positions, pad, flip):
    """Crop offsets (ox, oy) and flips of the samples at these positions of the step's batch."""
    base = mix32((seed + 0x9E3779B9) & M32)
    ox, oy, fl = [], [], []
    for b in positions:
        h = mix32(mix32(base ^ (step & M32)) ^ b)
        ox.append((h & 0xFFFF) % (2 * pad + 1))
        oy.append(((h >> 16) & 0x7FFF) % (2 * pad + 1))
        fl.append(bool(flip) and (h >> 31) == 1)
    return ox, oy, fl


def pick_ids(ids, labels, classes=None, count=None):
    """src/train/subset.ts pickIds: the ids whose labels are in `classes`, then at most `count` of them, the same
    number from each class (the first ones; the remainder to the first classes), in id order."""
    keep = set(classes) if classes is not None else None
    in_class = [i for i in ids if keep is None or labels[i] in keep]
    if count is None or count >= len(in_class):
        return in_class
    cls = list(classes) if classes is not None else sorted({labels[i] for i in in_class})
    quota = {c: count // len(cls) + (1 if j < count % len(cls) else 0) for j, c in enumerate(cls)}
    out = []
    for i in in_class:
        if quota.get(labels[i], 0) > 0:
            out.append(i)
            quota[labels[i]] -= 1
    if len(out) < count:
        taken = set(out)
        out += [i for i in in_class if i not in taken][:count - len(out)]
    return sorted(out)


# ---- CIFAR-10 files: the app's binary layout (records of 1 label + 3072 pixel bytes), or torchvision's pickles ----

RECORD = 3073
MAX_RECORDS = 10000
MAX_MEMBER = 64 << 20  # a batch file, either version, is about 31 MB: larger is refused before it is read
BATCH_NAME = re.compile(r'^(data_batch_(\d+)|test_batch)(\.bin)?$')
ARCHIVE_NAMES = ('cifar-10-binary.tar.gz', 'cifar-10-subset-binary.tar.gz', 'cifar-10-python.tar.gz')


class DataError(Exception):
    pass


def check_records(raw, where):
    """(images [n, 3072] uint8, labels [n]) of a binary batch, checked as the app checks one."""
    if not raw or len(raw) % RECORD:
        hint = ' It looks like CIFAR-100 (3,074-byte records).' if raw and len(raw) % (RECORD + 1) == 0 else ''
        raise DataError(f'{where} is {len(raw)} bytes, not a whole number of {RECORD}-byte CIFAR-10 records.{hint}')
    if len(raw) > MAX_RECORDS * RECORD:
        raise DataError(f'{where} holds {len(raw) // RECORD} records; a CIFAR-10 batch holds at most {MAX_RECORDS}')
    rec = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, RECORD)
    labels = rec[:, 0].clone()
    bad = (labels >= 10).nonzero()
    if len(bad):
        r = int(bad[0])
        raise DataError(f'{where}, record {r} (byte {r * RECORD}): label {int(labels[r])} is outside 0..9')
    return rec[:, 1:].clone(), labels


class _ArraysOnly:
    """Unpickles torchvision's batches (dicts of numpy arrays and lists) and nothing else: no code runs."""
    ALLOWED = {('numpy.core.multiarray', '_reconstruct'), ('numpy._core.multiarray', '_reconstruct'), ('numpy', 'ndarray'), ('numpy', 'dtype')}

    @classmethod
    def load(cls, raw, where):
        import io
        import pickle

        class U(pickle.Unpickler):
            def find_class(self, module, name):
                if (module, name) in cls.ALLOWED:
                    return super().find_class(module, name)
                raise pickle.UnpicklingError(f'{module}.{name}')
        try:
            d = U(io.BytesIO(raw), encoding='bytes').load()
            data, labels = d[b'data'], d[b'labels']
        except Exception as e:
            raise DataError(f'{where} is not a CIFAR-10 Python batch ({type(e).__name__}: {e})')
        images = torch.from_numpy(data.astype('uint8').reshape(-1, 3072).copy())
        labels = torch.tensor(list(labels), dtype=torch.int64)
        if len(labels) != len(images) or len(images) > MAX_RECORDS or len(images) == 0:
            raise DataError(f'{where}: {len(images)} images and {len(labels)} labels')
        if len(labels) and (labels.min() < 0 or labels.max() >= 10):
            raise DataError(f'{where}: a label is outside 0..9')
        return images, labels.to(torch.uint8)


def read_batches(files, where):
    """{'train': (images, labels), 'test': ...} from (name, read()) pairs of batch files."""
    train, test, kinds = {}, None, set()
    for name, read in files:
        m = BATCH_NAME.match(os.path.basename(name))
        if not m:
            continue
        kinds.add('binary' if m.group(3) else 'python')
        if len(kinds) > 1:
            raise DataError(f'{where} holds batches of both the binary and the Python version; use one')
        n = int(m.group(2)) if m.group(2) else 0
        if (n in train) if n else test is not None:
            raise DataError(f'{where} holds {os.path.basename(name)} twice')
        raw = read()
        split = check_records(raw, f'{where}: {name}') if m.group(3) else _ArraysOnly.load(raw, f'{where}: {name}')
        if n:
            train[n] = split
        else:
            test = split
    if not train or test is None:
        missing = ' and '.join(x for x in ('data_batch_1.bin ... data_batch_5.bin (at least one)' if not train else '',
                                           'test_batch.bin' if test is None else '') if x)
        raise DataError(f'{where} has no CIFAR-10 {missing}')
    parts = [train[k] for k in sorted(train)]
    return {'train': (torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])), 'test': test}


def read_archive(path):
    """A .tar.gz / .tar of batches, each member refused by its declared size before it is read."""
    try:
        with tarfile.open(path, 'r:*') as tar:
            members = [m for m in tar.getmembers() if m.isfile() and BATCH_NAME.match(os.path.basename(m.name))]
            for m in members:
                if m.size > MAX_MEMBER:
                    raise DataError(f'{path}: {m.name} declares {m.size} bytes, more than a CIFAR-10 batch holds')
            return read_batches([(m.name, lambda m=m: tar.extractfile(m).read()) for m in members], path)
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DataError(f'{path} is not a readable tar archive ({type(e).__name__}: {e}); pick cifar-10-binary.tar.gz')


def find_data(root):
    """What --data names: an archive file, or a folder holding batch files or one of the archives (two levels)."""
    if os.path.isfile(root):
        return ('archive', root)
    if not os.path.isdir(root):
        return None
    found = {'binary': [], 'python': [], 'archive': []}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.relpath(os.path.join(dirpath, d), root).count(os.sep) < 2]
        for f in files:
            m = BATCH_NAME.match(f)
            if m:
                found['binary' if m.group(3) else 'python'].append(os.path.join(dirpath, f))
            elif f in ARCHIVE_NAMES:
                found['archive'].append(os.path.join(dirpath, f))
    for kind in ('binary', 'archive', 'python'):
        if found[kind]:
            if kind == 'archive':
                return ('archive', min(found['archive'], key=lambda p: (ARCHIVE_NAMES.index(os.path.basename(p)), p)))
            folders = sorted({os.path.dirname(p) for p in found[kind]})
            return ('folder', folders[0])
    return None


def load_cifar10(root):
    """The training and test images (uint8 [n, 3072], CHW planes) and labels, from what --data names."""
    where = find_data(root)
    if where is None:
        raise DataError(f'no CIFAR-10 at {root}: looked for {", ".join(ARCHIVE_NAMES)} and for a folder of '
                        'data_batch_N.bin + test_batch.bin (or torchvision\'s data_batch_N + test_batch). '
                        'Pass --data PATH, or --download to fetch the binary archive there.')
    kind, path = where
    if kind == 'archive':
        return read_archive(path), path
    files = sorted(f for f in os.listdir(path) if BATCH_NAME.match(f))
    for f in files:
        if os.path.getsize(os.path.join(path, f)) > MAX_MEMBER:
            raise DataError(f'{path}: {f} is {os.path.getsize(os.path.join(path, f))} bytes, more than a CIFAR-10 batch holds')
    return read_batches([(f, lambda f=f: _read(os.path.join(path, f))) for f in files], path), path


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def download(url, root):
    """Fetches url into root (a folder, or the archive's path), under a temporary name renamed when complete and
    checked; returns the path. Several processes may race to the same place (shared storage): each renames a
    whole file over the other's."""
    import hashlib
    import urllib.request
    dest = root if root.endswith(('.tar.gz', '.tgz', '.tar')) else os.path.join(root, os.path.basename(url.split('?')[0]) or 'cifar-10-binary.tar.gz')
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    part = f'{dest}.part.{socket.gethostname()}.{os.getpid()}'
    md5, got, t0, shown = hashlib.md5(), 0, time.time(), 0
    try:
        with urllib.request.urlopen(url, timeout=60) as r, open(part, 'wb') as f:
            size = int(r.headers.get('Content-Length') or 0)
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)
                md5.update(chunk)
                got += len(chunk)
                if time.time() - shown > 5:
                    shown = time.time()
                    print(f'downloading {url}: {got / 1e6:.1f}' + (f' of {size / 1e6:.1f}' if size else '') + ' MB', file=sys.stderr, flush=True)
        if url == OFFICIAL_URL and md5.hexdigest() != OFFICIAL_MD5:
            raise DataError(f'{url} arrived with MD5 {md5.hexdigest()}, not {OFFICIAL_MD5}: a damaged download; try again')
        read_archive(part)  # every record checked before the file takes its name: a bad download never lands
        os.replace(part, dest)
    except DataError as e:
        raise DataError(f'the download from {url} is not usable CIFAR-10 ({e})')
    except (OSError, ValueError) as e:
        raise DataError(f'downloading {url} failed after {got} bytes ({type(e).__name__}: {e})')
    finally:
        if os.path.exists(part):
            os.remove(part)
    print(f'downloaded {dest} ({got / 1e6:.1f} MB, MD5 {md5.hexdigest()}, {time.time() - t0:.1f} s)', file=sys.stderr, flush=True)
    return dest


# ---- the run's splits, batches and evaluation ----

class RunData:
    """The run's splits as the app makes them (gpuDataset.ts, subset.ts): a validation split held out with
    VAL_SPLIT_SEED, a class subset relabelled 0..k-1, fewer training images picked per class; the images
    normalised with the training split's channel statistics; everything on `device`."""

    def __init__(self, cifar, config, device):
        images, labels = cifar['train']
        n, val = len(labels), int(config.get('valCount') or 0)
        if not 0 <= val < n:
            raise DataError(f'the run holds out {val} validation images, and the data has {n} training images')
        if val:
            order = Rng(VAL_SPLIT_SEED).permutation(n)
            val_ids, train_ids = sorted(order[:val]), sorted(order[val:])
        else:
            val_ids, train_ids = [], list(range(n))
        px = images[torch.tensor(train_ids)].view(-1, 3, 1024)
        counts = torch.stack([torch.bincount(px[:, c].flatten().long(), minlength=256) for c in range(3)]).double()
        v = torch.arange(256, dtype=torch.float64)
        mean = (counts * v).sum(1) / counts.sum(1)
        std = ((counts * (v - mean[:, None]) ** 2).sum(1) / counts.sum(1)).sqrt()
        self.mean, self.std = (mean / 255).tolist(), (std / 255).tolist()
        # (p / 255 - mean) / std as p * scale + bias, rounded to float32 once per term (as the augment kernel).
        self.scale = torch.tensor([1 / (255 * s) for s in self.std], dtype=torch.float32, device=device).view(1, 3, 1, 1)
        self.bias = torch.tensor([-m / s for m, s in zip(self.mean, self.std)], dtype=torch.float32, device=device).view(1, 3, 1, 1)
        classes = config.get('classes')
        remap = torch.zeros(256, dtype=torch.int64)
        remap[:10] = torch.arange(10)
        if classes:
            remap[torch.tensor(classes)] = torch.arange(len(classes))
        lab = labels.tolist()
        self.train_ids = pick_ids(train_ids, lab, classes, config.get('trainImages'))
        self.val_ids = pick_ids(val_ids, lab, classes) if val else []
        test_images, test_labels = cifar['test']
        test_ids = pick_ids(list(range(len(test_labels))), test_labels.tolist(), classes)
        self.images = images.view(-1, 3, 32, 32).to(device)
        self.labels = remap[labels.long()].to(device)
        self.test_images = test_images.view(-1, 3, 32, 32)[torch.tensor(test_ids, dtype=torch.int64)].to(device)
        self.test_labels = remap[test_labels.long()][torch.tensor(test_ids, dtype=torch.int64)].to(device)
        if not self.train_ids:
            raise DataError('the run trains on no images (its class subset is not in the data)')
        self.device, self.seed, self.batch = device, int(config['seed']), int(config['batchSize'])
        self.dtype = torch.float32
        self.pad = 4 if config['augment'] else 0
        self.flip = bool(config['augment'])
        self.per_epoch = max(1, len(self.train_ids) // self.batch)
        self._epoch, self._order = -1, []
        self._ar = torch.arange(32, device=device)

    def batch_ids(self, step):
        """The image ids of the whole batch at `step` (src/train/sampler.ts)."""
        e = step // self.per_epoch
        if e != self._epoch:
            self._epoch, self._order = e, epoch_order(self.train_ids, self.seed, e)
        start, n = (step - e * self.per_epoch) * self.batch, len(self._order)
        return [self._order[(start + k) % n] for k in range(self.batch)]

    def take(self, step, lo, hi):
        """Positions lo..hi-1 of the step's batch, augmented and normalised as the app's augment kernel does."""
        ids = self.batch_ids(step)[lo:hi]
        ox, oy, fl = augment_draws(self.seed, step, range(lo, hi), self.pad, self.flip)
        dev, ar, p = self.device, self._ar, self.pad
        x = self.images[torch.tensor(ids, device=dev)]
        if p:
            x = F.pad(x, (p, p, p, p))
        ox, oy, fl = (torch.tensor(v, device=dev) for v in (ox, oy, fl))
        cols = torch.where(fl[:, None], 31 - ar[None, :], ar[None, :]) + ox[:, None]  # padded-image columns
        rows = ar[None, :] + oy[:, None]
        b = torch.arange(hi - lo, device=dev)[:, None, None, None]
        x = x[b, torch.arange(3, device=dev)[None, :, None, None], rows[:, None, :, None], cols[:, None, None, :]]
        return (x.float() * self.scale + self.bias).to(self.dtype), self.labels[torch.tensor(ids, device=dev)]

    def normalised(self, images):
        return (images.float() * self.scale + self.bias).to(self.dtype)


@torch.no_grad()
def evaluate(model, data, images, labels, limit=0, batch=500):
    """(loss sum, correct, count) in eval-mode BN over the first `limit` images (0: all)."""
    model.eval()
    n = len(labels) if not limit else min(limit, len(labels))
    correct = loss = 0.0
    for i in range(0, n, batch):
        x, t = data.normalised(images[i:min(n, i + batch)]), labels[i:min(n, i + batch)]
        y = model(x)
        loss += float(F.cross_entropy(y, t, reduction='sum'))
        correct += float((y.argmax(1) == t).sum())
    return loss, correct, n


# ---- checkpoint state and schedule ----

def load_checkpoint(model, path, optimizer=None):
    """Loads the app's checkpoint (or a state dict saved the same way) into model; returns (step, metadata).
    A fine-tuning run (RUN_CONFIG has fineTune) given the checkpoint it starts from, not one of its own, loads as
    the app does: by name, the tensors whose shape matches (a new head keeps its initial values), from step 0."""
    tensors, meta = read_safetensors(path)
    saved = json.loads(meta['runConfig']) if meta.get('runConfig') else None
    state = {k: v for k, v in tensors.items() if not k.startswith(MOMENTUM_PREFIX)}
    fine_tune = RUN_CONFIG.get('fineTune')
    if fine_tune and (saved is None or saved.get('fineTune') != fine_tune):
        own = model.state_dict()
        take = {k: v for k, v in state.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
        if not take:
            raise ValueError(f'{path} shares no tensor with this network: fine-tune from a run of the same architecture, depth and width')
        model.load_state_dict(take, strict=False)
        fresh = [k for k in own if k not in take and not k.endswith('num_batches_tracked')]
        print(f'fine-tuning from {path}: {len(take)} tensors loaded' + (f'; {", ".join(fresh)} keep their initial values' if fresh else ''), file=sys.stderr)
        return 0, meta
    if saved and saved['model'] != RUN_CONFIG['model']:
        print(f'note: {path} was saved for model {saved["model"]}, this script builds {RUN_CONFIG["model"]}', file=sys.stderr)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise ValueError(f'{path}: missing {missing}, unexpected {unexpected}')
    if optimizer is not None:
        for name, p in model.named_parameters():
            buf = tensors.get(MOMENTUM_PREFIX + name)
            if buf is not None:
                optimizer.state[p]['momentum_buffer'] = buf.to(p.device, p.dtype).reshape(p.shape).clone()
    return int(meta.get('step', 0)), meta


def save_checkpoint(model, optimizer, path, step, epoch):
    tensors = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    # Every parameter's momentum, as the app keeps it: zeros where torch holds none (a frozen parameter of a
    # head-only fine-tune, or before the first step; a zero buffer steps as torch's first step does).
    for name, p in model.named_parameters():
        buf = optimizer.state.get(p, {}).get('momentum_buffer')
        tensors[MOMENTUM_PREFIX + name] = torch.zeros_like(p) if buf is None else buf
    write_safetensors(path, tensors, {'format': CHECKPOINT_FORMAT, 'runConfig': json.dumps(RUN_CONFIG), 'step': str(step), 'epoch': str(epoch), 'name': RUN_NAME})
    print(f'saved {path} at step {step}', file=sys.stderr, flush=True)


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


def run_length(c, per_epoch):
    """src/train/schedule.ts totalSteps: steps wins over epochs; else the paper's 64k."""
    if c.get('steps'):
        return int(c['steps'])
    if c.get('epochs'):
        return max(1, math.floor(c['epochs'] * per_epoch + 0.5))
    return 64000


# ---- several processes ----

class Ranks:
    """WORLD_SIZE processes started by torchrun (one when run as `python3 script.py`)."""

    def __init__(self, device):
        self.world = int(os.environ.get('WORLD_SIZE', '1'))
        self.rank = int(os.environ.get('RANK', '0'))
        self.local = int(os.environ.get('LOCAL_RANK', '0'))
        self.device = device
        if self.world > 1:
            import torch.distributed as dist
            if device.type == 'cuda':
                self.device = torch.device('cuda', self.local)
                torch.cuda.set_device(self.device)
            dist.init_process_group('nccl' if device.type == 'cuda' else 'gloo')

    def all_ok(self, ok):
        """Whether every process is ok; also a barrier (so no process waits forever for one that failed)."""
        if self.world == 1:
            return ok
        import torch.distributed as dist
        flag = torch.tensor([0 if ok else 1], device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return int(flag) == 0

    def max_difference(self, tensors):
        """The largest |x - rank 0's x| over these tensors and all processes."""
        import torch.distributed as dist
        worst = torch.zeros(1, dtype=torch.float64, device=self.device)
        for t in tensors:
            ref = t.detach().clone()
            dist.broadcast(ref, 0)
            if t.numel():
                worst = torch.maximum(worst, (t.detach().double() - ref.double()).abs().max().view(1))
        dist.all_reduce(worst, op=dist.ReduceOp.MAX)
        return float(worst)

    def close(self):
        """Every process waits here for the others (after rank 0's evaluation), so none leaves a group another still
        uses. The group is not destroyed: the process ends without destructors (see leave)."""
        if self.world > 1:
            import torch.distributed as dist
            dist.barrier()


def leave(run):
    """Runs main; with several processes, ends the process without Python's teardown.

    torch 1.13's gloo process group joins its worker threads in its destructor while holding the GIL; a worker
    still dropping the last reference to a tensor Python made then waits for the GIL forever (pytorch#56297), and
    one process hangs after the run has finished. Every file is written and closed by then, every collective done
    (close's barrier), so os._exit after flushing the two streams loses nothing; a failure still exits nonzero
    with its message, and torchrun then stops the other processes."""
    if int(os.environ.get('WORLD_SIZE', '1')) == 1:
        return run()
    code = 0
    try:
        run()
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # KeyboardInterrupt too: its traceback, then out
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def prepare_data(a, ranks):
    """Downloads (local rank 0 only) when asked and nothing is there, then loads on every process."""
    where = 'this process' if ranks.world == 1 else f'process {ranks.rank} on {socket.gethostname()}'
    err = None
    if a.download and ranks.local == 0 and find_data(a.data) is None:
        try:
            download(a.data_url, a.data)
        except DataError as e:
            err = str(e)
    if not ranks.all_ok(err is None):
        sys.exit(f'data: {err}' if err else 'data: the download failed on another process (see its message)')
    try:
        cifar, path = load_cifar10(a.data)
    except DataError as e:
        err = f'{e}' + ('' if ranks.world == 1 else f' ({where}; on several machines --data must hold the files on each)')
    if not ranks.all_ok(err is None):
        sys.exit(f'data: {err}' if err else 'data: another process could not read the data (see its message)')
    if ranks.rank == 0:
        print(f'data: {path}: {len(cifar["train"][1])} training and {len(cifar["test"][1])} test images', file=sys.stderr, flush=True)
    return cifar


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', help="the app's .safetensors checkpoint to start from (else the app's initial weights)")
    p.add_argument('--data', default='./data', help='CIFAR-10: the binary archive, its folder, or a folder holding either (default ./data)')
    p.add_argument('--download', action='store_true', help='fetch the binary archive into --data when no CIFAR-10 is there')
    p.add_argument('--data-url', default=OFFICIAL_URL, help='where --download fetches from (default the official archive)')
    p.add_argument('--eval-only', action='store_true', help='evaluate --checkpoint on the test split and stop')
    p.add_argument('--eval-images', type=int, default=None, help="test images per evaluation (0: all; default the run's)")
    p.add_argument('--steps', type=int, help="run length in steps (default the run's)")
    p.add_argument('--out', default=None, help='checkpoint written at the end (default NAME-stepN.safetensors)')
    p.add_argument('--save-every', type=int, default=0, help='also write the checkpoint every N steps')
    p.add_argument('--log-every', type=int, default=100, help='print the training loss every N steps (and at the end)')
    p.add_argument('--sync-bn', action=argparse.BooleanOptionalAction, default=True,
                   help='under torchrun, BatchNorm over the whole batch across processes (default; the same run as one process)')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--float64', action='store_true', help='compute in float64 (slow; to compare runs without float32 rounding)')
    a = p.parse_args()

    c = RUN_CONFIG
    ranks = Ranks(torch.device(a.device))
    device, rank, world = ranks.device, ranks.rank, ranks.world
    if c['batchSize'] % world:
        sys.exit(f'batch {c["batchSize"]} does not split across {world} processes')
    data = RunData(prepare_data(a, ranks), c, device)
    model = build_model(seed=c['seed']).to(device)  # the app's initial weights (a checkpoint overwrites them)
    if a.float64:
        model, data.dtype = model.double(), torch.float64
    head_only = c.get('fineTune', {}).get('train') == 'head'
    if head_only:  # the app trains only the classifier (trainFrom 'fc.weight')
        for name, q in model.named_parameters():
            q.requires_grad_(name.startswith('fc.'))
    opt = torch.optim.SGD(model.parameters(), lr=c['lr'], momentum=c['momentum'], weight_decay=c['weightDecay'])
    step = 0
    if a.checkpoint:
        step, _ = load_checkpoint(model, a.checkpoint, opt)
        if rank == 0:
            print(f'loaded {a.checkpoint} at step {step}', file=sys.stderr)
    limit = c.get('evalImages', 0) if a.eval_images is None else a.eval_images

    def report(extra):
        loss, correct, n = evaluate(model, data, data.test_images, data.test_labels, limit)
        line = {'step': step, 'testLoss': loss / max(1, n), 'testAcc': correct / max(1, n), 'images': int(n), **extra}
        if data.val_ids:
            vi = torch.tensor(data.val_ids, device=device)
            vl, vc, vn = evaluate(model, data, data.images[vi], data.labels[vi])
            line.update(valLoss=vl / vn, valAcc=vc / vn)
        print(json.dumps(line), flush=True)

    if a.eval_only:
        if rank == 0:
            report({})
        ranks.close()
        return
    sync = world > 1 and a.sync_bn
    for m in model.modules():
        if isinstance(m, BatchNorm):
            m.sync = sync
    total = a.steps or run_length(c, data.per_epoch)
    per = c['batchSize'] // world
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == 'cuda' else None) if world > 1 else model
    out = a.out or f"{re.sub(r'[^A-Za-z0-9._-]+', '-', RUN_NAME).strip('-') or 'run'}-step{total}.safetensors"
    t0, saved = time.time(), -1
    while step < total:
        lr = learning_rate(step, total)
        for g in opt.param_groups:
            g['lr'] = lr
        net.train()
        if head_only:  # the frozen backbone's BatchNorm too: its running statistics normalise and stay as loaded
            for m in model.modules():
                if isinstance(m, BatchNorm):
                    m.eval()
        x, t = data.take(step, rank * per, (rank + 1) * per)
        y = net(x)
        loss = F.cross_entropy(y, t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if rank == 0 and (step % max(1, a.log_every) == 0 or step == total):
            acc = float((y.argmax(1) == t).float().mean())
            print(json.dumps({'step': step, 'lr': lr, 'trainLoss': float(loss), 'trainAcc': acc, 'seconds': round(time.time() - t0, 1)}), flush=True)
        if rank == 0 and a.save_every and step % a.save_every == 0:
            save_checkpoint(model, opt, out, step, step / data.per_epoch)
            saved = step
    extra = {'processes': world}
    if world > 1:
        bn = [b for m in model.modules() if isinstance(m, BatchNorm) for b in (m.running_mean, m.running_var)]
        extra.update(syncBatchNorm=sync, rankDifference={'parameters': ranks.max_difference(list(model.parameters())),
                                                          'bnStatistics': ranks.max_difference(bn)})
    if rank == 0:
        if saved != step:
            save_checkpoint(model, opt, out, step, step / data.per_epoch)
        report({**extra, 'checkpoint': out})
    ranks.close()


if __name__ == '__main__':
    leave(main)
