#!/usr/bin/python3
"""Learned gates (sp-insert-gates) trained by sp-train --gate-l1 on the shipped ResNet:

- the gated model (gates of ones) has the loss and the gradients of the
  original on the same batch;
- each gate g after a BatchNormalization (y = g * (gamma * xhat + beta)) gets
  dL/dg = gamma * dL/dgamma + beta * dL/dbeta at g = 1 (the Mul's backward);
- --gate-l1 L adds L * sum |g| to the loss and L * sign(g) to the gates'
  gradients only;
- a short training with --gate-l1 leaves a smaller sum |g| than without;
  sp-importance{criterion=gate} + sp-prune + sp-canonicalize then give a model
  with no Mul and no gate;
- --gate-l1 on a model without gates: one error line, no output.

  gate_test.py --sp-opt BUILD/tools/sp-opt --sp-train BUILD/tools/sp-train
"""
import argparse
import os
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.normpath(os.path.join(HERE, '..', '..', 'examples', 'fashion_resnet.onnx'))
DATA = ['--data', 'fashion-mnist', '--mean', '0.2860', '--std', '0.3530', '--threads', '2', '-q']


def dump(sp_train, model, outdir, *extra):
    os.mkdir(outdir)
    out = subprocess.run([sp_train, model, *DATA, '--batch', '16', '--dump-gradients', outdir,
                          *extra], check=True, capture_output=True, text=True).stdout
    loss = float(out.split()[1])
    grads = {}
    for f in os.listdir(outdir):
        t = onnx.TensorProto()
        with open(os.path.join(outdir, f), 'rb') as fh:
            t.ParseFromString(fh.read())
        grads[f[:-3]] = numpy_helper.to_array(t).astype(np.float64)
    return loss, grads


def gates_of(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer
            if t.name.startswith('sp.gate.')}


def rel(a, b):
    return float(np.abs(a - b).max()) / max(float(np.abs(b).max()), 1e-12)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--sp-train', required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        subprocess.run([a.sp_opt, MODEL, '--pass-pipeline', 'builtin.module(sp-insert-gates)',
                        '-o', p('gated.onnx')], check=True)
        gated = onnx.load(p('gated.onnx'))
        gates = gates_of(p('gated.onnx'))
        assert gates, 'no gate inserted'
        producer = {n.input[1]: n for n in gated.graph.node if n.op_type == 'Mul'}
        by_output = {o: n for n in gated.graph.node for o in n.output}
        print(f'{len(gates)} gates, {sum(g.size for g in gates.values())} channels')

        base_loss, base = dump(a.sp_train, MODEL, p('base'))
        loss, grads = dump(a.sp_train, p('gated.onnx'), p('gated'))
        assert abs(loss - base_loss) <= 1e-5 * abs(base_loss), (loss, base_loss)
        worst = max(rel(grads[n], g) for n, g in base.items())
        assert worst <= 1e-4, f'gated model gradients differ from the original by {worst:.1e}'
        print(f'gates of ones: loss {loss:.6f} = {base_loss:.6f}, {len(base)} gradients '
              f'within {worst:.1e}')

        # The Mul's backward: dL/dg = gamma dL/dgamma + beta dL/dbeta after a BN.
        w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in gated.graph.initializer}
        checked = 0
        for name in gates:
            bn = by_output.get(producer[name].input[0])
            if bn is None or bn.op_type != 'BatchNormalization':
                continue
            gamma, beta = bn.input[1], bn.input[2]
            expect = w[gamma] * grads[gamma] + w[beta] * grads[beta]
            d = rel(grads[name].reshape(-1), expect)
            assert d <= 1e-3, f'{name}: dL/dg off by {d:.1e}'
            checked += 1
        assert checked, 'no gate after a BatchNormalization'
        print(f'{checked} gates after a BN: dL/dg = gamma dL/dgamma + beta dL/dbeta')

        lam = 0.01
        loss_l1, grads_l1 = dump(a.sp_train, p('gated.onnx'), p('l1'), '--gate-l1', str(lam))
        value = lam * sum(float(np.abs(g).sum()) for g in gates.values())
        assert abs(loss_l1 - loss - value) <= 1e-4 * value, (loss_l1 - loss, value)
        for n, g in grads_l1.items():
            expect = lam * np.sign(w[n]) if n in gates else 0
            d = float(np.abs(g - grads[n] - expect).max())
            assert d <= 1e-5, f'{n}: --gate-l1 gradient off by {d:.1e}'
        print(f'--gate-l1 {lam}: loss + {loss_l1 - loss:.6f} (L sum |g| = {value:.6f}), '
              f'gradient + L sign(g) on the gates only')

        # Training: the L1 term drives the gates toward zero.
        sums = {}
        for lam in ('0', '0.02'):
            out = p(f'trained_{lam}.onnx')
            subprocess.run([a.sp_train, p('gated.onnx'), *DATA, '--limit', '2048', '--batch',
                            '64', '--lr', '0.05', '--gate-l1', lam, '-o', out], check=True)
            g = gates_of(out)
            sums[lam] = sum(float(np.abs(v).sum()) for v in g.values())
            small = sum(int((np.abs(v) < 0.1).sum()) for v in g.values())
            print(f'--gate-l1 {lam}: sum |g| {sums[lam]:.2f}, {small} gates below 0.1')
        assert sums['0.02'] < 0.8 * sums['0'], sums

        # The trained gates rank the units; the pruned, folded model has no gate.
        subprocess.run([a.sp_opt, p('trained_0.02.onnx'), '--pass-pipeline',
                        'builtin.module(sp-importance{criterion=gate},sp-prune{ratio=0.5},'
                        'sp-canonicalize)', '-o', p('pruned.onnx')], check=True)
        pruned = onnx.load(p('pruned.onnx'))
        assert not any(n.op_type == 'Mul' for n in pruned.graph.node)
        assert not any(t.name.startswith('sp.gate.') for t in pruned.graph.initializer)
        print(f'pruned at 0.5 and folded: {len(pruned.graph.node)} nodes, no Mul, no gate')

        r = subprocess.run([a.sp_train, MODEL, *DATA, '--limit', '64', '--gate-l1', '0.1',
                            '-o', p('bad.onnx')], capture_output=True, text=True)
        lines = r.stderr.strip().splitlines()
        assert r.returncode != 0 and len(lines) == 1 and 'no trained gate' in lines[0] and \
            not os.path.exists(p('bad.onnx')), r.stderr
        print('--gate-l1 without gates: one error line, no output')
    print('ok')


if __name__ == '__main__':
    main()
