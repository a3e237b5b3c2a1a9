"""Shared by test/train/*_test.py: tiny Fashion-MNIST-shaped IDX data and a tiny
classifier written as ONNX, so the tests need no dataset and run in seconds."""
import gzip
import os
import struct
import subprocess

import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper


def idx_dir(directory, n=32, classes=10, seed=0):
    """train-* and t10k-* IDX pairs of n random 28x28 images in directory/data.
    Returns (dir, train images as uint8 (n,28,28), train labels)."""
    d = os.path.join(directory, 'data')
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(seed)
    first = None
    for split in ('train', 't10k'):
        img = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        lab = rng.integers(0, classes, n).astype(np.uint8)
        with gzip.open(os.path.join(d, f'{split}-images-idx3-ubyte.gz'), 'wb') as f:
            f.write(struct.pack('>IIII', 0x803, n, 28, 28) + img.tobytes())
        with gzip.open(os.path.join(d, f'{split}-labels-idx1-ubyte.gz'), 'wb') as f:
            f.write(struct.pack('>II', 0x801, n) + lab.tobytes())
        first = first or (img, lab.astype(np.int64))
    return d, first[0], first[1]


def classifier(path, hidden=16, classes=10, seed=1, reshape=False):
    """x (batch,1,28,28) -> Flatten (or Reshape by an int64 shape initializer)
    -> Gemm w1,b1 -> Relu -> Gemm w2,b2 -> y (batch, classes)."""
    rng = np.random.default_rng(seed)
    flat = (helper.make_node('Reshape', ['x', 'shape'], ['f'], name='flatten') if reshape
            else helper.make_node('Flatten', ['x'], ['f'], name='flatten'))
    inits = [numpy_helper.from_array((rng.standard_normal((hidden, 784)) * 0.05)
                                     .astype(np.float32), 'w1'),
             numpy_helper.from_array((rng.standard_normal(hidden) * 0.1).astype(np.float32),
                                     'b1'),
             numpy_helper.from_array((rng.standard_normal((classes, hidden)) * 0.3)
                                     .astype(np.float32), 'w2'),
             numpy_helper.from_array((rng.standard_normal(classes) * 0.1).astype(np.float32),
                                     'b2')]
    if reshape:
        inits.append(numpy_helper.from_array(np.array([-1, 784], np.int64), 'shape'))
    g = helper.make_graph(
        [flat,
         helper.make_node('Gemm', ['f', 'w1', 'b1'], ['h'], name='fc1', transB=1),
         helper.make_node('Relu', ['h'], ['a'], name='act'),
         helper.make_node('Gemm', ['a', 'w2', 'b2'], ['y'], name='fc2', transB=1)],
        'clf', [helper.make_tensor_value_info('x', TP.FLOAT, ['batch', 1, 28, 28])],
        [helper.make_tensor_value_info('y', TP.FLOAT, ['batch', classes])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), path)
    return path


def weights(path):
    """{initializer name: numpy array} of an ONNX file."""
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}


def run(argv, **kw):
    """Runs argv (strings), raising with its stderr when it fails."""
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)
    if p.returncode:
        raise RuntimeError(f"{' '.join(map(str, argv))}: exit {p.returncode}: {p.stderr}")
    return p
