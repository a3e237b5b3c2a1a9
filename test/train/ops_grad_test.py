#!/usr/bin/python3
"""Backward kernels through whole graphs, against PyTorch autograd: small torch
modules that use the ops sp-train can differentiate (pooling, MaxPool's ties, batched and
broadcast MatMul, Transpose, Softmax, Sigmoid, Tanh, Mul/Add with broadcasting,
Reshape), exported to ONNX by torch.onnx; for each, every parameter's gradient
of the cross-entropy on 16 Fashion-MNIST images (sp-train --dump-gradients)
must equal PyTorch's in float64 within 1e-3 of the tensor's largest (or of 1e-3
for a gradient that is exactly zero).

  ops_grad_test.py --sp-train BUILD/tools/sp-train
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'examples'))
sys.path.insert(0, os.path.join(ROOT, 'test', 'tools'))
sys.path.insert(0, HERE)
from fashion_mnist import MEAN, STD, load_split  # noqa: E402
from grad_test import compare_gradients  # noqa: E402

BATCH = 16


class PoolNet(nn.Module):
    """MaxPool (overlapping windows) and AveragePool (padding counted)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.fc = nn.Linear(6 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 3, stride=2, padding=1)
        x = F.avg_pool2d(torch.sigmoid(self.conv2(x)), 2, padding=1, count_include_pad=True)
        return self.fc(torch.flatten(x, 1))


class TieNet(nn.Module):
    """MaxPool over x * p with p of three values: windows with several equal
    maxima, whose gradient goes to the first (row-major) as in PyTorch; p's
    gradient shows which one got it."""

    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(torch.randint(0, 3, (1, 2, 28, 28)).float())
        self.fc = nn.Linear(2 * 14 * 14, 10)

    def forward(self, x):
        x = F.max_pool2d(x * self.p, 3, stride=2, padding=1)
        return self.fc(torch.flatten(x, 1))


class AttentionNet(nn.Module):
    """One attention head over the image's 28 rows: MatMul against 2-D weights
    (broadcast) and batched (q k^T, p v), Transpose, Softmax, a scale Mul,
    Tanh, Reshape."""

    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = (nn.Linear(28, 16) for _ in range(3))
        self.scale = nn.Parameter(torch.full((1, 28, 16), 0.5))
        self.fc = nn.Linear(28 * 16, 10)

    def forward(self, x):
        t = x.reshape(x.shape[0], 28, 28)
        q, k, v = self.q(t), self.k(t), self.v(t)
        p = torch.softmax(q @ k.transpose(1, 2) / 4.0, dim=-1)
        h = torch.tanh(p @ v) * self.scale
        return self.fc(h.reshape(x.shape[0], -1))


def export(model, path):
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=['image'],
                      output_names=['logits'], dynamic_axes={'image': {0: 'batch'}},
                      opset_version=13, do_constant_folding=False)


def check(name, model, sp_train, x, y, work):
    path = os.path.join(work, f'{name}.onnx')
    export(model, path)
    grads = os.path.join(work, name)
    os.mkdir(grads)
    p = subprocess.run([sp_train, path, '--data', 'fashion-mnist', '--limit', str(BATCH),
                        '--batch', str(BATCH), '--mean', str(MEAN), '--std', str(STD),
                        '--threads', '1', '-q', '--dump-gradients', grads],
                       capture_output=True, text=True)
    if p.returncode:
        return [f'{name}: sp-train failed: {p.stderr.strip()}']
    m = model.double().train()
    m.zero_grad()
    F.cross_entropy(m(torch.from_numpy(x).double()), torch.from_numpy(y).long()).backward()
    # k's bias cannot change a softmax over keys: its exact gradient is 0
    failures, worst = compare_gradients(m, grads, label=f'{name}: ', floor=1e-3)
    print(f'{name}: {len(list(m.parameters()))} gradients, worst relative error {worst:.2e}')
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    args = ap.parse_args()
    torch.manual_seed(0)
    x, y = load_split('train')
    x, y = x[:BATCH], y[:BATCH]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        nets = [('pool', PoolNet()), ('ties', TieNet()), ('attention', AttentionNet())]
        for name, model in nets:
            failures += check(name, model, args.sp_train, x, y, work)
    for f in failures:
        print('FAIL', f)
    print(f'{len(nets) - len({f.split(":")[0] for f in failures})} passed, '
          f'{len({f.split(":")[0] for f in failures})} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
