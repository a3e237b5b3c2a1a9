#!/usr/bin/python3
"""Gate numerics: builds a small model (Conv+BN, Conv with bias, grouped Conv,
Conv without bias, a residual Add, Gemm transB 0/1 with C and beta != 1), then
  sp-insert-gates            -> gated.onnx   (gates of ones: outputs unchanged)
  random gates (some zero)   -> trained.onnx (what sp-train --gate-l1 leaves)
  sp-canonicalize            -> folded.onnx  (no Mul, no sp.gate.* initializer)
and compares them in ONNX Runtime on random inputs (batch 3). Prints
`gates N`, `Mul after fold M`, and `max diff D ok` lines (D <= 1e-5 relative).

  gate_numerics.py --sp-opt BIN --work DIR
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import ortlib  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import helper, numpy_helper, TensorProto  # noqa: E402


def build(rng):
    inits, nodes = [], []

    def init(name, arr):
        inits.append(numpy_helper.from_array(arr.astype(np.float32), name))
        return name

    def bn(x, c, out):
        p = out + '_bn'
        init(p + '.scale', rng.uniform(0.5, 2.0, c))
        init(p + '.bias', rng.normal(0, 1, c))
        init(p + '.mean', rng.normal(0, 1, c))
        init(p + '.var', rng.uniform(0.1, 3.0, c))
        nodes.append(helper.make_node('BatchNormalization', [x, p + '.scale', p + '.bias',
                                      p + '.mean', p + '.var'], [out], name=p))

    init('w1', rng.normal(0, 1, (8, 3, 3, 3)))
    nodes.append(helper.make_node('Conv', ['x', 'w1'], ['c1'], pads=[1, 1, 1, 1], name='conv1'))
    bn('c1', 8, 'b1')
    nodes.append(helper.make_node('Relu', ['b1'], ['r1']))
    init('w2', rng.normal(0, 1, (8, 2, 3, 3)))
    init('bias2', rng.normal(0, 1, 8))
    nodes.append(helper.make_node('Conv', ['r1', 'w2', 'bias2'], ['c2'], pads=[1, 1, 1, 1],
                                  group=4, name='conv2'))
    nodes.append(helper.make_node('Relu', ['c2'], ['r2']))
    init('w3', rng.normal(0, 1, (8, 8, 1, 1)))
    nodes.append(helper.make_node('Conv', ['r2', 'w3'], ['c3'], name='conv3'))
    init('w3b', rng.normal(0, 1, (8, 8, 1, 1)))
    init('bias3b', rng.normal(0, 1, 8))
    nodes.append(helper.make_node('Conv', ['r2', 'w3b', 'bias3b'], ['c3b'], name='conv3b'))
    nodes.append(helper.make_node('Add', ['c3', 'c3b'], ['s3']))
    nodes.append(helper.make_node('GlobalAveragePool', ['s3'], ['g']))
    nodes.append(helper.make_node('Flatten', ['g'], ['f'], axis=1))
    init('gw1', rng.normal(0, 1, (6, 8)))
    init('gc1', rng.normal(0, 1, 6))
    nodes.append(helper.make_node('Gemm', ['f', 'gw1', 'gc1'], ['m1'], transB=1, beta=0.5,
                                  name='gemm1'))
    nodes.append(helper.make_node('Relu', ['m1'], ['q1']))
    init('gw2', rng.normal(0, 1, (6, 7)))
    init('gc2', rng.normal(0, 1, (1, 7)))
    nodes.append(helper.make_node('Gemm', ['q1', 'gw2', 'gc2'], ['m2'], alpha=2.0, name='gemm2'))
    nodes.append(helper.make_node('Relu', ['m2'], ['q2']))
    init('gw3', rng.normal(0, 1, (7, 5)))
    nodes.append(helper.make_node('Gemm', ['q2', 'gw3'], ['y'], name='gemm3'))
    graph = helper.make_graph(
        nodes, 'gates',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 3, 6, 6])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 14)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--work', required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(0)
    p = lambda n: os.path.join(args.work, n)  # noqa: E731
    onnx.save(build(rng), p('src.onnx'))
    subprocess.run([args.sp_opt, p('src.onnx'), '--pass-pipeline=builtin.module(sp-insert-gates)',
                    '-o', p('gated.onnx')], check=True)
    gated = onnx.load(p('gated.onnx'))
    gates = [t for t in gated.graph.initializer if t.name.startswith('sp.gate.')]
    muls = lambda m: sum(n.op_type == 'Mul' for n in m.graph.node)  # noqa: E731
    print(f'gates {len(gates)} Mul {muls(gated)}:', ' '.join(sorted(t.name for t in gates)))
    # What training leaves: gates of any sign, some exactly zero.
    for t in gates:
        g = numpy_helper.to_array(t)
        v = rng.uniform(-1.5, 1.5, g.shape).astype(np.float32)
        v.flat[0] = 0
        t.CopyFrom(numpy_helper.from_array(v, t.name))
    onnx.save(gated, p('trained.onnx'))
    subprocess.run([args.sp_opt, p('trained.onnx'),
                    '--pass-pipeline=builtin.module(sp-canonicalize)', '-o', p('folded.onnx')],
                   check=True)
    subprocess.run([args.sp_opt, p('trained.onnx'),
                    '--pass-pipeline=builtin.module(sp-canonicalize{fold-bn=true})', '-o',
                    p('folded_bn.onnx')], check=True)
    folded, folded_bn = onnx.load(p('folded.onnx')), onnx.load(p('folded_bn.onnx'))
    onnx.checker.check_model(folded, full_check=True)
    left = [t.name for t in folded.graph.initializer if t.name.startswith('sp.gate.')]
    print(f'Mul after fold {muls(folded)}, gates left {len(left)}, nodes '
          f'{len(onnx.load(p("src.onnx")).graph.node)} -> {len(folded.graph.node)} '
          f'(fold-bn: {len(folded_bn.graph.node)})')
    x = rng.normal(0, 1, (3, 3, 6, 6)).astype(np.float32)
    worst = 0.0
    with ortlib.OrtServer() as ort:
        outs = {}
        for name in ('src', 'gated', 'trained', 'folded', 'folded_bn'):
            r, out = ort.run(p(name + '.onnx'), inputs={'x': x})
            if not r['ok']:
                print('ORT failed on', name, r.get('error'))
                return 1
            outs[name] = out
    for a, b in (('src', 'gated'), ('trained', 'folded'), ('trained', 'folded_bn')):
        d = ortlib.scaled_max_diff(outs[a], outs[b])
        worst = max(worst, d)
        print(f'{a} vs {b}: max diff {"%.1e" % d if d > 0 else "0"} '
              f'{"ok" if d <= 1e-5 else "TOO LARGE"}')
    # The random gates change the model: the comparison can see a gate.
    d = ortlib.scaled_max_diff(outs['gated'], outs['trained'])
    print(f'gated vs trained differ: {"yes" if d > 1e-2 else "NO"}')
    return 0 if worst <= 1e-5 and d > 1e-2 else 1


if __name__ == '__main__':
    sys.exit(main())
