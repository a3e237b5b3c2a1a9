#!/usr/bin/python3
"""Data-parallel sp-train over MPI: `mpirun -np 2 sp-train ...` and one process,
same global batch (64), seed and recipe (with an --l1-bn term, whose gradient
must count once over the ranks), 10 SGD steps on the shipped
Fashion-MNIST ResNet (640 training images):

- every float initializer of the two output models (weights, biases and the
  BatchNormalization running statistics, which come from synchronised global
  batch statistics) agrees: |two - one|_2 / |one|_2 <= 1e-5 per tensor;
- both runs print the same loss and test accuracy, each line once (rank 0);
- the weights did change (the comparison is not between two untouched
  copies);
- a usage error under mpirun is reported once, and an error on the ranks
  (an unreadable model) stops the run with a non-zero status and no output.

  mpi_test.py --sp-train BUILD/tools/sp-train --mpirun /usr/bin/mpirun
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
MODEL = os.path.join(ROOT, 'examples', 'fashion_resnet.onnx')
RECIPE = ['--data', 'fashion-mnist', '--limit', '640', '--batch', '64', '--epochs', '1',
          '--lr', '0.01', '--weight-decay', '1e-4', '--seed', '3', '--threads', '1',
          '--mean', '0.2860', '--std', '0.3530', '--l1-bn', '1e-3']


def floats(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer
            if t.data_type == onnx.TensorProto.FLOAT}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    ap.add_argument('--mpirun', required=True)
    args = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1',
               OMPI_MCA_rmaps_base_oversubscribe='1')
    mpirun = [args.mpirun, '-np', '2']
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        one, two = os.path.join(tmp, 'one.onnx'), os.path.join(tmp, 'two.onnx')
        r1 = subprocess.run([args.sp_train, MODEL, *RECIPE, '-o', one], env=env,
                            capture_output=True, text=True)
        r2 = subprocess.run([*mpirun, args.sp_train, MODEL, *RECIPE, '-o', two], env=env,
                            capture_output=True, text=True)
        for name, r in (('one process', r1), ('mpirun -np 2', r2)):
            if r.returncode:
                sys.exit(f'FAIL {name}: exit {r.returncode}\n{r.stderr}')
        lines1 = [l for l in r1.stderr.splitlines() if l.startswith('epoch')]
        lines2 = [l for l in r2.stderr.splitlines() if l.startswith('epoch')]
        strip = lambda ls: [re.sub(r', [\d.]+ s \(.*$', '', l) for l in ls]  # timings differ
        if len(lines2) != 1 or strip(lines1) != strip(lines2):
            failures.append(f'epoch lines differ:\n  one: {lines1}\n  two: {lines2}')
        a, b, orig = floats(one), floats(two), floats(MODEL)
        worst, changed = 0.0, 0
        for k, v in a.items():
            if not v.size:
                continue
            err = float(np.linalg.norm(b[k] - v) / max(np.linalg.norm(v), 1e-30))
            worst = max(worst, err)
            changed += not np.array_equal(v, orig[k])
            if err > 1e-5:
                failures.append(f'{k}: relative difference {err:.2g} > 1e-5')
        if changed < len(a) // 2:
            failures.append(f'only {changed} of {len(a)} tensors changed')
        print(f'2 ranks vs 1 process after 10 steps: largest relative difference {worst:.2g} '
              f'({len(a)} tensors, {changed} changed)')

        r = subprocess.run([*mpirun, args.sp_train, MODEL, '--batch', 'x'], env=env,
                           capture_output=True, text=True)
        errs = [l for l in r.stderr.splitlines() if l.startswith('sp-train: error')]
        if r.returncode == 0 or len(errs) != 1:
            failures.append(f'usage error under mpirun: exit {r.returncode}, lines {errs}')
        bad = os.path.join(tmp, 'bad.onnx')
        with open(bad, 'wb') as f:
            f.write(b'not a model')
        out = os.path.join(tmp, 'never.onnx')
        r = subprocess.run([*mpirun, args.sp_train, bad, *RECIPE, '-o', out], env=env,
                           capture_output=True, text=True)
        if r.returncode == 0 or os.path.exists(out) or 'bad.onnx' not in r.stderr:
            failures.append(f'unreadable model under mpirun: exit {r.returncode}, '
                            f'output written {os.path.exists(out)}\n{r.stderr}')
    for f in failures:
        print('FAIL', f)
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
