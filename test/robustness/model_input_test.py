#!/usr/bin/python3
"""Model files that are well-formed on the surface but lie inside: MLIR whose
weight blobs are elided, missing or short; ONNX nodes whose required output
is named ''; calibration data full of NaN. Each must be one error line naming
the file and the resource or node, a non-zero exit and no output.

  model_input_test.py --build BUILD_DIR [-k NAME]
"""
import os
import re

import numpy as np
from onnx import TensorProto as TP, helper, numpy_helper

import probe
from probe import case, expect

PRUNE = ('builtin.module(sp-canonicalize,sp-dependency-groups,sp-importance{criterion=l2},'
         'sp-prune{ratio=0.5},sp-canonicalize)')


def conv_chain(t, name='model.onnx'):
    """conv1 (4x8x1x1) -> relu -> conv2 (2x4x1x1): conv1's out-channels are prunable.
    Both weights have more than 16 elements, so they import as dense_resource."""
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((4, 8, 1, 1)).astype(np.float32)
    w2 = rng.standard_normal((5, 4, 1, 1)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node('Conv', ['x', 'conv1.weight'], ['c1'], name='conv1'),
         helper.make_node('Relu', ['c1'], ['r1'], name='relu'),
         helper.make_node('Conv', ['r1', 'conv2.weight'], ['y'], name='conv2')],
        'g', [helper.make_tensor_value_info('x', TP.FLOAT, [1, 8, 4, 4])],
        [helper.make_tensor_value_info('y', TP.FLOAT, [1, 5, 4, 4])],
        [numpy_helper.from_array(w1, 'conv1.weight'), numpy_helper.from_array(w2, 'conv2.weight')])
    return t.model(g, name)


def mlir_of(t, model, *elide):
    """model imported to MLIR text; (body, resource section) split at '{-#'."""
    out = t.path('full.mlir')
    t.run('sp-translate', '--import-onnx', model, *elide, '-o', out).ok()
    text = open(out).read()
    at = text.find('{-#')
    return (text, '') if at < 0 else (text[:at], text[at:])


def blob(data_hex, align=4):
    return '"0x%s%s"' % (align.to_bytes(4, 'little').hex().upper(), data_hex)


def resources(entries):
    """A {-# dialect_resources #-} section holding key: hex entries."""
    body = ',\n'.join(f'      {k}: {v}' for k, v in entries.items())
    return '{-#\n  dialect_resources: {\n    builtin: {\n' + body + '\n    }\n  }\n#-}\n'


def write(t, name, text):
    p = t.path(name)
    with open(p, 'w') as f:
        f.write(text)
    return p


def blobs_of(section):
    return dict(re.findall(r'^\s*([\w.]+): ("0x[0-9A-F]*")', section, re.M))


def not_written(t, *names):
    for n in names:
        expect(not os.path.exists(t.path(n)), f'{n} was written')


# --- 1. dense_resource blobs that are elided or missing ---------------------

def elided(t):
    model = conv_chain(t)
    body, section = mlir_of(t, model, '--mlir-elide-resource-strings-if-larger=16')
    expect('conv1.weight:' not in section, 'the blob was not elided')
    return write(t, 'm.mlir', body + section)


@case
def elided_blob_export_names_the_resource(t):
    # before: exit 0, uninitialised memory written as conv1.weight (sometimes SIGSEGV)
    m = elided(t)
    t.run('sp-translate', '--export-onnx', m, '-o', t.path('x.onnx')).fails(
        r"m\.mlir: node 'conv1\.weight': error: resource 'conv1\.weight' has no data")
    not_written(t, 'x.onnx')


@case
def elided_blob_through_sp_opt_to_onnx(t):
    # before: exit 0 with garbage weights
    m = elided(t)
    t.run('sp-opt', m, '-o', t.path('x.onnx')).fails(
        r"m\.mlir: .*resource 'conv1\.weight' has no data")
    not_written(t, 'x.onnx')


@case
def elided_blob_in_the_prune_pipeline(t):
    # before: importance and prune read garbage (or crashed), exit 0
    m = elided(t)
    t.run('sp-opt', m, f'--pass-pipeline={PRUNE}', '-o', t.path('x.onnx')).fails(
        r"m\.mlir: .*resource 'conv1\.weight' has no data")
    not_written(t, 'x.onnx')


