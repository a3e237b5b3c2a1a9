#!/usr/bin/python3
"""Run two ONNX models on the first N Fashion-MNIST test images in ONNX Runtime and
compare them: top-1 accuracy of each and the max abs difference of their outputs.

  /usr/bin/python3 examples/compare_ort.py ORIGINAL.onnx OTHER.onnx [-n 1000] [--atol 1e-5]

Exit status 0 when the outputs agree within --atol and the accuracies are equal, 1 when
they do not, 2 when a model does not run. Uses test/tools/ortlib.py (ONNX Runtime from
npm onnxruntime-node, run by node) and examples/fashion_mnist.py (gzip + numpy).
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'tools'))
import ortlib  # noqa: E402
from fashion_mnist import load_split  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('models', nargs=2, metavar='MODEL.onnx')
    ap.add_argument('-n', '--images', type=int, default=1000,
                    help='number of test images (default 1000, at most 10000)')
    ap.add_argument('--atol', type=float, default=1e-5,
                    help='largest allowed abs difference of the outputs (default 1e-5)')
    args = ap.parse_args()

    x, y = load_split('t10k', args.images)
    try:
        ort = ortlib.OrtServer(threads=2)
    except ortlib.OrtUnavailable as e:
        sys.exit(f'compare_ort: {e}')
    logits = []
    with ort:
        for path in args.models:
            reply, outs = ort.run(path, inputs={'image': x})
            if not reply.get('ok'):
                print(f'compare_ort: ONNX Runtime failed on {path}: '
                      f'{reply.get("stage", "")} {reply.get("error", "")}', file=sys.stderr)
                return 2
            logits.append(outs[0])

    accs = []
    width = max(len(os.path.basename(p)) for p in args.models)
    for path, out in zip(args.models, logits):
        if out.shape != (len(x), 10):
            print(f'compare_ort: {path}: output shape {list(out.shape)}, expected '
                  f'[{len(x)}, 10]', file=sys.stderr)
            return 1
        top1 = out.argmax(1)
        accs.append(int((top1 == y).sum()))
        print(f'  {os.path.basename(path):<{width}}  top-1 {accs[-1] / len(x) * 100:6.2f}% '
              f'({accs[-1]}/{len(x)} test images)')

    diff = float(np.abs(logits[0].astype(np.float64) - logits[1]).max())
    same_top1 = int((logits[0].argmax(1) == logits[1].argmax(1)).sum())
    print(f'  max |logits difference| = {diff:.3g} (tolerance {args.atol:g}); '
          f'same top-1 class on {same_top1}/{len(x)} images')
    if not diff <= args.atol or accs[0] != accs[1]:
        print('FAIL: the models disagree', file=sys.stderr)
        return 1
    print('  OK: the models agree')
    return 0


if __name__ == '__main__':
    sys.exit(main())
