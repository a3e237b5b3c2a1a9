#!/usr/bin/python3
"""sp-train --profile on the shipped ResNet (64 random images, batch 32): the
report names forward and backward entries apart, and the gradients planned by
liveness take well under the training arena (which keeps every forward value;
one gradient buffer per value would take as much). --profile=bogus is a usage
error.

  profile_test.py --sp-train build/tools/sp-train
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, '..', '..', 'examples', 'fashion_resnet.onnx')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    args = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        x, y = os.path.join(tmp, 'x.npy'), os.path.join(tmp, 'y.npy')
        np.save(x, rng.standard_normal((64, 1, 28, 28), dtype=np.float32))
        np.save(y, rng.integers(0, 10, 64, dtype=np.int64))
        out = os.path.join(tmp, 't.onnx')
        p = subprocess.run([args.sp_train, MODEL, '--train-npy', x, y, '--batch', '32',
                            '--threads', '1', '--profile', '-q', '-o', out],
                           capture_output=True, text=True)
        if p.returncode:
            sys.exit(f'FAIL: sp-train --profile exited {p.returncode}:\n{p.stderr}')
        text = p.stderr
        steps = re.search(r'^profile: (\d+) steps', text, re.M)
        arena = re.search(r'^arena ([0-9.]+) MB', text, re.M)
        grads = re.search(r'^gradients ([0-9.]+) MB; forward ([0-9.]+) ms, backward ([0-9.]+) ms',
                          text, re.M)
        if not steps or steps.group(1) != '2':
            failures.append('no "profile: 2 steps" line')
        if not arena or not grads:
            failures.append('no arena or gradients line')
        else:
            arena_mb, grads_mb = float(arena.group(1)), float(grads.group(1))
            print(f'training arena {arena_mb} MB, gradients {grads_mb} MB')
            if not 0 < grads_mb < 0.5 * arena_mb:
                failures.append(f'gradients {grads_mb} MB not under half the arena {arena_mb} MB')
        for entry in ('Conv 3x3 backward', 'Conv 3x3 ', 'BatchNormalization backward',
                      '(gradient zeroing) backward', 'Gemm backward'):
            if not re.search(r'^' + re.escape(entry) + r'.* ms +\d+ calls', text, re.M):
                failures.append(f'no "{entry}" entry')
        if re.search(r'^Conv 3x3 +[0-9.]+ ms +(\d+) calls', text, re.M).group(1) != '14':
            failures.append('Conv 3x3 forward is not 7 nodes x 2 steps')
        p = subprocess.run([args.sp_train, MODEL, '--train-npy', x, y, '--profile=layers',
                            '-o', out], capture_output=True, text=True)
        if p.returncode != 2 or "--profile takes 'ops' or 'nodes'" not in p.stderr:
            failures.append(f'--profile=layers: exit {p.returncode}, {p.stderr.strip()}')
    if failures:
        print('\n'.join('FAIL: ' + f for f in failures))
        print(text)
        return 1
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
