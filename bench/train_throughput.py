#!/usr/bin/python3
"""Training throughput of sp-train against PyTorch (Debian's CPU build) at the
same thread count, on the shipped Fashion-MNIST ResNet: the same ONNX weights,
the same training images, SGD with momentum, batch --batch; samples per second
of each (sp-train's own per-epoch figure; PyTorch timed around its loop), and
their ratio (goal >= 1.0). Rounds alternate the two; each reports its best.

  bench/train_throughput.py --sp-train build/tools/sp-train [--threads 1,2]
                            [--batch 128] [--images 4096] [--rounds 3]
"""
import argparse
import os
import re
import subprocess
import sys
import time

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(ROOT, 'examples'))
from fashion_mnist import MEAN, STD, load_split  # noqa: E402
from train_fashion_cnn import FashionResNet  # noqa: E402

MODEL = os.path.join(ROOT, 'examples', 'fashion_resnet.onnx')


def torch_rate(x, y, batch, threads):
    torch.set_num_threads(threads)
    model = FashionResNet()
    model.load_state_dict({t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
                           for t in onnx.load(MODEL).graph.initializer}, strict=False)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y).long()
    t0 = time.perf_counter()
    for i in range(0, len(x), batch):
        opt.zero_grad()
        F.cross_entropy(model(xs[i:i + batch]), ys[i:i + batch]).backward()
        opt.step()
    return len(x) / (time.perf_counter() - t0)


def sp_rate(sp_train, images, batch, threads, out):
    p = subprocess.run([sp_train, MODEL, '--data', 'fashion-mnist', '--limit', str(images),
                        '--batch', str(batch), '--mean', str(MEAN), '--std', str(STD),
                        '--threads', str(threads), '--lr', '0.01', '-o', out],
                       check=True, capture_output=True, text=True)
    return float(re.search(r'\(([0-9.]+) samples/s\)', p.stderr).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--images', type=int, default=4096)
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    x, y = load_split('train')
    x, y = x[:args.images], y[:args.images]
    out = '/tmp/sp-bench-train.onnx'
    print(f"{'threads':>7} {'sp samples/s':>13} {'torch samples/s':>16} {'ratio':>6}")
    for threads in [int(t) for t in args.threads.split(',')]:
        sp, pt = 0.0, 0.0
        for _ in range(args.rounds):
            sp = max(sp, sp_rate(args.sp_train, args.images, args.batch, threads, out))
            pt = max(pt, torch_rate(x, y, args.batch, threads))
        print(f'{threads:>7} {sp:>13.0f} {pt:>16.0f} {sp / pt:>6.2f}', flush=True)
    if os.path.exists(out):
        os.remove(out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