@case
def resource_missing_from_the_blob_section(t):
    # A blob section that holds only the other weight, under its own name.
    # before: exit 0, conv1.weight exported from uninitialised memory
    body, section = mlir_of(t, conv_chain(t))
    kept = {k: v for k, v in blobs_of(section).items() if k != 'conv1.weight'}
    expect(len(kept) == 1, f'unexpected blobs {list(blobs_of(section))}')
    m = write(t, 'm.mlir', body + resources(kept))
    t.run('sp-translate', '--export-onnx', m, '-o', t.path('x.onnx')).fails(
        r"resource 'conv1\.weight' has no data")
    not_written(t, 'x.onnx')


@case
def complete_blobs_still_export(t):
    model = conv_chain(t)
    body, section = mlir_of(t, model)
    m = write(t, 'm.mlir', body + section)
    t.run('sp-translate', '--export-onnx', m, '-o', t.path('x.onnx')).ok()
    import onnx
    got = {i.name: numpy_helper.to_array(i) for i in onnx.load(t.path('x.onnx')).graph.initializer}
    want = {i.name: numpy_helper.to_array(i) for i in onnx.load(model).graph.initializer}
    expect(got.keys() == want.keys() and all(np.array_equal(got[k], want[k]) for k in want),
           'weights changed in the round trip')
    t.run('sp-opt', m, f'--pass-pipeline={PRUNE}', '-o', t.path('p.onnx')).ok()


# --- 2. blobs shorter (or longer) than their tensor type --------------------

def with_conv1_blob(t, data_hex):
    body, section = mlir_of(t, conv_chain(t))
    entries = blobs_of(section)
    entries['conv1.weight'] = blob(data_hex)
    return write(t, 'm.mlir', body + resources(entries))


@case
def short_blob_names_both_sizes(t):
    # before: exit 0, 126 bytes past the blob's end exported as weights
    m = with_conv1_blob(t, 'ABCD')
    t.run('sp-translate', '--export-onnx', m, '-o', t.path('x.onnx')).fails(
        r"resource 'conv1\.weight' has 2 bytes of data, tensor<4x8x1x1xf32> needs 128")
    not_written(t, 'x.onnx')
    t.run('sp-opt', m, f'--pass-pipeline={PRUNE}', '-o', t.path('x.onnx')).fails(
        r"resource 'conv1\.weight' has 2 bytes of data, tensor<4x8x1x1xf32> needs 128")
    not_written(t, 'x.onnx')


@case
def blob_of_only_its_alignment(t):
    # "0x04000000": a blob with no data bytes. before: SIGSEGV
    m = with_conv1_blob(t, '')
    t.run('sp-translate', '--export-onnx', m, '-o', t.path('x.onnx')).fails(
        r"resource 'conv1\.weight' has 0 bytes of data, tensor<4x8x1x1xf32> needs 128")
    not_written(t, 'x.onnx')


@case
def long_blob_names_both_sizes(t):
    # before: exit 0, the extra bytes silently dropped
    m = with_conv1_blob(t, '00' * 132)
    t.run('sp-opt', m, '-o', t.path('x.onnx')).fails(
        r"resource 'conv1\.weight' has 132 bytes of data, tensor<4x8x1x1xf32> needs 128")
    not_written(t, 'x.onnx')


@case
def huge_type_over_a_short_blob(t):
    # A 3.2 TB tensor type over 2 bytes: measured before anything is allocated.
    m = with_conv1_blob(t, 'ABCD')
    text = open(m).read().replace('tensor<4x8x1x1xf32>', 'tensor<100000000000x8x1x1xf32>')
    write(t, 'm.mlir', text)
    t.run('sp-translate', '--export-onnx', m, '-o', t.path('x.onnx')).fails(
        r"resource 'conv1\.weight' has 2 bytes of data, tensor<100000000000x8x1x1xf32> "
        r"needs 3200000000000")
    not_written(t, 'x.onnx')


