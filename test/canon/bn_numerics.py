#!/usr/bin/python3
"""BatchNormalization folding numerics: builds a small model with
Conv+BN (with and without a conv bias, grouped), Gemm+BN (transB 0 and 1, with C
and beta != 1) and a BN that must stay (its Conv has a second user), runs
  sp-opt MODEL --pass-pipeline='builtin.module(sp-canonicalize{fold-bn=true})'
and compares both models in ONNX Runtime on random inputs (batch 3).
Prints the BN count before/after and `max diff D ok` (D <= 1e-5 relative).

  bn_numerics.py --sp-opt BIN --work DIR
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

    def bn(x, c, out, eps=1e-5):
        p = out + '_bn'
        init(p + '.scale', rng.uniform(0.5, 2.0, c))
        init(p + '.bias', rng.normal(0, 1, c))
        init(p + '.mean', rng.normal(0, 1, c))
        init(p + '.var', rng.uniform(0.1, 3.0, c))
        nodes.append(helper.make_node('BatchNormalization', [x, p + '.scale', p + '.bias',
                                      p + '.mean', p + '.var'], [out], epsilon=eps, name=p))

    init('w1', rng.normal(0, 1, (8, 3, 3, 3)))
    nodes.append(helper.make_node('Conv', ['x', 'w1'], ['c1'], pads=[1, 1, 1, 1], name='conv1'))
    bn('c1', 8, 'b1')
    nodes.append(helper.make_node('Relu', ['b1'], ['r1']))
    init('w2', rng.normal(0, 1, (8, 2, 3, 3)))
    init('bias2', rng.normal(0, 1, 8))
    nodes.append(helper.make_node('Conv', ['r1', 'w2', 'bias2'], ['c2'], pads=[1, 1, 1, 1],
                                  group=4, name='conv2'))
    bn('c2', 8, 'b2', eps=1e-3)
    # A Conv with a second user keeps its BN.
    init('w3', rng.normal(0, 1, (8, 8, 1, 1)))
    nodes.append(helper.make_node('Conv', ['b2', 'w3'], ['c3'], name='conv3'))
    bn('c3', 8, 'b3')
    nodes.append(helper.make_node('Add', ['b3', 'c3'], ['s3']))
    nodes.append(helper.make_node('GlobalAveragePool', ['s3'], ['g']))
    nodes.append(helper.make_node('Flatten', ['g'], ['f'], axis=1))
    init('gw1', rng.normal(0, 1, (6, 8)))
    init('gc1', rng.normal(0, 1, 6))
    nodes.append(helper.make_node('Gemm', ['f', 'gw1', 'gc1'], ['m1'], transB=1, beta=0.5,
                                  name='gemm1'))
    bn('m1', 6, 'n1')
    init('gw2', rng.normal(0, 1, (6, 5)))
    nodes.append(helper.make_node('Gemm', ['n1', 'gw2'], ['m2'], alpha=2.0, name='gemm2'))
    bn('m2', 5, 'y')
    graph = helper.make_graph(
        nodes, 'bn_fold',
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
    src, out = os.path.join(args.work, 'bn.onnx'), os.path.join(args.work, 'bn.canon.onnx')
    onnx.save(build(rng), src)
    subprocess.run([args.sp_opt, src, '--pass-pipeline=builtin.module(sp-canonicalize{fold-bn=true})',
                    '-o', out], check=True)
    folded = onnx.load(out)
    onnx.checker.check_model(folded, full_check=True)
    count = lambda m: sum(n.op_type == 'BatchNormalization' for n in m.graph.node)  # noqa: E731
    print(f'BatchNormalization {count(onnx.load(src))} -> {count(folded)}')
    x = rng.normal(0, 1, (3, 3, 6, 6)).astype(np.float32)
    with ortlib.OrtServer() as ort:
        r1, ref = ort.run(src, inputs={'x': x})
        r2, got = ort.run(out, inputs={'x': x})
    if not r1['ok'] or not r2['ok']:
        print('ORT failed:', r1.get('error'), r2.get('error'))
        return 1
    d = ortlib.scaled_max_diff(ref, got)
    print(f'max diff {"%.1e" % d if d > 0 else "0"} {"ok" if d <= 1e-5 else "TOO LARGE"}')
    return 0 if d <= 1e-5 else 1


if __name__ == '__main__':
    sys.exit(main())
