#!/usr/bin/python3
"""sp-train on bad input: one clear error line, a non-zero exit, no output
written (docs/guarantees.md).

  train_test.py --build BUILD_DIR [-k NAME]
"""
import gzip
import os
import struct

import numpy as np
from onnx import TensorProto as TP, helper, numpy_helper

import probe
from probe import case, expect

FM = '/usr/share/datasets/fashion-mnist'


def idx_dir(t, n=8, classes=10, bad_magic=False):
    """A tiny Fashion-MNIST-shaped IDX pair (train and t10k) in t.dir/data."""
    d = t.path('data')
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(0)
    for split in ('train', 't10k'):
        img = rng.integers(0, 255, (n, 28, 28), dtype=np.uint8)
        lab = (np.arange(n) % classes).astype(np.uint8)
        with gzip.open(os.path.join(d, f'{split}-images-idx3-ubyte.gz'), 'wb') as f:
            f.write(struct.pack('>IIII', 0x803 if not bad_magic else 0x801, n, 28, 28) +
                    img.tobytes())
        with gzip.open(os.path.join(d, f'{split}-labels-idx1-ubyte.gz'), 'wb') as f:
            f.write(struct.pack('>II', 0x801, n) + lab.tobytes())
    return d


def classifier(t, op='Relu', classes=10):
    """Flatten -> Gemm -> op -> Gemm: a tiny trainable classifier."""
    rng = np.random.default_rng(1)
    g = helper.make_graph(
        [helper.make_node('Flatten', ['x'], ['f'], name='flatten'),
         helper.make_node('Gemm', ['f', 'w1', 'b1'], ['h'], name='fc1', transB=1),
         helper.make_node(op, ['h'], ['a'], name='act'),
         helper.make_node('Gemm', ['a', 'w2', 'b2'], ['y'], name='fc2', transB=1)],
        'clf', [helper.make_tensor_value_info('x', TP.FLOAT, ['batch', 1, 28, 28])],
        [helper.make_tensor_value_info('y', TP.FLOAT, ['batch', classes])],
        [numpy_helper.from_array((rng.standard_normal((16, 784)) * 0.05).astype(np.float32), 'w1'),
         numpy_helper.from_array(np.zeros(16, np.float32), 'b1'),
         numpy_helper.from_array((rng.standard_normal((classes, 16)) * 0.1).astype(np.float32),
                                 'w2'),
         numpy_helper.from_array(np.zeros(classes, np.float32), 'b2')])
    return t.model(g)


@case
def trains_a_small_classifier(t):
    out = t.path('out.onnx')
    t.run('sp-train', classifier(t), '--data', f'fashion-mnist:{idx_dir(t)}', '--batch', '4',
          '--epochs', '2', '-o', out, '-q').ok()
    expect(os.path.getsize(out) > 0, 'no model written')


@case
def model_with_external_data_trains(t):
    import onnx
    m = onnx.load(classifier(t))
    # a constant that is not trained (a scalar Mul), stored externally too
    m.graph.initializer.append(numpy_helper.from_array(np.array(1.0, np.float32), 's'))
    m.graph.node.insert(2, helper.make_node('Mul', ['h', 's'], ['hs'], name='scale'))
    m.graph.node[3].input[0] = 'hs'
    onnx.save(m, t.path('ext.onnx'), save_as_external_data=True, location='ext.data',
              size_threshold=0)
    out = t.path('out.onnx')
    t.run('sp-train', t.path('ext.onnx'), '--data', f'fashion-mnist:{idx_dir(t)}', '--batch',
          '4', '-o', out, '-q').ok()
    trained = onnx.load(out)  # whole: the weights are inline
    expect(all(not i.external_data for i in trained.graph.initializer),
           'the output still points at external data')


@case
def usage_errors(t):
    model = classifier(t)
    t.run('sp-train', model, '-o', t.path('o.onnx')).fails(r'--data fashion-mnist', rc=2)
    t.run('sp-train', model, '--data', 'mnist', '-o', t.path('o.onnx')).fails(r'--data', rc=2)
    t.run('sp-train', model, '--data', 'fashion-mnist', '--lr', 'fast', '-o',
          t.path('o.onnx')).fails(r"--lr: 'fast' is not a number", rc=2)
    t.run('sp-train', model, '--data', 'fashion-mnist', '--optimizer', 'lion', '-o',
          t.path('o.onnx')).fails(r"--optimizer: 'lion' is not sgd or adamw", rc=2)
    t.run('sp-train', model, '--data', 'fashion-mnist').fails(r'-o OUT.onnx is required', rc=2)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a usage error')


@case
def bad_data(t):
    model = classifier(t)
    t.run('sp-train', model, '--data', f'fashion-mnist:{t.path("none")}', '-o',
          t.path('o.onnx')).fails(r'none/train-images-idx3-ubyte.gz: cannot open', rc=1)
    t.run('sp-train', model, '--data', f'fashion-mnist:{idx_dir(t, bad_magic=True)}', '-o',
          t.path('o.onnx')).fails(r'not an IDX image file', rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after bad data')


@case
def labels_beyond_the_classes(t):
    t.run('sp-train', classifier(t, classes=5), '--data', f'fashion-mnist:{idx_dir(t)}',
          '--batch', '8', '-o', t.path('o.onnx')).fails(r'label [5-9] of sample \d+ is outside \[0, 5\)')
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a bad label')


@case
def op_without_backward_is_named(t):
    t.run('sp-train', classifier(t, op='Softsign'), '--data', f'fashion-mnist:{idx_dir(t)}',
          '--batch', '8', '-o', t.path('o.onnx')).fails(
        r"node 'act'.*Softsign has no backward kernel", rc=1)


@case
def nan_loss_stops(t):
    import onnx
    model = classifier(t)
    m = onnx.load(model)
    w2 = numpy_helper.to_array(m.graph.initializer[2]).copy()
    w2[0, 0] = np.nan  # a weight that is NaN: every loss is
    m.graph.initializer[2].CopyFrom(numpy_helper.from_array(w2, 'w2'))
    onnx.save(m, model)
    t.run('sp-train', model, '--data', f'fashion-mnist:{idx_dir(t)}', '--batch', '8', '-o',
          t.path('o.onnx')).fails(r'the loss is (nan|-nan) at step 0', rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a NaN loss')


if __name__ == '__main__':
    probe.main()
