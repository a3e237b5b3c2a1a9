#!/usr/bin/python3
"""Which ops of each model can sp-train not differentiate?

Static: the op types of each model whose row in lib/runtime/ops.c has no
backward entry (many of them only compute shapes, which need none).
Dynamic (--grad-probe): one training-mode forward and backward of the model
at batch 1 through grad_probe (output gradient all ones), with every float
initializer of more than one element a parameter;
prints the runtime's error (the first node on the gradient path without a
backward kernel) or the time it took.

  backward_coverage.py ZOO_DIR [--grad-probe BUILD/test/grad_probe] [--only a,b]
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPS_C = os.path.join(HERE, '..', '..', 'lib', 'runtime', 'ops.c')


def ops_without_backward():
    rows = re.findall(r'\{"(\w+)", [^,]+, [^,]+, [^,]+, (\w+)\}', open(OPS_C).read())
    return {name for name, backward in rows if backward == 'NULL'}


def run_probe(probe, path, model, work):
    g = model.graph
    inits = {t.name for t in g.initializer}
    params = [t.name for t in g.initializer
              if t.data_type == onnx.TensorProto.FLOAT and np.prod(t.dims) > 1]
    os.makedirs(os.path.join(work, 'grad'), exist_ok=True)
    rng = np.random.default_rng(0)
    inputs = [i for i in g.input if i.name not in inits]
    for k, i in enumerate(inputs):
        dims = [d.dim_value if d.dim_value > 0 else 1 for d in i.type.tensor_type.shape.dim]
        if i.type.tensor_type.elem_type == onnx.TensorProto.INT64:
            x = rng.integers(0, 10, dims).astype(np.int64)
        else:
            x = rng.standard_normal(dims).astype(np.float32)
        with open(os.path.join(work, f'input_{k}.pb'), 'wb') as f:
            f.write(numpy_helper.from_array(x).SerializeToString())
    # no dout_0.pb: grad_probe takes ones as the output's gradient
    with open(os.path.join(work, 'params.txt'), 'w') as f:
        f.write(''.join(p + '\n' for p in params))
    t0 = time.monotonic()
    p = subprocess.run([probe, path, work], capture_output=True, text=True)
    took = time.monotonic() - t0
    if p.returncode:
        return f'FAILS: {p.stderr.strip()}'
    return f'backward ok ({len(params)} parameters, {took:.1f} s)'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('zoo')
    ap.add_argument('--grad-probe')
    ap.add_argument('--only')
    args = ap.parse_args()
    missing = ops_without_backward()
    only = set(args.only.split(',')) if args.only else None
    failed = 0
    for path in sorted(glob.glob(os.path.join(args.zoo, '*.onnx'))):
        name = os.path.basename(path)[:-5]
        if only and name not in only:
            continue
        model = onnx.load(path)
        types = sorted({n.op_type for n in model.graph.node} & missing)
        line = f'{name}: ops without backward: {", ".join(types) or "none"}'
        if args.grad_probe:
            with tempfile.TemporaryDirectory() as work:
                result = run_probe(args.grad_probe, path, model, work)
            failed += result.startswith('FAILS')
            line += f'; {result}'
        print(line, flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
