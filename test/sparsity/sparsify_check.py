#!/usr/bin/python3
"""sp-sparsify{pattern=2:4} on the shipped ResNet (examples/fashion_resnet.onnx):

- permute-only (mask=false): ONNX Runtime gives the original's outputs (the
  channel permutation alone changes nothing) while some weight did move;
- the masked model: every run of 4 consecutive input-channel weights of every
  tensor listed in the "sp.sparsity" metadata has <= 2 non-zeros, the kept
  weights equal the (permuted) originals, and the model runs in ORT;
- the report's kept magnitude with the permutation >= without.
Prints one line per check.

  sparsify_check.py --sp-opt BIN --work DIR
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import ortlib  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

MODEL = os.path.normpath(os.path.join(HERE, '..', '..', 'examples', 'fashion_resnet.onnx'))


def weights(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--work', required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    p = lambda n: os.path.join(a.work, n)  # noqa: E731
    run = lambda opts, out: subprocess.run(  # noqa: E731
        [a.sp_opt, MODEL, f'--pass-pipeline=builtin.module(sp-sparsify{{{opts}}})', '-o', out],
        check=True, capture_output=True, text=True).stderr
    run('mask=false', p('permuted.onnx'))
    report = run('pattern=2:4 report=-', p('sparse.onnx'))
    orig, perm, sparse = weights(MODEL), weights(p('permuted.onnx')), weights(p('sparse.onnx'))
    moved = [n for n in orig if not np.array_equal(orig[n], perm[n])]
    assert moved, 'the permutation moved nothing'
    x = np.random.default_rng(0).normal(0, 1, (4, 1, 28, 28)).astype(np.float32)
    image = onnx.load(MODEL).graph.input[0].name
    with ortlib.OrtServer() as ort:
        outs = {}
        for name, path in (('original', MODEL), ('permuted', p('permuted.onnx')),
                           ('sparse', p('sparse.onnx'))):
            r, outs[name] = ort.run(path, inputs={image: x})
            assert r['ok'], (name, r.get('error'))
    d = ortlib.scaled_max_diff(outs['original'], outs['permuted'])
    print(f'permuted ({len(moved)} tensors moved) vs original: max diff {d:.1e} '
          f'{"ok" if d <= 1e-5 else "TOO LARGE"}')
    ds = ortlib.scaled_max_diff(outs['original'], outs['sparse'])
    print(f'sparse model runs in ORT (differs from the original by {ds:.2f})')
    meta = {e.key: e.value for e in onnx.load(p('sparse.onnx')).metadata_props}
    spec = json.loads(meta['sp.sparsity'])
    assert spec['pattern'] == '2:4' and spec['tensors'], spec
    worst = 0
    for t in spec['tensors']:
        w, base = sparse[t['tensor']], perm[t['tensor']]
        runs = np.moveaxis(w, t['axis'], -1)
        runs = runs.reshape(*runs.shape[:-1], -1, 4)
        worst = max(worst, int((runs != 0).sum(-1).max()))
        kept = w != 0
        assert np.array_equal(w[kept], base[kept]), t['tensor']
    print(f'{len(spec["tensors"])} tensors in sp.sparsity: at most {worst} non-zeros per run of 4')
    m = re.search(r'kept \|w\| ([0-9.]+)% without permutation, ([0-9.]+)% with', report)
    without, with_ = float(m.group(1)), float(m.group(2))
    print(f'kept magnitude {without:.2f}% without permutation, {with_:.2f}% with: '
          f'{"ok" if with_ >= without else "WORSE"}')
    ok = d <= 1e-5 and worst <= 2 and with_ >= without
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