@case
def short_int64_shape_constant(t):
    # A Reshape's shape as an i64 dense_resource of 1 byte: canonicalize folds
    # shapes from it. before: exit 0, out-of-bounds bytes read as the shape
    w = np.random.default_rng(2).standard_normal((4, 8, 1, 1)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node('Conv', ['x', 'w'], ['c'], name='conv'),
         helper.make_node('Reshape', ['c', 'shape'], ['y'], name='reshape')],
        'g', [helper.make_tensor_value_info('x', TP.FLOAT, [1, 8, 2, 2])],
        [helper.make_tensor_value_info('y', TP.FLOAT, [1, 16])],
        [numpy_helper.from_array(w, 'w'),
         numpy_helper.from_array(np.array([1, 16], np.int64), 'shape')])
    body, section = mlir_of(t, t.model(g))
    inline = re.search(r'dense<\[1, 16\]> : tensor<2xi64>', body)
    expect(inline, 'the shape did not import as an inline constant')
    body = body.replace(inline.group(0), 'dense_resource<shape> : tensor<2xi64>')
    entries = blobs_of(section)
    entries['shape'] = blob('01', align=8)
    m = write(t, 'm.mlir', body + resources(entries))
    t.run('sp-opt', m, '--pass-pipeline=builtin.module(sp-canonicalize)',
          '-o', t.path('x.onnx')).fails(
        r"resource 'shape' has 1 bytes of data, tensor<2xi64> needs 16")
    not_written(t, 'x.onnx')


# --- 3. '' as a required node output ----------------------------------------

def empty_output(t, op='Relu', outputs=('',), **attrs):
    nodes = [helper.make_node(op, ['x'], list(outputs), name='n1', **attrs),
             helper.make_node('Relu', ['x'], ['y'], name='n2')]
    g = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('x', TP.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info('y', TP.FLOAT, [1, 4])])
    return t.model(g)


@case
def empty_relu_output_in_sp_run(t):
    # before: SIGSEGV in the unary kernel
    m = empty_output(t)
    t.run('sp-run', m, '--random').fails(
        r"model\.onnx: node 'n1' \(Relu\): output 0 has an empty name")


@case
def empty_relu_output_in_sp_opt(t):
    # before: exit 0, the node exported with its nameless output
    m = empty_output(t)
    t.run('sp-opt', m, '-o', t.path('x.onnx')).fails(
        r"model\.onnx: node 'n1' \(Relu\): output 0 has an empty name")
    not_written(t, 'x.onnx')
    t.run('sp-translate', '--import-onnx', m, '-o', t.path('x.mlir')).fails(
        r"node 'n1' \(Relu\): output 0 has an empty name")
    not_written(t, 'x.mlir')


@case
def empty_dropout_output_with_a_named_mask(t):
    # Dropout's output 0 is required even though its mask is optional.
    # before: SIGSEGV in sp-run
    m = empty_output(t, 'Dropout', ('', 'mask'))
    t.run('sp-run', m, '--random').fails(
        r"node 'n1' \(Dropout\): output 0 has an empty name")


@case
def omitted_optional_outputs_still_run(t):
    # Legal '' outputs: BatchNormalization's and Dropout's and MaxPool's trailing
    # optional ones; Split with every output named.
    c = lambda v, n: numpy_helper.from_array(np.full(4, v, np.float32), n)
    g = helper.make_graph(
        [helper.make_node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['bn', '', '', '', ''],
                          name='bn'),
         helper.make_node('Dropout', ['bn'], ['d', ''], name='drop'),
         helper.make_node('MaxPool', ['d'], ['p', ''], name='pool', kernel_shape=[2, 2]),
         helper.make_node('Split', ['p'], ['a', 'b2'], name='split', axis=1),
         helper.make_node('Add', ['a', 'b2'], ['y'], name='add')],
        'g', [helper.make_tensor_value_info('x', TP.FLOAT, [1, 4, 4, 4])],
        [helper.make_tensor_value_info('y', TP.FLOAT, [1, 2, 3, 3])],
        [c(1, 's'), c(0, 'b'), c(0, 'm'), c(1, 'v')])
    m = t.model(g, opset=9, check=True)
    t.run('sp-run', m, '--random').ok()
    t.run('sp-opt', m, '-o', t.path('x.onnx')).ok()


# --- 4. calibration data that is not finite ---------------------------------

def conv_bn_relu(t):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    c = lambda v, n: numpy_helper.from_array(np.full(4, v, np.float32), n)
    g = helper.make_graph(
        [helper.make_node('Conv', ['x', 'w'], ['c'], name='conv', pads=[1, 1, 1, 1]),
         helper.make_node('BatchNormalization', ['c', 's', 'b', 'm', 'v'], ['n'], name='bn'),
         helper.make_node('Relu', ['n'], ['y'], name='relu')],
        'g', [helper.make_tensor_value_info('x', TP.FLOAT, [2, 3, 8, 8])],
        [helper.make_tensor_value_info('y', TP.FLOAT, [2, 4, 8, 8])],
        [numpy_helper.from_array(w, 'w'), c(1, 's'), c(0, 'b'), c(0, 'm'), c(1, 'v')])
    return t.model(g)


