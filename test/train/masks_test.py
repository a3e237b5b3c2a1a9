#!/usr/bin/python3
"""Masks survive training: the shipped Fashion-MNIST ResNet pruned with
sp-prune{mode=mask} carries its masks in the "sp.masks" metadata, and
sp-train keeps every masked slice at exactly +0.0 while the rest trains.

- prune-made masks, trained with AdamW and weight decay;
- hand-written masks on live slices (fc input columns, a stem kernel row, a
  BatchNormalization running mean) whose gradients, decay and statistics
  updates are not zero, trained with SGD (Nesterov momentum, weight decay):
  these fail at once if the trainer stops masking;
- iterative prune -> train -> prune: the second mask run keeps the first's
  zeros and adds more;
- a final shrink of the masked model gives the model a direct shrink gives,
  and the trained masked model shrinks to the same shapes with the same
  outputs (<= 1e-4) and no masks left.

  masks_test.py --sp-opt BUILD/tools/sp-opt --sp-train BUILD/tools/sp-train
                --sp-run BUILD/tools/sp-run
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.normpath(os.path.join(HERE, '..', '..', 'examples', 'fashion_resnet.onnx'))
TRAIN = ['--data', 'fashion-mnist', '--mean', '0.2860', '--std', '0.3530', '--limit', '256',
         '--batch', '64', '--threads', '2', '-q']


def run(*cmd):
    subprocess.run([str(c) for c in cmd], check=True)


def masks_of(model):
    for p in model.metadata_props:
        if p.key == 'sp.masks':
            return json.loads(p.value)['masks']
    return []


def weights(model):
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def masked(model):
    """name -> boolean array of the masked elements."""
    w = weights(model)
    out = {}
    for e in masks_of(model):
        flags = out.setdefault(e['tensor'], np.zeros(w[e['tensor']].shape, bool))
        index = [slice(None)] * flags.ndim
        for start, end in e['zeroed']:
            index[e['axis']] = slice(start, end)
            flags[tuple(index)] = True
    return out


def check_trained(before_path, after_path, what):
    before, after = onnx.load(before_path), onnx.load(after_path)
    assert masks_of(after) == masks_of(before), f'{what}: the masks changed'
    wb, wa, flags = weights(before), weights(after), masked(after)
    total = sum(int(f.sum()) for f in flags.values())
    bad = {n: int(np.count_nonzero(wa[n][f] != 0) + np.count_nonzero(np.signbit(wa[n][f])))
           for n, f in flags.items()}
    assert total > 0, f'{what}: no masks'
    assert not any(bad.values()), f'{what}: masked values not +0.0: {bad}'
    changed = sum(int(np.count_nonzero(wb[n][~flags.get(n, np.zeros(w.shape, bool))] !=
                                       wa[n][~flags.get(n, np.zeros(w.shape, bool))]))
                  for n, w in wb.items())
    assert changed > 1000, f'{what}: only {changed} unmasked values changed'
    print(f'{what}: {total} masked values all +0.0, {changed} unmasked values changed')
    return flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--sp-train', required=True)
    ap.add_argument('--sp-run', required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        prune = lambda src, dst, opts: run(a.sp_opt, src, '--pass-pipeline',  # noqa: E731
                                           f'builtin.module(sp-prune{{{opts}}})', '-o', dst)
        prune(MODEL, p('m1.onnx'), 'mode=mask ratio=0.25')
        m1 = onnx.load(p('m1.onnx'))
        flags1 = masked(m1)
        w1 = weights(m1)
        assert len(flags1) >= 20, f'only {len(flags1)} masked tensors'
        assert all(not w1[n][f].any() for n, f in flags1.items()), 'prune left masked values'

        # prune-made masks under AdamW with decoupled weight decay
        run(a.sp_train, p('m1.onnx'), *TRAIN, '--optimizer', 'adamw', '--lr', '0.003',
            '--weight-decay', '0.1', '-o', p('t1.onnx'))
        check_trained(p('m1.onnx'), p('t1.onnx'), 'mask mode, adamw')

        # live slices: training would change every one of them
        hand = onnx.load(p('m1.onnx'))
        extra = [{'tensor': 'fc.weight', 'axis': 1, 'zeroed': [[0, 8], [40, 41]]},
                 {'tensor': 'stem.0.weight', 'axis': 2, 'zeroed': [[0, 1]]},
                 {'tensor': 'stages.0.bn1.running_mean', 'axis': 0, 'zeroed': [[0, 16]]}]
        for prop in hand.metadata_props:
            if prop.key == 'sp.masks':
                prop.value = json.dumps({'version': 1, 'masks': masks_of(hand) + extra})
        onnx.save(hand, p('hand.onnx'))
        run(a.sp_train, p('hand.onnx'), *TRAIN, '--lr', '0.05', '--momentum', '0.9',
            '--nesterov', '--weight-decay', '0.01', '-o', p('th.onnx'))
        flags = check_trained(p('hand.onnx'), p('th.onnx'), 'live slices, sgd')
        assert flags['fc.weight'][:, :8].all() and flags['stages.0.bn1.running_mean'].all()

        # iterative: prune the trained model again; old zeros stay, new ones join
        prune(p('t1.onnx'), p('m2.onnx'), 'mode=mask ratio=0.5')
        flags2 = masked(onnx.load(p('m2.onnx')))
        for n, f in flags1.items():
            assert (flags2[n] >= f).all(), f'{n}: the second prune lost masked slices'
        n1, n2 = sum(int(f.sum()) for f in flags1.values()), sum(int(f.sum()) for f in flags2.values())
        assert n2 > n1, (n1, n2)
        run(a.sp_train, p('m2.onnx'), *TRAIN, '--lr', '0.05', '--weight-decay', '0.01',
            '-o', p('t2.onnx'))
        check_trained(p('m2.onnx'), p('t2.onnx'), 'second mask round, sgd')

        # a final shrink = shrinking directly
        prune(MODEL, p('s0.onnx'), 'ratio=0.25')
        prune(p('m1.onnx'), p('s1.onnx'), 'ratio=0.25')
        s0, s1 = weights(onnx.load(p('s0.onnx'))), weights(onnx.load(p('s1.onnx')))
        assert s0.keys() == s1.keys()
        for n in s0:
            assert s0[n].shape == s1[n].shape and np.array_equal(s0[n], s1[n]), n
        assert not masks_of(onnx.load(p('s1.onnx'))), 'shrink left masks behind'
        # the trained masked model shrinks to the same shapes, same outputs
        prune(p('t1.onnx'), p('st.onnx'), 'ratio=0.25')
        st = weights(onnx.load(p('st.onnx')))
        assert {n: w.shape for n, w in st.items()} == {n: w.shape for n, w in s0.items()}
        outs = []
        for name in ('t1.onnx', 'st.onnx'):
            d = p(name + '.out')
            os.mkdir(d)
            run(a.sp_run, p(name), '--random', '--seed', '7', '--dim', 'batch=4',
                '--output-dir', d, '-q')
            t = onnx.TensorProto()
            with open(os.path.join(d, 'output_0.pb'), 'rb') as f:
                t.ParseFromString(f.read())
            outs.append(numpy_helper.to_array(t))
        diff = float(np.abs(outs[0] - outs[1]).max())
        assert diff <= 1e-4, f'shrunk trained model differs from the masked one by {diff}'
        print(f'shrink of the masked model = direct shrink ({len(s0)} initializers); '
              f'trained masked vs shrunk outputs differ by {diff:.2e}')
        # bad masks: one error line naming the file, no output, from both tools
        for name, value, says in [
                ('name', {'tensor': 'nope', 'axis': 0, 'zeroed': [[0, 1]]}, "'nope'"),
                ('range', {'tensor': 'fc.weight', 'axis': 1, 'zeroed': [[60, 65]]}, 'fit'),
                ('order', {'tensor': 'fc.weight', 'axis': 1, 'zeroed': [[3, 5], [1, 2]]},
                 'range 1'),
                ('json', None, 'not a JSON object')]:
            bad = onnx.load(p('m1.onnx'))
            for prop in bad.metadata_props:
                if prop.key == 'sp.masks':
                    prop.value = json.dumps({'version': 1, 'masks': [value]}) if value \
                        else '{"version": 1, "masks": ['
            path = p(f'bad_{name}.onnx')
            onnx.save(bad, path)
            for tool in ([a.sp_train, path, *TRAIN], [a.sp_opt, path]):
                out = p('bad_out.onnx')
                r = subprocess.run([*tool, '-o', out], capture_output=True, text=True)
                lines = r.stderr.strip().splitlines()
                assert r.returncode != 0 and len(lines) == 1 and path in lines[0] and \
                    says in lines[0] and not os.path.exists(out), (tool[0], name, r.stderr)
        print('bad masks: one error line naming the file, no output (sp-train, sp-opt)')
    print('ok')


if __name__ == '__main__':
    main()
