#!/usr/bin/python3
"""Pruning a small causal transformer in heads, FFN width and depth, fine-tuned
with distillation by sp-train --text: bits per character before and after
(docs/benchmarks.md, "A character transformer").

The model is test/zoo/export_zoo.py's TinyGPT as a character model (vocabulary
= the 256 byte values, T = 64, d = 128, 4 heads, 2 layers = 4 residual
blocks), trained in PyTorch on the English text Debian always installs
(/usr/share/common-licenses/*, each file once, in name order; the last 10% of
the bytes are the validation text) and exported to ONNX (opset 17, int64
tokens (batch, 64)). The trained model is cached in --work (default
build/bench/transformer_bpc). Each variant is cut by sp-opt's sp-prune, scored
on the validation text (sp-train --eval-only), fine-tuned by sp-train --text
with the unpruned model as teacher for the same short budget, and scored again.

  /usr/bin/python3 bench/transformer_bpc.py [--build build] [--work DIR]
      [--pretrain-steps 400] [--tune-limit N] [--threads 1]
"""
import argparse
import glob
import math
import os
import re
import shutil
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
T, V, D, HEADS, LAYERS = 64, 256, 128, 4, 2


def corpus():
    """The common-licenses files (each target once: several names are links
    to one file), concatenated in name order."""
    seen, parts = set(), []
    for p in sorted(glob.glob('/usr/share/common-licenses/*')):
        real = os.path.realpath(p)
        if real in seen or not os.path.isfile(real):
            continue
        seen.add(real)
        with open(real, 'rb') as f:
            parts.append(f.read())
    data = b''.join(parts)
    cut = len(data) * 9 // 10
    return data[:cut], data[cut:]


def pretrain(work, steps, threads):
    """Trains TinyGPT on the training text with AdamW and exports it; cached."""
    path = os.path.join(work, 'char_gpt.onnx')
    if os.path.exists(path):
        return path
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.join(HERE, '..', 'test', 'zoo'))
    from export_zoo import TinyGPT
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    train, val = corpus()
    data = torch.from_numpy(np.frombuffer(train, np.uint8).astype(np.int64))
    model = TinyGPT(vocab=V, block=T, d_model=D, heads=HEADS, layers=LAYERS)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps,
                                                pct_start=0.1)
    g = torch.Generator().manual_seed(0)
    t0 = time.time()
    model.train()
    for step in range(steps):
        starts = torch.randint(0, len(data) - T - 1, (32,), generator=g)
        x = torch.stack([data[s:s + T] for s in starts])
        y = torch.stack([data[s + 1:s + T + 1] for s in starts])
        loss = F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 25 == 0 or step == steps - 1:
            print(f'  pretrain step {step}: {loss.item() / math.log(2):.3f} bpc '
                  f'({time.time() - t0:.0f} s)', flush=True)
    model.eval()
    tmp = path + '.tmp'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(model, (torch.zeros(1, T, dtype=torch.int64),), tmp,
                          opset_version=17, input_names=['tokens'], output_names=['logits'],
                          dynamic_axes={'tokens': {0: 'batch'}, 'logits': {0: 'batch'}})
    os.replace(tmp, path)
    print(f'  pretrained in {time.time() - t0:.0f} s', flush=True)
    return path


def write_texts(work):
    train, val = corpus()
    paths = os.path.join(work, 'train.txt'), os.path.join(work, 'val.txt')
    for p, d in zip(paths, (train, val)):
        with open(p, 'wb') as f:
            f.write(d)
    return paths


def calibration(work, val_path, n=16):
    """input_0.pb: n windows of the training text for sp-prune's block scores."""
    from onnx import numpy_helper
    d = os.path.join(work, 'cal')
    os.makedirs(d, exist_ok=True)
    train, _ = corpus()
    b = np.frombuffer(train, np.uint8).astype(np.int64)
    starts = np.linspace(0, len(b) - T - 1, n).astype(np.int64)
    x = np.stack([b[s:s + T] for s in starts])
    with open(os.path.join(d, 'input_0.pb'), 'wb') as f:
        f.write(numpy_helper.from_array(x, 'tokens').SerializeToString())
    return d


def run(cmd):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f'{" ".join(map(str, cmd))}: {p.stderr.strip()}')
    return p


def macs(tools, model):
    out = run([os.path.join(tools, 'sp-opt'), model,
               '--pass-pipeline=builtin.module(sp-model-stats)', '-o', '/dev/null'])
    m = re.search(r'exact: \d+ parameters, (\d+) MACs', out.stdout + out.stderr)
    return float(m.group(1)) if m else float('nan')


