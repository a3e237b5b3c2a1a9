#!/usr/bin/python3
"""Accuracy recovered after structured pruning: sp (sp-opt prune + sp-train) against
the same job done in PyTorch (group-magnitude pruning as Torch-Pruning does it by
default + PyTorch fine-tuning), at equal MACs, on the shipped Fashion-MNIST ResNet.

For each --ratios r:
- sp: `sp-opt` with the `make run` pipeline (sp-importance{criterion=l2},
  sp-prune{ratio=r round-to=R}), then `sp-train` for --epochs epochs with the recipe
  below; with --kd also a run distilled from the unpruned model (--teacher).
- PyTorch: the original FashionResNet (examples/train_fashion_cnn.py, same ONNX
  weights) pruned to exactly the channel counts sp chose (so the MACs are equal),
  keeping in each coupled group the channels with the largest group L2 magnitude:
  per channel, the sum of squares of every member slice (producer rows, consumer
  columns, BatchNorm scales), averaged over the members -- Torch-Pruning's default
  GroupMagnitudeImportance(p=2) with mean reduction. (Torch-Pruning itself is not in
  Debian; this is its criterion on this network's six dependency groups.) Then
  fine-tuned by torch.optim.SGD with the same recipe.

Recipe (both): SGD momentum 0.9, lr --lr with a cosine schedule to 0, weight decay
5e-4 on every parameter, batch 64, shuffled, images normalised (x/255 - 0.2860) /
0.3530, no augmentation, --epochs epochs over the 60,000 training images; top-1 on
the 10,000 test images. Threads: --threads for both.

With --torch-on-sp, PyTorch also fine-tunes sp's own pruned model (sp's channel
choice, the same recipe): the gap between that column and sp's separates the trainer
from the choice of channels.

Prints one row per ratio: MACs (and the factor fewer), top-1 of each after
fine-tuning, the drop from the original's top-1, and the seconds each fine-tune took.

  bench/recovery.py --build build [--ratios 0.3,0.5] [--round-to 2] [--epochs 3]
                    [--lr 0.05] [--threads 2] [--kd] [--limit N]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(ROOT, 'examples'))
from fashion_mnist import MEAN, STD, load_split  # noqa: E402
from train_fashion_cnn import FashionResNet, evaluate  # noqa: E402

MODEL = os.path.join(ROOT, 'examples', 'fashion_resnet.onnx')
BATCH, MOMENTUM, WEIGHT_DECAY, SEED = 64, 0.9, 5e-4, 1

# The coupled channel groups of FashionResNet (blocks=1): (members that produce the
# channels on axis 0, members that read them on axis 1). BatchNorms are producers.
GROUPS = {
    'stem': (['stem.0', 'stem.1', 'stages.0.conv2', 'stages.0.bn2'],
             ['stages.0.conv1', 'stages.1.conv1', 'stages.1.shortcut.0']),
    'stages.0.inner': (['stages.0.conv1', 'stages.0.bn1'], ['stages.0.conv2']),
    'stages.1': (['stages.1.conv2', 'stages.1.bn2', 'stages.1.shortcut.0', 'stages.1.shortcut.1'],
                 ['stages.2.conv1', 'stages.2.shortcut.0']),
    'stages.1.inner': (['stages.1.conv1', 'stages.1.bn1'], ['stages.1.conv2']),
    'stages.2': (['stages.2.conv2', 'stages.2.bn2', 'stages.2.shortcut.0', 'stages.2.shortcut.1'],
                 ['fc']),
    'stages.2.inner': (['stages.2.conv1', 'stages.2.bn1'], ['stages.2.conv2']),
}


def original_torch_model():
    model = FashionResNet()
    model.load_state_dict({t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
                           for t in onnx.load(MODEL).graph.initializer}, strict=False)
    return model


def widths_of(onnx_path):
    """Channel count of each group in a pruned model (its producers' rows)."""
    shapes = {t.name: list(t.dims) for t in onnx.load(onnx_path).graph.initializer}
    return {g: shapes[f'{producers[0]}.weight'][0] for g, (producers, _) in GROUPS.items()}


def group_l2_keep(model, group, keep):
    """Indices of the keep channels with the largest mean-over-members sum of squares."""
    mods = dict(model.named_modules())
    producers, consumers = GROUPS[group]
    scores = []
    for name in producers:
        w = mods[name].weight.detach()
        scores.append((w.reshape(w.shape[0], -1) ** 2).sum(1))
    for name in consumers:
        w = mods[name].weight.detach()
        scores.append((w.transpose(0, 1).reshape(w.shape[1], -1) ** 2).sum(1))
    score = torch.stack(scores).mean(0)
    return torch.sort(torch.argsort(score, descending=True)[:keep]).values


def shrink(model, widths):
    """model with each group cut to widths[group] channels, in place."""
    mods = dict(model.named_modules())
    out_idx, in_idx = {}, {}
    for g, (producers, consumers) in GROUPS.items():
        idx = group_l2_keep(model, g, widths[g])
        for name in producers:
            out_idx[name] = idx
        for name in consumers:
            in_idx[name] = idx
    for name, m in mods.items():
        o, i = out_idx.get(name), in_idx.get(name)
        if isinstance(m, nn.Conv2d) and (o is not None or i is not None):
            w = m.weight.detach()
            w = w[o] if o is not None else w
            w = w[:, i] if i is not None else w
            m.weight = nn.Parameter(w.clone())
            m.out_channels, m.in_channels = w.shape[0], w.shape[1]
        elif isinstance(m, nn.BatchNorm2d) and o is not None:
            m.weight = nn.Parameter(m.weight.detach()[o].clone())
            m.bias = nn.Parameter(m.bias.detach()[o].clone())
            m.running_mean = m.running_mean[o].clone()
            m.running_var = m.running_var[o].clone()
            m.num_features = len(o)
        elif isinstance(m, nn.Linear) and i is not None:
            m.weight = nn.Parameter(m.weight.detach()[:, i].clone())
            m.in_features = len(i)
    return model


def torch_model_of(onnx_path, widths):
    """FashionResNet at widths holding the weights of an sp-pruned model (same names)."""
    model = shrink(original_torch_model(), widths)
    missing, unexpected = model.load_state_dict(
        {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
         for t in onnx.load(onnx_path).graph.initializer}, strict=False)
    assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing)
    return model


