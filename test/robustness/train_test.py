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


def onnx_graph_of(path):
    import onnx
    return onnx.load(path).graph


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


def npy_pair(t, n=8, x=None, y=None, name='d'):
    """X (n, 1, 28, 28) uint8 and Y (n) int64 .npy files in t.dir, or the arrays given."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (n, 1, 28, 28), dtype=np.uint8) if x is None else x
    y = (np.arange(n) % 10).astype(np.int64) if y is None else y
    np.save(t.path(f'{name}_x.npy'), x)
    np.save(t.path(f'{name}_y.npy'), y)
    return t.path(f'{name}_x.npy'), t.path(f'{name}_y.npy')


def train_npy(t, model, x, y, *extra):
    return t.run('sp-train', model, '--train-npy', x, y, '--batch', '4', '-o', t.path('o.onnx'),
                 '-q', *extra)


@case
def npy_trains(t):
    x, y = npy_pair(t)
    vx, vy = npy_pair(t, name='v')
    train_npy(t, classifier(t), x, y, '--val-npy', vx, vy, '--augment', 'flip,crop=2').ok()
    expect(os.path.getsize(t.path('o.onnx')) > 0, 'no model written')
    with open(x, 'rb') as f, gzip.open(t.path('x.npy.gz'), 'wb') as g:
        g.write(f.read())
    os.remove(t.path('o.onnx'))
    train_npy(t, classifier(t), t.path('x.npy.gz'), y).ok()  # gzip read as IDX is
    expect(os.path.getsize(t.path('o.onnx')) > 0, 'no model written from x.npy.gz')


@case
def npy_bad_files(t):
    model = classifier(t)
    x, y = npy_pair(t)
    rng = np.random.default_rng(0)
    train_npy(t, model, t.path('none.npy'), y).fails(r'none\.npy: cannot open', rc=1)
    with open(t.path('text.npy'), 'w') as f:
        f.write('not numpy\n')
    train_npy(t, model, t.path('text.npy'), y).fails(r'text\.npy: not a \.npy file', rc=1)
    with open(x, 'rb') as f:
        whole = f.read()
    with open(t.path('cut.npy'), 'wb') as f:
        f.write(whole[:-100])
    train_npy(t, model, t.path('cut.npy'), y).fails(
        r'cut\.npy: the \.npy shape needs 6272 bytes of data, the file has 6172', rc=1)
    x64, _ = npy_pair(t, x=rng.random((8, 1, 28, 28)), name='f8')
    train_npy(t, model, x64, y).fails(r"f8_x\.npy: dtype '<f8' is not float32", rc=1)
    _, yf = npy_pair(t, y=np.zeros(8, np.float32), name='yf')
    train_npy(t, model, x, yf).fails(r'yf_y\.npy: labels are float32; int64 or int32', rc=1)
    x0, y0 = npy_pair(t, x=np.zeros((0, 1, 28, 28), np.float32), y=np.zeros(0, np.int64),
                      name='empty')
    train_npy(t, model, x0, y0).fails(r'empty_x\.npy: no samples to train on', rc=1)
    xf, _ = npy_pair(t, x=np.asfortranarray(rng.random((8, 784), dtype=np.float32)), name='fo')
    train_npy(t, model, xf, y).fails(r'fo_x\.npy: fortran_order is True', rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a bad file')


@case
def npy_labels_do_not_fit(t):
    model = classifier(t, classes=5)
    x, y = npy_pair(t)
    _, short = npy_pair(t, y=np.zeros(7, np.int64), name='short')
    train_npy(t, model, x, short).fails(r'short_y\.npy: 7 labels for the 8 samples of .*d_x\.npy',
                                        rc=1)
    train_npy(t, model, x, y).fails(
        r"d_y\.npy: label 5 of sample 5 is outside \[0, 5\), the classes of the model's "
        r"output 'y'", rc=1)
    import onnx
    m = onnx.load(model)  # classes not declared: inferred from the weights
    m.graph.output[0].type.tensor_type.shape.dim[1].dim_param = 'classes'
    onnx.save(m, t.path('dynamic.onnx'))
    train_npy(t, t.path('dynamic.onnx'), x, y).fails(
        r"d_y\.npy: label 5 of sample 5 is outside \[0, 5\)", rc=1)
    _, neg = npy_pair(t, y=np.array([0, 1, -1, 2, 0, 1, 2, 3], np.int64), name='neg')
    train_npy(t, model, x, neg).fails(r'neg_y\.npy: label -1 of sample 2 is negative', rc=1)
    vx, vy = npy_pair(t, name='v')
    train_npy(t, classifier(t), x, y, '--val-npy', vx, short).fails(r'short_y\.npy: 7 labels',
                                                                    rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after bad labels')


@case
def npy_shape_does_not_fit_the_model(t):
    model = classifier(t)
    rng = np.random.default_rng(0)
    _, y = npy_pair(t)
    flat, _ = npy_pair(t, x=rng.integers(0, 255, (8, 28, 28), dtype=np.uint8), name='flat')
    train_npy(t, model, flat, y).fails(
        r"flat_x\.npy: samples are \(28, 28\), the model's input 'x' takes \(1, 28, 28\)", rc=1)
    small, _ = npy_pair(t, x=rng.integers(0, 255, (8, 1, 14, 14), dtype=np.uint8), name='small')
    train_npy(t, model, small, y).fails(r'small_x\.npy: samples are \(1, 14, 14\)', rc=1)
    x, _ = npy_pair(t)
    vx, vy = npy_pair(t, x=rng.integers(0, 255, (8, 1, 14, 14), dtype=np.uint8), name='v')
    train_npy(t, model, x, y, '--val-npy', vx, vy).fails(r'v_x\.npy: .*differ', rc=1)
    train_npy(t, model, x, y, '--mean', '0.1,0.2,0.3').fails(
        r'd_x\.npy: --mean/--std give 3 channels, the samples have 1', rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a shape mismatch')


def pb_dir(t, name, pairs):
    """DIR/input_N.pb, label_N.pb from (x, y) arrays."""
    d = t.path(name)
    os.makedirs(d, exist_ok=True)
    for n, (x, y) in enumerate(pairs):
        with open(os.path.join(d, f'input_{n}.pb'), 'wb') as f:
            f.write(numpy_helper.from_array(x).SerializeToString())
        if y is not None:
            with open(os.path.join(d, f'label_{n}.pb'), 'wb') as f:
                f.write(numpy_helper.from_array(y).SerializeToString())
    return d


@case
def pb_dir_trains_and_fails_clearly(t):
    model = classifier(t, classes=5)
    rng = np.random.default_rng(0)
    img = lambda *s: rng.random(s, dtype=np.float32)  # noqa: E731
    run = lambda d: t.run('sp-train', model, '--train-dir', d, '--batch', '4', '-q',  # noqa: E731
                          '-o', t.path('o.onnx'))
    run(pb_dir(t, 'good', [(img(4, 1, 28, 28), np.array([0, 1, 2, 3])),
                           (img(1, 28, 28), np.array(4))])).ok()
    os.remove(t.path('o.onnx'))
    run(t.path('none')).fails(r'none/input_0\.pb: cannot open', rc=1)
    run(pb_dir(t, 'nolabel', [(img(2, 1, 28, 28), None)])).fails(
        r'nolabel/label_0\.pb: cannot open', rc=1)
    run(pb_dir(t, 'f_labels', [(img(2, 1, 28, 28), np.array([0.0, 1.0], np.float32))])).fails(
        r'f_labels/label_0\.pb: labels must be int64', rc=1)
    run(pb_dir(t, 'd_inputs', [(rng.random((2, 1, 28, 28)), np.array([0, 1]))])).fails(
        r'd_inputs/input_0\.pb: inputs must be float', rc=1)
    run(pb_dir(t, 'count', [(img(2, 1, 28, 28), np.array([0, 1, 2]))])).fails(
        r'count/label_0\.pb: 3 labels for the 2 samples', rc=1)
    run(pb_dir(t, 'shape', [(img(2, 1, 14, 14), np.array([0, 1]))])).fails(
        r"shape: samples are \(1, 14, 14\), the model's input 'x' takes \(1, 28, 28\)", rc=1)
    run(pb_dir(t, 'rank', [(img(2, 784), np.array([0, 1]))])).fails(
        r'rank/input_0\.pb: an input of 2 dims; the model takes samples of 3 dims', rc=1)
    run(pb_dir(t, 'range', [(img(2, 1, 28, 28), np.array([0, 1])),
                            (img(2, 1, 28, 28), np.array([0, 7]))])).fails(
        r'range/label_1\.pb: label 7 of sample 3 is outside \[0, 5\)', rc=1)
    with open(t.path('trash.pb'), 'wb') as f:
        f.write(b'\xff' * 64)
    d = pb_dir(t, 'trash', [])
    os.replace(t.path('trash.pb'), os.path.join(d, 'input_0.pb'))
    run(d).fails(r'trash/input_0\.pb: not a TensorProto', rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a bad folder')


@case
def data_usage_errors(t):
    model = classifier(t)
    x, y = npy_pair(t)
    o = t.path('o.onnx')
    t.run('sp-train', model, '--train-npy', x).fails(r'--train-npy wants X\.npy Y\.npy', rc=2)
    t.run('sp-train', model, '--train-npy', x, y, '--data', 'fashion-mnist', '-o', o).fails(
        r'give one of --data, --train-npy, --train-dir', rc=2)
    t.run('sp-train', model, '--train-npy', x, y, '--val-npy', x, y, '--val-dir', t.dir,
          '-o', o).fails(r'give one of --val-npy, --val-dir', rc=2)
    t.run('sp-train', model, '--train-npy', x, y, '--augment', 'rotate', '-o', o).fails(
        r"--augment: 'rotate' is not flip or crop=P", rc=2)
    t.run('sp-train', model, '--train-npy', x, y, '--augment', 'crop=-1', '-o', o).fails(
        r'--augment: crop=-1 is not a padding', rc=2)
    t.run('sp-train', model, '--train-npy', x, y, '--mean', '1,2', '--std', '1,2,3', '-o',
          o).fails(r'--mean has 2 values and --std 3', rc=2)
    t.run('sp-train', model, '--train-npy', x, y, '--std', '0.5,0', '-o', o).fails(
        r'--std: 0 would not divide', rc=2)
    t.run('sp-train', model, '--train-npy', x, y, '--mean', 'a', '-o', o).fails(
        r"--mean: 'a' is not a number", rc=2)
    expect(not os.path.exists(o), 'output written after a usage error')


@case
def unreadable_teacher(t):
    t.run('sp-train', classifier(t), '--data', f'fashion-mnist:{idx_dir(t)}', '--teacher',
          t.path('missing.onnx'), '-o', t.path('o.onnx')).fails(r'missing\.onnx', rc=1)
    with open(t.path('junk.onnx'), 'wb') as f:
        f.write(b'\x08\x07 not a model')
    t.run('sp-train', classifier(t), '--data', f'fashion-mnist:{idx_dir(t)}', '--teacher',
          t.path('junk.onnx'), '-o', t.path('o.onnx')).fails(r'junk\.onnx', rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written with an unreadable teacher')


@case
def teacher_with_other_classes(t):
    teacher = t.model(onnx_graph_of(classifier(t, classes=7)), name='teacher.onnx')
    student = classifier(t)  # written after: classifier() writes model.onnx
    t.run('sp-train', student, '--data', f'fashion-mnist:{idx_dir(t)}', '--teacher', teacher,
          '--batch', '4', '-o', t.path('o.onnx')).fails(
        r"teacher\.onnx: the teacher's output 'y' is not float logits of the student's "
        r"shape \(4 rows of 10\)", rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written with a mismatched teacher')


@case
def teacher_giving_nan(t):
    import onnx
    m = onnx.load(classifier(t))
    w2 = numpy_helper.to_array(m.graph.initializer[2]).copy()
    w2[0, 0] = np.nan
    m.graph.initializer[2].CopyFrom(numpy_helper.from_array(w2, 'w2'))
    onnx.save(m, t.path('teacher.onnx'))
    for loss in ('xent', 'mse'):
        t.run('sp-train', classifier(t), '--data', f'fashion-mnist:{idx_dir(t)}', '--teacher',
              t.path('teacher.onnx'), '--loss', loss, '-o', t.path('o.onnx')).fails(
            r"teacher\.onnx: the teacher's logits are not finite \((nan|-nan)\) at step 0", rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a NaN loss')


@case
def freeze_matching_nothing(t):
    t.run('sp-train', classifier(t), '--data', f'fashion-mnist:{idx_dir(t)}', '--freeze', 'w1',
          '--freeze', 'conv*', '-o', t.path('o.onnx')).fails(
        r"model\.onnx: --freeze 'conv\*' matches no trained parameter", rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a bad --freeze')


@case
def new_option_values(t):
    model = classifier(t)
    t.run('sp-train', model, '--data', 'fashion-mnist', '--loss', 'hinge', '-o',
          t.path('o.onnx')).fails(r"--loss: 'hinge' is not xent or mse", rc=2)
    t.run('sp-train', model, '--data', 'fashion-mnist', '--schedule', 'poly', '-o',
          t.path('o.onnx')).fails(r"--schedule: 'poly' is not constant, step, cosine or "
                                  r"one-cycle", rc=2)
    t.run('sp-train', model, '--data', 'fashion-mnist', '--kd-alpha', '2', '-o',
          t.path('o.onnx')).fails(r'--kd-alpha', rc=2)
    expect(not os.path.exists(t.path('o.onnx')), 'output written after a usage error')


def resumable(t, *extra):
    """A finished one-epoch run: its output and state, and the data dir."""
    data, out = idx_dir(t), t.path('o.onnx')
    t.run('sp-train', classifier(t), '--data', f'fashion-mnist:{data}', '--batch', '4', '-o',
          out, '-q', *extra).ok()
    with open(out, 'rb') as f:
        return data, out, f.read()


@case
def resume_without_state(t):
    t.run('sp-train', classifier(t), '--data', f'fashion-mnist:{idx_dir(t)}', '--resume', '-o',
          t.path('o.onnx')).fails(r"cannot read state file '.*o\.onnx\.state'", rc=1)
    expect(not os.path.exists(t.path('o.onnx')), 'output written without a state')


@case
def resume_with_bad_state(t):
    data, out, before = resumable(t)
    state = out + '.state'
    with open(state, 'rb') as f:
        good = f.read()
    resume = ['sp-train', classifier(t), '--data', f'fashion-mnist:{data}', '--batch', '4',
              '--epochs', '2', '--resume', '-o', out]
    with open(state, 'wb') as f:
        f.write(good[:len(good) // 2])
    t.run(*resume).fails(r'o\.onnx\.state: truncated or corrupt state file', rc=1)
    with open(state, 'wb') as f:
        f.write(good[:-9] + bytes([good[-9] ^ 1]) + good[-8:])
    t.run(*resume).fails(r'o\.onnx\.state: truncated or corrupt state file', rc=1)
    with open(state, 'wb') as f:
        f.write(b'PK\x03\x04 something else entirely')
    t.run(*resume).fails(r'o\.onnx\.state: not an sp-train state file', rc=1)
    with open(out, 'rb') as f:
        expect(f.read() == before, 'the checkpoint changed after a failed resume')


@case
def resume_with_other_options(t):
    data, out, before = resumable(t)
    resume = ['sp-train', '--data', f'fashion-mnist:{data}', '--epochs', '2', '--resume', '-o',
              out]
    t.run(*resume, classifier(t), '--batch', '4', '--optimizer', 'adamw').fails(
        r'o\.onnx\.state: written by a run with --optimizer sgd, this one uses adamw', rc=1)
    t.run(*resume, classifier(t), '--batch', '2').fails(
        r'o\.onnx\.state: 2 steps in 1 epochs, this run takes 4 per epoch', rc=1)
    t.run(*resume, classifier(t), '--batch', '4', '--seed', '9').fails(
        r'o\.onnx\.state: written by a run with --seed 1, this one has 9', rc=1)
    t.run(*resume, classifier(t), '--batch', '4', '--freeze', 'b1').fails(
        r'o\.onnx\.state: .*another --freeze', rc=1)
    import onnx
    other = onnx.load(classifier(t))
    other.graph.initializer[0].name = 'w1_renamed'
    other.graph.node[1].input[1] = 'w1_renamed'
    onnx.save(other, t.path('other.onnx'))
    t.run(*resume, t.path('other.onnx'), '--batch', '4').fails(
        r"o\.onnx\.state: tensor 0 is 'w1' of 12544 floats, the model's is 'w1_renamed'", rc=1)
    with open(out, 'rb') as f:
        expect(f.read() == before, 'the checkpoint changed after a failed resume')


def char_model(t, vocab=128, seq=8, name='char.onnx'):
    """Token ids (batch, seq) -> Gather(embedding) -> MatMul -> logits
    (batch, seq, vocab): the smallest character model --text trains."""
    rng = np.random.default_rng(2)
    g = helper.make_graph(
        [helper.make_node('Gather', ['emb', 'x'], ['e'], name='embed'),
         helper.make_node('MatMul', ['e', 'w'], ['y'], name='head')],
        'char', [helper.make_tensor_value_info('x', TP.INT64, ['batch', seq])],
        [helper.make_tensor_value_info('y', TP.FLOAT, ['batch', seq, vocab])],
        [numpy_helper.from_array((rng.standard_normal((vocab, 8)) * 0.1).astype(np.float32),
                                 'emb'),
         numpy_helper.from_array((rng.standard_normal((8, vocab)) * 0.1).astype(np.float32),
                                 'w')])
    import onnx
    path = t.path(name)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]), path)
    return path


def text_file(t, name, data):
    path = t.path(name)
    with open(path, 'wb') as f:
        f.write(data)
    return path


@case
def text_bad_files(t):
    model, out = char_model(t), t.path('o.onnx')
    good = text_file(t, 'good.txt', b'the quick brown fox jumps over the lazy dog. ' * 4)
    t.run('sp-train', model, '--text', good, '--epochs', '2', '--batch', '4', '-o',
          out, "-q").ok()
    os.remove(out)
    t.run('sp-train', model, '--text', text_file(t, 'empty.txt', b''), '-o', out).fails(
        r'empty\.txt: 0 bytes; a window of 8 characters and its next characters need 9', rc=1)
    t.run('sp-train', model, '--text', text_file(t, 'short.txt', b'12345678'), '-o', out).fails(
        r'short\.txt: 8 bytes; .* need 9', rc=1)
    # a byte past the model's 128 tokens (UTF-8 for e-acute at offset 5)
    t.run('sp-train', model, '--text', text_file(t, 'utf8.txt', 'caf\u00e9s and more text'
                                                  .encode('utf-8')), '-o', out).fails(
        r"utf8\.txt: byte 195 at offset 3 is outside the model's vocabulary \[0, 128\)", rc=1)
    t.run('sp-train', model, '--text', good, '--val-text', text_file(t, 'v.txt', b'\xff' * 20),
          '-o', out).fails(r'v\.txt: byte 255 at offset 0', rc=1)
    t.run('sp-train', model, '--text', t.path('missing.txt'), '-o', out).fails(
        r'missing\.txt: cannot open', rc=1)
    expect(not os.path.exists(out), 'output written after bad text')


@case
def text_model_does_not_fit(t):
    good = text_file(t, 'good.txt', b'the quick brown fox jumps over the lazy dog. ' * 4)
    out = t.path('o.onnx')
    t.run('sp-train', classifier(t), '--text', good, '-o', out).fails(
        r"input 'x' has element type 1; --text feeds token ids", rc=1)
    dynamic = char_model(t, seq='T', name='dyn.onnx')
    t.run('sp-train', dynamic, '--text', good, '-o', out).fails(
        r"dyn\.onnx: input 'x' has a dynamic sequence length: give --seq-len", rc=1)
    t.run('sp-train', dynamic, '--text', good, '--seq-len', '6', '--batch', '4', '-o',
          out, "-q").ok()
    os.remove(out)
    t.run('sp-train', char_model(t), '--text', good, '--seq-len', '6', '-o', out).fails(
        r"input 'x' takes sequences of 8, not --seq-len 6", rc=1)
    t.run('sp-train', char_model(t), '--text', good, '--mean', '0.5', '-o', out).fails(
        r'--mean, --std and --augment do not apply to --text', rc=2)
    t.run('sp-train', char_model(t), '--data', 'fashion-mnist', '--val-text', good, '-o',
          out).fails(r'--val-text, --seq-len and --text-stride go with --text', rc=2)
    expect(not os.path.exists(out), 'output written after a model that does not fit')


if __name__ == '__main__':
    probe.main()