def val_bpc(tools, model, train, val, threads):
    out = run([os.path.join(tools, 'sp-train'), model, '--text', train, '--val-text', val,
               '--eval-only', '--batch', '64', '--threads', threads]).stdout
    return float(re.search(r'([0-9.]+) bits per character', out).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--work', default=None)
    ap.add_argument('--pretrain-steps', type=int, default=400)
    ap.add_argument('--tune-limit', type=int, default=0,
                    help='training windows per variant (0: all, one epoch)')
    ap.add_argument('--tune-epochs', type=int, default=1)
    ap.add_argument('--threads', default='1')
    ap.add_argument('--only', default=None, help='comma-separated variant names')
    ap.add_argument('--pretrain-only', action='store_true')
    a = ap.parse_args()
    tools = os.path.join(a.build, 'tools')
    work = a.work or os.path.join(a.build, 'bench', 'transformer_bpc')
    os.makedirs(work, exist_ok=True)
    t_start = time.time()
    orig = pretrain(work, a.pretrain_steps, int(a.threads))
    if a.pretrain_only:
        return 0
    train, val = write_texts(work)
    cal = calibration(work, val)
    protect = 'protect=/lm_head/MatMul'  # pins the residual stream (d_model)
    variants = [
        # the fine-tune alone: the original is briefly trained, so it gains too
        ('unpruned, same fine-tune', None),
        ('heads 25%', 'ratio=0 head-ratio=0.25'),
        ('heads 50%', 'ratio=0 head-ratio=0.5'),
        ('FFN 25%', f'ratio=0.25 head-ratio=0 {protect}'),
        ('FFN 50%', f'ratio=0.5 head-ratio=0 {protect}'),
        ('layers 25% (1 of 4 blocks)', f'ratio=0 head-ratio=0 drop-layers=1 calibration={cal}'),
        ('layers 50% (2 of 4 blocks)', f'ratio=0 head-ratio=0 drop-layers=2 calibration={cal}'),
        # at the MACs of dropping 2 blocks (F of the original): width alone, one block
        # dropped plus width (target-macs after drop-layers=N is a fraction of the model
        # left: F / (the MACs left by 1 block)), and sp-prune's own choice
        ('width (heads+FFN), same MACs', lambda f, f1: f'target-macs={f:.4f} {protect}'),
        ('depth+width: 1 block + width, same MACs',
         lambda f, f1: f'target-macs={f / f1:.4f} drop-layers=1 calibration={cal} {protect}'),
        ('drop-layers=auto, same MACs',
         lambda f, f1: f'target-macs={f:.4f} drop-layers=auto calibration={cal} {protect}'),
    ]
    if a.only:
        keep = a.only.split(',')
        variants = [v for v in variants if v[0] in keep]
    base_macs = macs(tools, orig)
    base_bpc = val_bpc(tools, orig, train, val, a.threads)
    rows = [('original', base_macs, base_bpc, None, None)]
    fraction = {}  # of the original's MACs, per variant
    print(f'original: {base_macs:.4g} MACs, val {base_bpc:.4f} bpc', flush=True)
    for name, opts in variants:
        slug = re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')
        pruned = os.path.join(work, f'{slug}.onnx')
        tuned = os.path.join(work, f'{slug}_tuned.onnx')
        t0 = time.time()
        if callable(opts) and not {'layers 50% (2 of 4 blocks)',
                                   'layers 25% (1 of 4 blocks)'} <= fraction.keys():
            print(f'{name}: needs the two layers rows (--only)', flush=True)
            continue
        if callable(opts):
            opts = opts(fraction['layers 50% (2 of 4 blocks)'],
                        fraction['layers 25% (1 of 4 blocks)'])
        try:
            if opts:
                run([os.path.join(tools, 'sp-opt'), orig, '-o', pruned,
                     f'--pass-pipeline=builtin.module(sp-prune{{{opts}}})'])
            else:
                shutil.copyfile(orig, pruned)
        except RuntimeError as e:
            print(f'{name}: prune failed: {e}', flush=True)
            continue
        before = val_bpc(tools, pruned, train, val, a.threads)
        run([os.path.join(tools, 'sp-train'), pruned, '--text', train, '--val-text', val,
             '--teacher', orig, '--kd-temp', '1', '--kd-alpha', '0.5',
             '--epochs', a.tune_epochs, '--batch', '32'] +
            (['--limit', a.tune_limit] if a.tune_limit else []) + [
             '--optimizer', 'adamw', '--lr', '1e-3', '--schedule', 'cosine',
             '--threads', a.threads, '-q', '-o', tuned])
        after = val_bpc(tools, tuned, train, val, a.threads)
        m = macs(tools, pruned)
        fraction[name] = m / base_macs
        rows.append((name, m, before, after, opts))
        print(f'{name}: {m:.4g} MACs ({m / base_macs:.2f}x), val {before:.4f} -> {after:.4f} '
              f'bpc ({time.time() - t0:.0f} s)', flush=True)
    print()
    print('| variant | sp-prune options | MACs (of original) | val bpc pruned | '
          'after KD fine-tune |')
    print('|---|---|---|---|---|')
    for name, m, before, after, opts in rows:
        shown = opts.replace(cal, 'CAL').replace(protect, 'protect=P') if opts else ''
        print(f'| {name} | {"`" + shown + "`" if shown else ""} | '
              f'{m / 1e6:.2f} M ({m / base_macs:.2f}) | {before:.3f} | '
              f'{"" if after is None else f"{after:.3f}"} |')
    print(f'\nCAL = {cal} ({16} windows of the training text), P = {protect.split("=")[1]}')
    print(f'\ntotal {time.time() - t_start:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
