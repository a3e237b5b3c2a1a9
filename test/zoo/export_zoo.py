#!/usr/bin/python3
"""Export sp's model zoo to ONNX with PyTorch: randomly initialised (never downloads
weights), eval mode, BatchNorm kept as BatchNormalization (TrainingMode.PRESERVE), dynamic
batch dimension. For each model NAME writes into OUTDIR:

  NAME.onnx           the model
  NAME.input_0.pb     a fixed random input (TensorProto named like the graph input)
  NAME.output_0.pb    PyTorch's output for that input
  NAME.expected.json  params and MACs counted independently in PyTorch

Counting conventions (as fvcore/thop for conv and linear; one MAC = one multiply-add):
  params = sum of numel over model.parameters() (shared parameters once; BatchNorm running
           statistics are buffers, not parameters: reported apart as buffer_elements)
  MACs   = batch-1 forward pass, via forward hooks:
           Conv{1,2,3}d         out.numel() * in_channels/groups * prod(kernel)
           ConvTranspose{1,2,3}d in.numel() * out_channels/groups * prod(kernel)
           Linear               out.numel() * in_features
           MultiheadAttention   in-projections (L+2S)*E*E, out-projection L*E*E,
                                QK^T L*S*E and AV L*S*E (the projections run through
                                F.linear inside MHA, so no Linear hook sees them)
           CausalSelfAttention  (the tiny GPT's own) QK^T + AV = 2*L*L*E; its Linears count
                                as Linear
           everything else (norms, activations, pooling, softmax, adds) counts 0.

  /usr/bin/python3 test/zoo/export_zoo.py OUTDIR [--set zoo|prune] [--only NAME[,NAME]]
                                          [--force] [--list]

--set prune exports the prune suite's wider set instead (PRUNE_SET: concat-heavy,
grouped-conv, SE, window-attention and segmentation models the zoo lacks; only
test/prune's prune.torchvision uses them).

Models are cached: one whose four files exist and whose expected.json was written by this
exact script is skipped unless --force.
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from onnx import numpy_helper

SEED = 0
IMAGE = (1, 3, 224, 224)


# ------------------------------------------------------------------ small transformers

class TinyEncoderClassifier(nn.Module):
    """Token + learned position embedding, nn.TransformerEncoder, mean-pool, classifier."""

    def __init__(self, vocab=1000, seq=32, d_model=64, heads=4, layers=2, classes=10):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(1, seq, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model,
                                           dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, classes)

    def forward(self, tokens):  # tokens (B, seq) int64
        x = self.tok(tokens) + self.pos
        x = self.norm(self.encoder(x))
        return self.head(x.mean(dim=1))


class CausalSelfAttention(nn.Module):
    """GPT-2 style: fused qkv projection, split into heads, causal mask, softmax, AV."""

    def __init__(self, d_model, heads, block):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        causal = torch.tril(torch.ones(block, block, dtype=torch.bool))
        self.register_buffer('mask', causal.view(1, 1, block, block))  # bool: not a parameter

    def forward(self, x):  # x (B, T, C)
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)  # (B, h, T, d)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:, :, :T, :T], float('-inf'))
        y = F.softmax(att, dim=-1) @ v  # (B, h, T, d)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, d_model, heads, block):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, heads, block)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.out = nn.Linear(4 * d_model, d_model)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class TinyGPT(nn.Module):
    """Token + position embedding, causal self-attention blocks, final LayerNorm, LM head."""

    def __init__(self, vocab=1000, block=32, d_model=64, heads=4, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(block, d_model)
        self.blocks = nn.ModuleList(Block(d_model, heads, block) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab, bias=False)

    def forward(self, tokens):  # tokens (B, T) int64, T <= block
        T = tokens.shape[1]
        x = self.tok(tokens) + self.pos(torch.arange(T, device=tokens.device))
        for b in self.blocks:
            x = b(x)
        return self.lm_head(self.ln_f(x))  # logits (B, T, vocab)


# ------------------------------------------------------------------ the zoo

def tv(name):
    return lambda: getattr(torchvision.models, name)(weights=None)


def image_input():
    return torch.randn(*IMAGE)


def token_input(vocab, seq):
    return lambda: torch.randint(0, vocab, (1, seq), dtype=torch.int64)


# name: (constructor, input maker, opset, dynamic axes of input beyond batch)
ZOO = {
    'resnet18': (tv('resnet18'), image_input, 13, {}),
    'resnet50': (tv('resnet50'), image_input, 13, {}),
    'mobilenet_v2': (tv('mobilenet_v2'), image_input, 13, {}),
    'mobilenet_v3_small': (tv('mobilenet_v3_small'), image_input, 13, {}),
    'densenet121': (tv('densenet121'), image_input, 13, {}),
    'vgg16_bn': (tv('vgg16_bn'), image_input, 13, {}),
    'efficientnet_b0': (tv('efficientnet_b0'), image_input, 13, {}),
    'shufflenet_v2_x1_0': (tv('shufflenet_v2_x1_0'), image_input, 13, {}),
    'convnext_tiny': (tv('convnext_tiny'), image_input, 13, {}),
    'vit_b_16': (tv('vit_b_16'), image_input, 14, {}),
    'tiny_encoder': (TinyEncoderClassifier, token_input(1000, 32), 14, {}),
    # Sequence length fixed at 32: a dynamic one would count as 1 in static MAC counts.
    'tiny_gpt': (TinyGPT, token_input(1000, 32), 14, {}),
}


class SegmentationOut(nn.Module):
    """A torchvision segmentation model with its 'out' map as the only output."""

    def __init__(self, name):
        super().__init__()
        self.model = getattr(torchvision.models.segmentation, name)(
            weights=None, weights_backbone=None)

    def forward(self, x):
        return self.model(x)['out']


# Pruned by prune.torchvision only (--set prune): structures the zoo lacks.
PRUNE_SET = {
    'squeezenet1_1': (tv('squeezenet1_1'), image_input, 13, {}),      # Fire: concat of two expands
    'googlenet': (lambda: torchvision.models.googlenet(weights=None, aux_logits=False,
                                                       init_weights=True),
                  image_input, 13, {}),                                # Inception: 4-way concats
    'mnasnet0_5': (tv('mnasnet0_5'), image_input, 13, {}),
    'regnet_y_400mf': (tv('regnet_y_400mf'), image_input, 13, {}),    # grouped convs + SE
    'resnext50_32x4d': (tv('resnext50_32x4d'), image_input, 13, {}),  # 32-group convs
    'efficientnet_v2_s': (tv('efficientnet_v2_s'), image_input, 13, {}),
    'swin_t': (tv('swin_t'), image_input, 14, {}),                     # run-time shape arithmetic
    'lraspp_mobilenet_v3_large': (lambda: SegmentationOut('lraspp_mobilenet_v3_large'),
                                  image_input, 13, {}),                # image-shaped output
}


def randomize(model):
    """Make every parameter tensor distinct and non-constant. torch.onnx.export merges
    initializers with identical contents (zero biases, the deep-copied layers of
    nn.TransformerEncoder, ConvNeXt's constant layer scales), which would make the ONNX
    file hold fewer parameters than PyTorch counts. Norm layers also get non-trivial
    statistics, so a BatchNorm that is dropped or folded wrongly changes the outputs."""
    g = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(0.5 + torch.rand(n, generator=g))
            if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)) \
                    and getattr(m, 'weight', None) is not None:
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
        seen = set()
        for p in model.parameters():
            key = p.detach().numpy().tobytes()
            if key in seen or (p.numel() > 1 and bool((p == p.flatten()[0]).all())):
                noise = torch.randn(p.shape, generator=g)
                scale = float(p.abs().max())
                p.copy_(p * (1 + 0.1 * noise) if scale else 0.01 * noise)
                key = p.detach().numpy().tobytes()
            seen.add(key)


# ------------------------------------------------------------------ counting

def count_params(model):
    by_type = {}
    for m in model.modules():
        own = sum(p.numel() for p in m.parameters(recurse=False))
        if own:
            by_type[type(m).__name__] = by_type.get(type(m).__name__, 0) + own
    total = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for n, b in model.named_buffers()
                  if b.is_floating_point() and not n.endswith('mask'))
    return total, by_type, buffers


def count_macs(model, example):
    macs = {}

    def add(kind, n):
        macs[kind] = macs.get(kind, 0) + int(n)

    def conv(m, inp, out):
        add(type(m).__name__, out.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size))

    def conv_t(m, inp, out):
        add(type(m).__name__, inp[0].numel() * (m.out_channels // m.groups) * math.prod(m.kernel_size))

    def linear(m, inp, out):
        add('Linear', out.numel() * m.in_features)

    def mha_counter(m):
        # torch 1.13 forward hooks do not see keyword arguments (ViT calls
        # self_attention(query=x, key=x, value=x)), so wrap this instance's forward.
        plain = m.forward

        def forward(query, key, value, *args, **kwargs):
            seq_axis = 1 if m.batch_first else 0
            L, S, E = query.shape[seq_axis], key.shape[seq_axis], m.embed_dim
            batch = query.numel() // (L * E)
            add('MultiheadAttention.proj', batch * ((L + 2 * S) * E * E + L * E * E))
            add('MultiheadAttention.matmul', batch * 2 * L * S * E)
            return plain(query, key, value, *args, **kwargs)
        m.forward = forward
        return plain

    def causal(m, inp, out):
        B, T, C = inp[0].shape
        add('CausalSelfAttention.matmul', B * 2 * T * T * C)

    hooks, patched = [], []
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            hooks.append(m.register_forward_hook(conv))
        elif isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            hooks.append(m.register_forward_hook(conv_t))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear))
        elif isinstance(m, nn.MultiheadAttention):
            patched.append((m, mha_counter(m)))
        elif isinstance(m, CausalSelfAttention):
            hooks.append(m.register_forward_hook(causal))
    # Grad enabled on purpose: under no_grad, eval-mode nn.TransformerEncoderLayer and
    # nn.MultiheadAttention take a fused fast path that no hook sees and that
    # torch.onnx.export does not take either.
    with torch.enable_grad():
        model(example)
    for h in hooks:
        h.remove()
    for m, plain in patched:
        del m.forward  # back to the class's forward
        assert m.forward.__func__ is type(m).forward
    # MHA's out_proj is an nn.Linear that MHA never calls; if a future torch calls it, the
    # Linear hook would count it twice.
    return sum(macs.values()), macs


# ------------------------------------------------------------------ export

def script_hash():
    with open(os.path.abspath(__file__), 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def paths(outdir, name):
    return {k: os.path.join(outdir, f'{name}.{k}') for k in
            ('onnx', 'input_0.pb', 'output_0.pb', 'expected.json')}


def cached(outdir, name):
    p = paths(outdir, name)
    if not all(os.path.exists(f) for f in p.values()):
        return False
    try:
        with open(p['expected.json']) as f:
            return json.load(f).get('exporter') == script_hash()
    except (OSError, ValueError):
        return False


def export(outdir, name):
    make, make_input, opset, extra_axes = {**ZOO, **PRUNE_SET}[name]
    torch.manual_seed(SEED)
    model = make().eval()
    randomize(model)
    torch.manual_seed(SEED + 2)
    example = make_input()
    params, params_by_type, buffers = count_params(model)
    macs, macs_by_kind = count_macs(model, example)
    with torch.no_grad():
        expected_out = model(example)

    p = paths(outdir, name)
    tmp = {k: v + '.tmp.' + str(os.getpid()) for k, v in p.items()}
    axes = {0: 'batch', **extra_axes}
    out_axes = {0: 'batch', **({1: 'seq'} if 1 in extra_axes else {})}
    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(model, example, tmp['onnx'], opset_version=opset,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          do_constant_folding=True, input_names=['input'],
                          output_names=['output'],
                          dynamic_axes={'input': axes, 'output': out_axes})
    seconds = time.monotonic() - t0

    graph = onnx.load(tmp['onnx'], load_external_data=False).graph
    ops = {}
    for node in graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if has_bn and not ops.get('BatchNormalization'):
        raise RuntimeError(f'{name}: BatchNorm was fused away in export')

    for key, arr in (('input_0.pb', example), ('output_0.pb', expected_out)):
        tensor = numpy_helper.from_array(arr.numpy(), name='input' if key == 'input_0.pb' else 'output')
        with open(tmp[key], 'wb') as f:
            f.write(tensor.SerializeToString())
    expected = {
        'name': name, 'exporter': script_hash(), 'torch': torch.__version__,
        'torchvision': torchvision.__version__, 'seed': SEED, 'opset': opset,
        'input': {'name': 'input', 'dtype': str(example.dtype).replace('torch.', ''),
                  'shape': list(example.shape), 'dynamic_axes': {str(k): v for k, v in axes.items()}},
        'params': params, 'macs': macs,
        'params_by_module': params_by_type, 'macs_by_kind': macs_by_kind,
        'buffer_elements': buffers,
        # Lets run_zoo.py tell which ONNX initializers are not PyTorch parameters.
        'param_numel': {n: p.numel() for n, p in model.named_parameters()},
        'onnx_ops': dict(sorted(ops.items())), 'export_seconds': round(seconds, 2),
    }
    with open(tmp['expected.json'], 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    for k in ('onnx', 'input_0.pb', 'output_0.pb', 'expected.json'):  # json last: cache marker
        os.replace(tmp[k], p[k])
    return expected


def main():
    ap = argparse.ArgumentParser(description='Export sp\'s model zoo to ONNX.')
    ap.add_argument('outdir')
    ap.add_argument('--set', choices=('zoo', 'prune'), default='zoo',
                    help='the zoo, or the prune suite\'s wider set')
    ap.add_argument('--only', help='comma-separated model names')
    ap.add_argument('--force', action='store_true', help='re-export cached models')
    ap.add_argument('--list', action='store_true', help='print the model names and exit')
    args = ap.parse_args()
    models = PRUNE_SET if args.set == 'prune' else ZOO
    if args.list:
        print('\n'.join(models))
        return 0
    names = args.only.split(',') if args.only else list(models)
    unknown = [n for n in names if n not in models]
    if unknown:
        print(f"error: unknown model(s) {', '.join(unknown)}; known: {', '.join(models)}",
              file=sys.stderr)
        return 2
    os.makedirs(args.outdir, exist_ok=True)
    total = time.monotonic()
    for name in names:
        if not args.force and cached(args.outdir, name):
            print(f'{name:20} cached')
            continue
        t0 = time.monotonic()
        e = export(args.outdir, name)
        size = os.path.getsize(os.path.join(args.outdir, name + '.onnx')) / 2**20
        print(f"{name:20} {time.monotonic() - t0:6.1f}s (torch.onnx.export {e['export_seconds']:.1f}s) "
              f"{size:7.1f} MiB  params {e['params']:>11,}  MACs {e['macs']:>14,}", flush=True)
    print(f'zoo ready in {args.outdir} ({time.monotonic() - total:.0f}s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