def macs(model):
    total = 0

    def hook(m, inp, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            total += out.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total += out.numel() * m.in_features
    hooks = [m.register_forward_hook(hook) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    return total


def torch_finetune(model, x, y, x_test, y_test, epochs, lr, threads):
    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM,
                          weight_decay=WEIGHT_DECAY)
    steps = epochs * ((len(x) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, steps) / steps)))
    xs, ys = torch.from_numpy(x), torch.from_numpy(y).long()
    shuffle = torch.Generator().manual_seed(SEED)
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xs), generator=shuffle)
        for i in range(0, len(xs), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            F.cross_entropy(model(xs[idx]), ys[idx]).backward()
            opt.step()
            sched.step()
    seconds = time.perf_counter() - t0
    return 100 * evaluate(model, x_test, y_test), seconds


def sp_prune(sp_opt, ratio, round_to, out):
    pipeline = ('builtin.module(sp-canonicalize,sp-dependency-groups,'
                f'sp-importance{{criterion=l2}},sp-prune{{ratio={ratio} round-to={round_to}}},'
                'sp-canonicalize{fold-bn=false})')
    subprocess.run([sp_opt, MODEL, f'--pass-pipeline={pipeline}', '-o', out], check=True)


def sp_macs(sp_opt, model):
    with tempfile.NamedTemporaryFile(suffix='.json') as f:
        subprocess.run([sp_opt, model, '--dim', 'batch=1', '-o', '/dev/null',
                        f'--pass-pipeline=builtin.module(sp-model-stats{{json={f.name} table=none}})'],
                       check=True)
        return json.load(open(f.name))['total']['macs']


def sp_finetune(sp_train, model, out, args, extra=()):
    cmd = [sp_train, model, '--data', 'fashion-mnist', '--mean', str(MEAN), '--std', str(STD),
           '--epochs', str(args.epochs), '--batch', str(BATCH), '--lr', str(args.lr),
           '--momentum', str(MOMENTUM), '--weight-decay', str(WEIGHT_DECAY),
           '--schedule', 'cosine', '--seed', str(SEED), '--threads', str(args.threads),
           '-o', out, *extra]
    if args.limit:
        cmd += ['--limit', str(args.limit)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    epochs = re.findall(r'test top-1 ([0-9.]+)%, ([0-9.]+) s', p.stderr)
    if p.returncode or not epochs:
        sys.exit(f'recovery: sp-train failed:\n{p.stderr}')
    # the training loops' seconds (sp-train's per-epoch figure), as timed for torch
    return float(epochs[-1][0]), sum(float(s) for _, s in epochs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--ratios', default='0.3,0.5')
    ap.add_argument('--round-to', type=int, default=2)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--lr', type=float, default=0.05)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--kd', action='store_true', help='also sp-train --teacher ORIGINAL')
    ap.add_argument('--limit', type=int, default=0, help='train on the first N images only')
    ap.add_argument('--torch-on-sp', action='store_true',
                    help="also fine-tune sp's pruned model (sp's channels) with PyTorch: "
                         "separates the trainer from the channel choice")
    args = ap.parse_args()
    tools = os.path.join(args.build, 'tools')
    sp_opt, sp_train = os.path.join(tools, 'sp-opt'), os.path.join(tools, 'sp-train')

    x, y = load_split('train', args.limit or None)
    x_test, y_test = load_split('t10k')
    original = original_torch_model()
    base_top1 = 100 * evaluate(original, x_test, y_test)
    base_macs = macs(original)
    print(f'original: {base_macs / 1e6:.2f} M MACs, top-1 {base_top1:.2f}% '
          f'(recipe: {args.epochs} epochs, lr {args.lr} cosine, batch {BATCH}, '
          f'{args.threads} threads{", " + str(args.limit) + " images" if args.limit else ""})')
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in args.ratios.split(','):
            pruned = os.path.join(tmp, f'pruned_{r}.onnx')
            sp_prune(sp_opt, r, args.round_to, pruned)
            widths = widths_of(pruned)
            torch_model = shrink(original_torch_model(), widths)
            m_sp, m_torch = sp_macs(sp_opt, pruned), macs(torch_model)
            if m_sp != m_torch:
                sys.exit(f'recovery: MACs differ at ratio {r}: sp {m_sp}, torch {m_torch}')
            sp_top1, sp_s = sp_finetune(sp_train, pruned, os.path.join(tmp, 'tuned.onnx'), args)
            kd = (sp_finetune(sp_train, pruned, os.path.join(tmp, 'kd.onnx'), args,
                              ['--teacher', MODEL]) if args.kd else None)
            t_top1, t_s = torch_finetune(torch_model, x, y, x_test, y_test, args.epochs,
                                         args.lr, args.threads)
            on_sp = (torch_finetune(torch_model_of(pruned, widths), x, y, x_test, y_test,
                                    args.epochs, args.lr, args.threads)[0]
                     if args.torch_on_sp else None)
            rows.append((r, m_sp, sp_top1, sp_s, kd, t_top1, t_s, on_sp))
            print(f'ratio {r}: widths {widths}', flush=True)
    print(f'\n{"ratio":>5} {"MACs":>8} {"fewer":>6} {"sp top-1":>9} {"drop":>6} '
          f'{"torch top-1":>11} {"drop":>6} {"sp s":>6} {"torch s":>7}'
          + (f' {"sp+KD":>7} {"drop":>6}' if args.kd else '')
          + (f' {"torch on sp":>11}' if args.torch_on_sp else ''))
    for r, m, sp_top1, sp_s, kd, t_top1, t_s, on_sp in rows:
        line = (f'{r:>5} {m / 1e6:>7.2f}M {base_macs / m:>5.2f}x {sp_top1:>8.2f}% '
                f'{sp_top1 - base_top1:>+6.2f} {t_top1:>10.2f}% {t_top1 - base_top1:>+6.2f} '
                f'{sp_s:>6.0f} {t_s:>7.0f}')
        if kd:
            line += f' {kd[0]:>6.2f}% {kd[0] - base_top1:>+6.2f}'
        if on_sp is not None:
            line += f' {on_sp:>10.2f}%'
        print(line)


if __name__ == '__main__':
    main()