def save_pb(array, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(numpy_helper.from_array(np.asarray(array, np.float32)).SerializeToString())


def recalibrate(t, model, calib):
    return t.run('sp-opt', model,
                 f'--pass-pipeline=builtin.module(sp-recalibrate-bn{{calibration={calib}}})',
                 '-o', t.path('out.onnx'))


@case
def nan_calibration_names_bn_and_batch(t):
    # before: exit 0, running mean and variance written as NaN
    model = conv_bn_relu(t)
    save_pb(np.full((2, 3, 8, 8), np.nan), t.path('cal', 'input_0.pb'))
    recalibrate(t, model, t.path('cal')).fails(
        r"model\.onnx: node 'bn': error: sp-recalibrate-bn: .*NaN or Inf.*"
        r"calibration batch '.*cal/input_0\.pb'")
    not_written(t, 'out.onnx')


@case
def inf_in_the_second_calibration_set(t):
    # One +inf in test_data_set_1 only: the error names that set's file.
    # before: exit 0, NaN statistics
    model = conv_bn_relu(t)
    x = np.random.default_rng(4).standard_normal((2, 3, 8, 8))
    save_pb(x, t.path('cal', 'test_data_set_0', 'input_0.pb'))
    x[1, 2, 3, 4] = np.inf
    save_pb(x, t.path('cal', 'test_data_set_1', 'input_0.pb'))
    recalibrate(t, model, t.path('cal')).fails(
        r"node 'bn': .*NaN or Inf.*'.*cal/test_data_set_1/input_0\.pb'")
    not_written(t, 'out.onnx')
    save_pb(np.ones_like(x), t.path('cal', 'test_data_set_1', 'input_0.pb'))
    recalibrate(t, model, t.path('cal')).ok()


@case
def calibration_variance_overflowing_float32(t):
    # Finite inputs of 1e30 give a variance of ~1e60: not a float.
    # before: exit 0, running_var written as inf
    model = conv_bn_relu(t)
    x = np.where(np.indices((2, 3, 8, 8)).sum(0) % 2, 1e30, -1e30)
    save_pb(x, t.path('cal', 'input_0.pb'))
    recalibrate(t, model, t.path('cal')).fails(
        r"node 'bn': .*variance of channel \d+.*overflows float32")
    not_written(t, 'out.onnx')


@case
def nan_calibration_for_drop_layers(t):
    # sp-prune{drop-layers} ranks residual blocks on calibration data; NaN
    # would make the ranking (which block is dropped) arbitrary.
    # before: exit 0, a block dropped on NaN scores
    rng = np.random.default_rng(5)
    nodes, inits, prev = [], [], 'x'
    for i in range(2):
        inits.append(numpy_helper.from_array(
            rng.standard_normal((8, 8, 1, 1)).astype(np.float32) * 0.1, f'w{i}'))
        nodes += [helper.make_node('Conv', [prev, f'w{i}'], [f'c{i}'], name=f'conv{i}'),
                  helper.make_node('Relu', [f'c{i}'], [f'r{i}'], name=f'relu{i}'),
                  helper.make_node('Add', [prev, f'r{i}'], [f'a{i}'], name=f'add{i}')]
        prev = f'a{i}'
    g = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('x', TP.FLOAT, [1, 8, 4, 4])],
                          [helper.make_tensor_value_info(prev, TP.FLOAT, [1, 8, 4, 4])], inits)
    model = t.model(g)
    save_pb(np.full((1, 8, 4, 4), np.nan), t.path('cal', 'input_0.pb'))
    r = t.run('sp-opt', model, '--pass-pipeline=builtin.module(sp-prune{ratio=0 drop-layers=1 '
              f'calibration={t.path("cal")}}})', '-o', t.path('out.onnx'))
    r.fails(r"node 'add\d': error: sp-prune: calibration: NaN or Inf reaches this block on "
            r"calibration batch '.*cal/input_0\.pb'")
    not_written(t, 'out.onnx')


if __name__ == '__main__':
    probe.main()
