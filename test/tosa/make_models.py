#!/usr/bin/python3
"""Small ONNX models that exercise the nn <-> TOSA conversions the zoo's CNNs do not:
asymmetric conv pads, unfolded BatchNormalization, padded AveragePool, LeakyRelu,
HardSigmoid, Softmax, Gemm with transB=0, LayerNormalization, Gelu, MatMul, Transpose,
Slice, Concat, ReduceMean, Div, Sqrt, Pad. Seeded random weights.

  /usr/bin/python3 test/tosa/make_models.py OUTDIR   # writes ops_cnn.onnx, ops_seq.onnx
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def init(name, *shape, scale=0.5, positive=False):
    a = rng.standard_normal(shape).astype(np.float32) * scale
    return numpy_helper.from_array(np.abs(a) + 0.1 if positive else a, name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def cnn():
    n = helper.make_node
    nodes = [
        n('Conv', ['x', 'w1', 'b1'], ['c1'], name='conv_asym', pads=[1, 0, 2, 1]),
        n('BatchNormalization', ['c1', 'g', 'beta', 'mu', 'var'], ['bn'], name='bn', epsilon=1e-3),
        n('LeakyRelu', ['bn'], ['lr'], name='leaky', alpha=0.1),
        n('AveragePool', ['lr'], ['ap'], name='avgpool', kernel_shape=[2, 2], strides=[2, 2],
          pads=[1, 1, 0, 0]),
        n('MaxPool', ['ap'], ['mp'], name='maxpool', kernel_shape=[2, 2], strides=[1, 1]),
        n('HardSigmoid', ['mp'], ['hs'], name='hsig'),
        n('Mul', ['mp', 'hs'], ['gated'], name='gate'),
        n('Pad', ['gated', 'pads'], ['padded'], name='pad', mode='constant'),
        n('Conv', ['padded', 'wd'], ['dw'], name='depthwise', group=4),
        n('Sigmoid', ['dw'], ['sg'], name='sig'),
        n('Tanh', ['sg'], ['th'], name='tanh'),
        n('GlobalAveragePool', ['th'], ['gap'], name='gap'),
        n('Flatten', ['gap'], ['flat'], name='flatten'),
        n('Gemm', ['flat', 'wg', 'bg'], ['logits'], name='fc'),
        n('Softmax', ['logits'], ['y'], name='softmax', axis=-1),
    ]
    inits = [init('w1', 4, 3, 3, 2), init('b1', 4), init('g', 4), init('beta', 4),
             init('mu', 4), init('var', 4, positive=True), ints('pads', [0, 0, 1, 1, 0, 0, 1, 1]),
             init('wd', 4, 1, 3, 3), init('wg', 4, 5), init('bg', 5)]
    g = helper.make_graph(nodes, 'ops_cnn',
                          [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 9, 9])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 5])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)])


def seq():
    n = helper.make_node
    nodes = [
        n('LayerNormalization', ['x', 'ln_s', 'ln_b'], ['ln'], name='ln', axis=-1, epsilon=1e-5),
        n('MatMul', ['ln', 'wm'], ['mm'], name='matmul'),
        n('Div', ['mm', 'two'], ['half'], name='div'),
        n('Mul', ['half', 'rsqrt2'], ['scaled'], name='gelu_scale'),
        n('Erf', ['scaled'], ['erf'], name='erf'),
        n('Add', ['erf', 'one'], ['erf1'], name='erf_plus_1'),
        n('Mul', ['mm', 'erf1'], ['gelu2'], name='gelu_mul'),
        n('Transpose', ['gelu2'], ['t'], name='transpose', perm=[0, 2, 1]),
        n('Slice', ['t', 'starts', 'ends', 'axes'], ['sl'], name='slice'),
        n('Concat', ['sl', 'sl'], ['cat'], name='concat', axis=1),
        n('ReduceMean', ['cat'], ['rm'], name='reduce_mean', axes=[2], keepdims=0),
        n('Abs', ['rm'], ['ab'], name='abs'),
        n('Sqrt', ['ab'], ['y'], name='sqrt'),
    ]
    inits = [init('ln_s', 8), init('ln_b', 8), init('wm', 8, 8),
             numpy_helper.from_array(np.array(2.0, np.float32), 'two'),
             numpy_helper.from_array(np.array(0.70710678, np.float32), 'rsqrt2'),
             numpy_helper.from_array(np.array(1.0, np.float32), 'one'),
             ints('starts', [1]), ints('ends', [-2]), ints('axes', [1])]
    g = helper.make_graph(nodes, 'ops_seq',
                          [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 6, 8])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 10])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)])


MODELS = {'ops_cnn': cnn, 'ops_seq': seq}


def write(name, path):
    model = MODELS[name]()
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in MODELS:
        write(name, os.path.join(out, f'{name}.onnx'))


if __name__ == '__main__':
    main()
