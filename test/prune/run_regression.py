#!/usr/bin/python3
"""Prune regression models: structures that must prune, not pin (issue 4).

Exports the tiny models of export_regression.py (ResNeXt block with a grouped conv,
depthwise conv with multiplier 2, GroupNorm with 4 and with 1 groups; issue 12's LSTM,
GRU, strided Slice, channel Gather, channel Pad, channel means, Einsum) into WORK, then
  1. sp-dependency-groups: every group with an origin is prunable except the
     classifier's (pinned by the graph output) — nothing is pinned by the grouped
     conv, the multiplier or the GroupNorm pattern;
  2. run_prune_zoo.py at ratio 0.5: onnx.checker, ONNX Runtime, params and MACs fall,
     mask vs shrink within 1e-4 (groups a norm reads across are skipped, as in the zoo);
  3. channel means, exactly: a group a ReduceMean averages over is pruned as `reduced`
     (mask mode averages its zeros in, so step 2 skips it). The mask model with every
     ReduceMean turned into ReduceSum * 1/C' (C' = what the shrink model averages over)
     must match the shrink model within 1e-4, with no group skipped.

  /usr/bin/python3 test/prune/run_regression.py --sp-opt BIN --work DIR
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_regression import MODELS  # noqa: E402


def check_groups(sp_opt, model):
    """None when only the graph output pins a group, else the reason."""
    p = subprocess.run([sp_opt, model, '--pass-pipeline',
                        'builtin.module(sp-dependency-groups{dump=-})', '-o', '/dev/null'],
                       capture_output=True, text=True)
    if p.returncode:
        return p.stderr.strip()[-300:]
    for line in p.stdout.splitlines():
        m = re.match(r'group \d+: .*pinned: (.*)', line)
        if m and m.group(1) != 'graph output':
            return line
    return None


MEAN_MODELS = ['channel_mean']


def mean_oracle(sp_opt, model, work):
    """None when the rescaled mask model matches the shrink model, else the reason."""
    import numpy as np  # noqa: E402
    import onnx  # noqa: E402
    from onnx import helper, numpy_helper, shape_inference  # noqa: E402
    sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
    import ortlib  # noqa: E402
    from run_prune_zoo import max_diff, random_inputs  # noqa: E402
    pipe = 'builtin.module(sp-importance{criterion=l2},sp-prune{ratio=0.5%s})'
    paths = {}
    for mode, extra in (('shrink', ''), ('mask', ' mode=mask')):
        paths[mode] = os.path.join(work, f'mean-{mode}.onnx')
        p = subprocess.run([sp_opt, model, '--pass-pipeline', pipe % extra, '-o', paths[mode]],
                           capture_output=True, text=True)
        if p.returncode:
            return f'sp-opt ({mode}): {p.stderr.strip()[-200:]}'
    shrink = shape_inference.infer_shapes(onnx.load(paths['shrink']))
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(shrink.graph.value_info) + list(shrink.graph.input)}
    kept = {}
    for node in shrink.graph.node:
        if node.op_type == 'ReduceMean':
            axes = next(a.ints for a in node.attribute if a.name == 'axes')
            kept[node.name] = int(np.prod([shapes[node.input[0]][a] for a in axes]))
    mask = onnx.load(paths['mask'])
    nodes = []
    for node in mask.graph.node:
        if node.op_type != 'ReduceMean' or node.name not in kept:
            nodes.append(node)
            continue
        axes = list(next(a.ints for a in node.attribute if a.name == 'axes'))
        keep = next((a.i for a in node.attribute if a.name == 'keepdims'), 1)
        mask.graph.initializer.extend([
            numpy_helper.from_array(np.array(axes, np.int64), node.name + '/axes'),
            numpy_helper.from_array(np.array(1.0 / kept[node.name], np.float32),
                                    node.name + '/scale')])
        nodes.append(helper.make_node('ReduceSum', [node.input[0], node.name + '/axes'],
                                      [node.name + '/sum'], keepdims=keep))
        nodes.append(helper.make_node('Mul', [node.name + '/sum', node.name + '/scale'],
                                      list(node.output), name=node.name))
    del mask.graph.node[:]
    mask.graph.node.extend(nodes)
    paths['rescaled'] = os.path.join(work, 'mean-rescaled.onnx')
    onnx.save(mask, paths['rescaled'])
    feeds = random_inputs(model)
    with ortlib.OrtServer() as ort:
        outs = {}
        for mode in ('shrink', 'rescaled'):
            reply, outs[mode] = ort.run(paths[mode], inputs=feeds)
            if not reply.get('ok'):
                return f'ORT ({mode}): {str(reply.get("error"))[:200]}'
    if not kept or all(kept[n] == 8 for n in kept):
        return 'no channel mean was pruned'
    diff = max_diff(outs['shrink'], outs['rescaled'])
    print(f'  means averaged over {sorted(set(kept.values()))} of 8 channels, '
          f'shrink vs rescaled mask {diff:.2e}')
    return None if diff <= 1e-4 else f'shrink vs rescaled mask differ by {diff:.3g}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--work', required=True)
    args = ap.parse_args()
    models = os.path.join(args.work, 'models')
    subprocess.run([sys.executable, os.path.join(HERE, 'export_regression.py'), models],
                   check=True)
    failed = 0
    for name in MODELS:
        why = check_groups(args.sp_opt, os.path.join(models, f'{name}.onnx'))
        print(f'{name:<20} groups  {"PASS" if why is None else "FAIL  " + why}')
        failed += why is not None
    for name in MEAN_MODELS:
        why = mean_oracle(args.sp_opt, os.path.join(models, f'{name}.onnx'), models)
        print(f'{name:<20} means   {"PASS" if why is None else "FAIL  " + why}')
        failed += why is not None
    rc = subprocess.run([sys.executable, os.path.join(HERE, 'run_prune_zoo.py'), '--sp-opt',
                         args.sp_opt, '--zoo', models, '--only', ','.join(MODELS), '--ratios',
                         '0.5', '--work', os.path.join(args.work, 'prune')]).returncode
    return 1 if failed or rc else 0


if __name__ == '__main__':
    sys.exit(main())
