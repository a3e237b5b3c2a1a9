#!/usr/bin/python3
"""Writes the model and seed inputs of fuzz_run_binding into DIR:
DIR/model.onnx (x float [batch,3,H,W] -> Conv 3x3 -> Relu -> Gather(axis 1, idx int64 [k]))
and DIR/seeds/*: one byte (0: bind x, 1: bind idx) + a TensorProto.

  make_run_seeds.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper


def main():
    out = sys.argv[1]
    seeds = os.path.join(out, 'seeds')
    os.makedirs(seeds, exist_ok=True)
    w = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node('Conv', ['x', 'w'], ['c'], name='conv', pads=[1, 1, 1, 1]),
         helper.make_node('Relu', ['c'], ['r'], name='relu'),
         helper.make_node('Gather', ['r', 'idx'], ['y'], name='gather', axis=1)],
        'fuzz_run', [helper.make_tensor_value_info('x', TP.FLOAT, ['batch', 3, 'h', 'w']),
                     helper.make_tensor_value_info('idx', TP.INT64, ['k'])],
        [helper.make_tensor_value_info('y', TP.FLOAT, ['batch', 'k', 'h', 'w'])],
        [numpy_helper.from_array(w, 'w')])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, 'model.onnx'))
    cases = {
        'x_small': (0, np.ones((1, 3, 4, 4), np.float32)),
        'x_batch2': (0, np.arange(2 * 3 * 5 * 3, dtype=np.float32).reshape(2, 3, 5, 3)),
        'x_wrong_type': (0, np.ones((1, 3, 4, 4), np.int64)),
        'x_rank3': (0, np.ones((3, 4, 4), np.float32)),
        'idx_pair': (1, np.array([3, 0], np.int64)),
        'idx_negative': (1, np.array([-1], np.int64)),
        'idx_out_of_range': (1, np.array([9], np.int64)),
        'idx_float': (1, np.array([1.0], np.float32)),
    }
    for name, (which, arr) in cases.items():
        tp = numpy_helper.from_array(arr, 'x' if which == 0 else 'idx')
        with open(os.path.join(seeds, name), 'wb') as f:
            f.write(bytes([which]) + tp.SerializeToString())
    # a shape whose element count overflows int64, with 16 bytes of data
    tp = numpy_helper.from_array(np.ones(4, np.float32), 'x')
    del tp.dims[:]
    tp.dims.extend([1 << 40, 1 << 40, 3, 1])
    with open(os.path.join(seeds, 'x_overflow'), 'wb') as f:
        f.write(bytes([0]) + tp.SerializeToString())


if __name__ == '__main__':
    main()
