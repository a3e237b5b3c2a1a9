#!/usr/bin/python3
"""Sparsity regularizers of sp-train against PyTorch on the shipped ResNet:

- --l1-bn L adds L * sum |gamma| over BatchNormalization scales, gradient
  L * sign(gamma);
- --group-lasso L --groups G adds L * sum over the units of every prunable
  group in G (sp-dependency-groups{export=G}) of the L2 norm of the unit's
  slices across the group's trained tensors.

Each run's loss and gradients (--dump-gradients) minus a plain run's equal the
regularizer's value and autograd gradient on the same ONNX weights (float64).
Then a short training with a large group-lasso weight shrinks whole units,
and sp-prune (l2 importance) removes those units first.

  regularize_test.py --sp-opt BUILD/tools/sp-opt --sp-train BUILD/tools/sp-train
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
import onnx
import torch
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.normpath(os.path.join(HERE, '..', '..', 'examples', 'fashion_resnet.onnx'))
LASSO = os.environ.get('LASSO', '0.05')
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


def unit_slices(groups, shapes):
    """(group id, [(tensor, axis, start, block)]) of every prunable group."""
    out = []
    for g in groups['groups']:
        if not g['prunable']:
            continue
        members = [(m['tensor'], m['axis'], m['start'], m['block']) for m in g['members']
                   if m['kind'] == 'initializer' and not m['stat'] and m['tensor'] in shapes]
        if members:
            out.append((g['id'], g['units'], members))
    return out


def unit_norms(w, units, members):
    sq = 0
    for name, axis, start, block in members:
        t = w[name].movedim(axis, 0)[start:start + units * block]
        sq = sq + (t.reshape(units, -1) ** 2).sum(1)
    return sq.sqrt()


def check(what, value, grads, base_loss, base, expect_value, expect_grads):
    got_value = value - base_loss
    assert abs(got_value - expect_value) <= 1e-4 * abs(expect_value) + 2e-5, \
        f'{what}: value {got_value} vs torch {expect_value}'
    worst = 0.0
    for name, g in expect_grads.items():
        diff = (grads[name] - base[name]).reshape(g.shape)
        scale = max(float(np.abs(g).max()), 1e-12)
        worst = max(worst, float(np.abs(diff - g).max()) / scale)
    assert worst <= 1e-3, f'{what}: gradient off by {worst:.2e} (relative to max)'
    print(f'{what}: value {got_value:.6f} (torch {expect_value:.6f}), '
          f'{len(expect_grads)} gradients within {worst:.1e} of torch')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--sp-train', required=True)
    a = ap.parse_args()
    model = onnx.load(MODEL)
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).astype(np.float64))
               for t in model.graph.initializer}
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        subprocess.run([a.sp_opt, MODEL, '--pass-pipeline',
                        f'builtin.module(sp-dependency-groups{{export={p("g.json")}}})',
                        '-o', os.devnull], check=True)
        groups = json.load(open(p('g.json')))
        base_loss, base = dump(a.sp_train, MODEL, p('base'))
        trained = set(base)

        # l1 on BatchNormalization scales
        lam = 0.01
        scales = {n.input[1] for n in model.graph.node if n.op_type == 'BatchNormalization'}
        w = {n: weights[n].clone().requires_grad_() for n in scales}
        value = lam * sum(t.abs().sum() for t in w.values())
        value.backward()
        loss, grads = dump(a.sp_train, MODEL, p('l1'), '--l1-bn', str(lam))
        check('l1-bn', loss, grads, base_loss, base, float(value),
              {n: t.grad.numpy() for n, t in w.items()})

        # group lasso over the dependency groups
        lam = 0.02
        w = {n: weights[n].clone().requires_grad_() for n in trained}
        slices = unit_slices(groups, trained)
        value = lam * sum(unit_norms(w, units, m).sum() for _, units, m in slices)
        value.backward()
        loss, grads = dump(a.sp_train, MODEL, p('gl'), '--group-lasso', str(lam),
                           '--groups', p('g.json'))
        check('group-lasso', loss, grads, base_loss, base, float(value),
              {n: t.grad.numpy() for n, t in w.items() if t.grad is not None})

        # a large weight shrinks whole units; l2 importance prunes them first
        subprocess.run([a.sp_train, MODEL, *DATA, '--limit', '4096', '--batch', '64',
                        '--lr', '0.05', '--group-lasso', LASSO, '--groups', p('g.json'),
                        '-o', p('sparse.onnx')], check=True)
        after = {t.name: torch.from_numpy(numpy_helper.to_array(t).astype(np.float64))
                 for t in onnx.load(p('sparse.onnx')).graph.initializer}
        subprocess.run([a.sp_opt, p('sparse.onnx'), '--pass-pipeline',
                        'builtin.module(sp-importance{criterion=l2},sp-prune{ratio=0.25 mode=mask})',
                        '-o', p('pruned.onnx')], check=True)
        pruned = weights_np = {t.name: numpy_helper.to_array(t)
                               for t in onnx.load(p('pruned.onnx')).graph.initializer}
        del weights_np
        shrunk = 0
        for gid, units, members in slices:
            before_n = unit_norms(weights, units, members).numpy()
            after_n = unit_norms(after, units, members).numpy()
            ratio = after_n / np.maximum(before_n, 1e-12)
            # the units the pruner zeroed are the smallest after training
            name, axis, start, block = members[0]
            zeroed = [u for u in range(units) if not np.moveaxis(
                pruned[name], axis, 0)[start + u * block:start + (u + 1) * block].any()]
            k = len(zeroed)
            lowest = set(np.argsort(after_n, kind='stable')[:2 * k])
            kept = [u for u in range(units) if u not in zeroed]
            print(f'group {gid}: {units} units, joint norm x{np.median(ratio[kept]):.3f} (median '
                  f'of kept units), x{np.median(ratio[zeroed]):.3f} (median of the {k} pruned: '
                  f'{before_n[zeroed].mean():.3f} -> {after_n[zeroed].mean():.4f})')
            # pruned units are among the smallest after training
            assert k and set(zeroed) <= lowest, (gid, zeroed, sorted(lowest))
            shrunk += int((ratio < 0.1).sum())
        assert shrunk > 0, 'no unit shrank below a tenth of its norm'
        print(f'{shrunk} units shrank below a tenth of their norm')
        # bad input: one error line, no output
        subprocess.run([a.sp_opt, os.path.join(os.path.dirname(MODEL), '..', 'test', 'lit',
                                               'passes', 'prune-mask-metadata.mlir'),
                        '--pass-pipeline',
                        f'builtin.module(sp-dependency-groups{{export={p("other.json")}}})',
                        '-o', os.devnull], check=True)
        with open(p('junk.json'), 'w') as f:
            f.write('{"groups": 3}')
        for extra, says in [(['--group-lasso', '0.1'], 'needs --groups'),
                            (['--groups', p('g.json')], 'without --group-lasso'),
                            (['--group-lasso', '0.1', '--groups', p('none.json')], 'cannot read'),
                            (['--group-lasso', '0.1', '--groups', p('junk.json')],
                             'not a dependency-groups file'),
                            (['--group-lasso', '0.1', '--groups', p('other.json')],
                             'is not an initializer of')]:
            out = p('bad_out.onnx')
            r = subprocess.run([a.sp_train, MODEL, *DATA, '--limit', '64', *extra, '-o', out],
                               capture_output=True, text=True)
            lines = r.stderr.strip().splitlines()
            assert r.returncode != 0 and len(lines) == 1 and says in lines[0] and \
                not os.path.exists(out), (extra, r.stderr)
        print('bad regularizer options: one error line each, no output')
    print('ok')


if __name__ == '__main__':
    main()
