#!/usr/bin/python3
"""Limits and numbers: element counts that overflow, dims and option values out of
range, inputs that are not what sp-run expects. Every tool checks each product of
dims against one limit (a tensor has at most 2^59 elements, so its bytes fit in
int64), parses every number on its command line strictly, and says which file,
option, input or node is wrong in one error line.

    /usr/bin/python3 test/robustness/limits_test.py --build BUILD [-k NAME]
"""
import os

import probe

BIG = 2 ** 40  # two of these in one shape: 2^80 elements


def relu(t, dims, name='model.onnx', opset=13, elem=None):
    """Relu over one float input 'x' declared with dims (ints or names)."""
    from onnx import helper, TensorProto as TP
    g = helper.make_graph(
        [helper.make_node('Relu', ['x'], ['y'], name='relu')], 'g',
        [helper.make_tensor_value_info('x', elem or TP.FLOAT, dims)],
        [helper.make_tensor_value_info('y', elem or TP.FLOAT, None)])
    return t.model(g, name=name, opset=opset)


def conv(t, name='conv.onnx'):
    """Conv 3 -> 8 channels, 3x3, over x (batch, 3, 28, 28)."""
    import numpy as np
    from onnx import helper, numpy_helper, TensorProto as TP
    w = numpy_helper.from_array(np.ones((8, 3, 3, 3), np.float32), 'w')
    g = helper.make_graph(
        [helper.make_node('Conv', ['x', 'w'], ['y'], name='conv1')], 'g',
        [helper.make_tensor_value_info('x', TP.FLOAT, ['batch', 3, 28, 28])],
        [helper.make_tensor_value_info('y', TP.FLOAT, None)], [w])
    return t.model(g, name=name)


def write_pb(path, array, name):
    from onnx import numpy_helper
    with open(path, 'wb') as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


# ---- A. element counts that overflow ----

@probe.case
def run_declared_input_of_2pow81_elements(t):
    m = relu(t, [1, 3, BIG, BIG])
    t.run('sp-run', m, '--random').fails(r"input 'x' has 3\.63e\+24 elements .*2\^59")


@probe.case
def bench_declared_input_of_2pow81_elements(t):
    m = relu(t, [1, 3, BIG, BIG])
    r = t.run('sp-run', m, '--bench', 3).fails(r"input 'x' has .* elements")
    probe.expect('latency' not in r.out, f'bench printed a latency: {r.out!r}')


@probe.case
def run_batch_2pow62_writes_no_output(t):
    m = relu(t, [2 ** 62, 1, 28, 28])
    out = t.path('out')
    t.run('sp-run', m, '--random', '--output-dir', out).fails(
        r"input 'x' has .* elements \(4611686018427387904x1x28x28\)")
    probe.expect(not os.path.exists(os.path.join(out, 'output_0.pb')), 'output_0.pb written')


@probe.case
def run_dims_bound_to_2pow80_elements(t):
    m = relu(t, [1, 'c', 'h', 'w'])
    t.run('sp-run', m, '--random', '--dim', f'h={BIG}', '--dim', f'w={BIG}').fails(
        r"input 'x' has .* elements \(1x1x1099511627776x1099511627776\)")


@probe.case
def run_dim_value_beyond_int64(t):
    m = relu(t, ['batch', 3, 4, 4])
    t.run('sp-run', m, '--random', '--dim', 'batch=99999999999999999999').fails(
        r'--dim batch: 99999999999999999999 is out of range', rc=2)


@probe.case
def opt_dim_value_beyond_int64(t):
    m = conv(t)
    t.run('sp-opt', m, '--dim', 'batch=99999999999999999999', '-o', os.devnull).fails(
        r'--dim batch: 99999999999999999999 is out of range', rc=2)


@probe.case
def translate_dim_value_beyond_int64(t):
    m = conv(t)
    t.run('sp-translate', '--import-onnx', m, '--dim', 'batch=99999999999999999999',
          '-o', os.devnull).fails(r'--dim batch: 99999999999999999999 is out of range', rc=2)


@probe.case
def stats_input_of_2pow71_elements(t):
    m = conv(t)
    t.run('sp-opt', m, '--dim', f'batch={2 ** 62}',
          '--pass-pipeline=builtin.module(sp-model-stats)', '-o', os.devnull).fails(
        r"input 'x' has .* elements")


@probe.case
def stats_macs_beyond_int64(t):
    m = conv(t)  # batch 2^46: output fits (2^58.4 elements), MACs (x27) do not
    r = t.run('sp-opt', m, '--dim', f'batch={2 ** 46}',
              '--pass-pipeline=builtin.module(sp-model-stats)', '-o', os.devnull)
    r.fails(r"node 'conv1'.*MAC count .*does not fit in int64")
    probe.expect('MACs)' not in r.err + r.out, f'a MAC total was printed: {r.err!r}')


@probe.case
def opt_broadcast_output_of_2pow62_elements(t):
    from onnx import helper, TensorProto as TP
    g = helper.make_graph(
        [helper.make_node('Mul', ['a', 'b'], ['y'], name='outer')], 'g',
        [helper.make_tensor_value_info('a', TP.FLOAT, [2 ** 31, 1]),
         helper.make_tensor_value_info('b', TP.FLOAT, [1, 2 ** 31])],
        [helper.make_tensor_value_info('y', TP.FLOAT, None)])
    t.run('sp-opt', t.model(g), '-o', os.devnull).fails(
        r"node 'outer' \(Mul\): output 'y' has .* elements")


# ---- B. messages that say what is wrong with which file or option ----

@probe.case
def run_dim_negative(t):
    m = relu(t, ['batch', 3, 4, 4])
    t.run('sp-run', m, '--random', '--dim', 'batch=-1').fails(
        r'--dim batch: -1 is out of range', rc=2)


@probe.case
def run_input_dir_missing(t):
    m = relu(t, [1, 3])
    t.run('sp-run', m, '--input-dir', t.path('nonexistent')).fails(
        r'--input-dir .*nonexistent: No such file or directory')


@probe.case
def run_input_dir_is_a_file(t):
    m = relu(t, [1, 3])
    t.run('sp-run', m, '--input-dir', m).fails(r'--input-dir .*model\.onnx: not a directory')


@probe.case
def run_input_file_empty(t):
    m = relu(t, [1, 3])
    os.mkdir(t.path('in'))
    open(t.path('in', 'input_0.pb'), 'wb').close()
    t.run('sp-run', m, '--input-dir', t.path('in')).fails(
        r'in/input_0\.pb: empty file \(0 bytes\), not a TensorProto')


@probe.case
def run_input_file_is_a_directory(t):
    m = relu(t, [1, 3])
    os.makedirs(t.path('in', 'input_0.pb'))
    t.run('sp-run', m, '--input-dir', t.path('in')).fails(
        r'in/input_0\.pb: is a directory, not a TensorProto file')


@probe.case
def run_optional_input(t):
    from onnx import helper, TensorProto as TP
    opt = helper.make_optional_type_proto(helper.make_tensor_type_proto(TP.FLOAT, ['n']))
    g = helper.make_graph([helper.make_node('Identity', ['x'], ['y'])], 'g',
                          [helper.make_value_info('x', opt)], [helper.make_value_info('y', opt)])
    t.run('sp-run', t.model(g, opset=18), '--random').fails(
        r"input 'x' is not a tensor \(declared optional\)", rc=3)


# ---- C. accepted silently before, errors now ----

@probe.case
def run_threads_not_a_count(t):
    m = relu(t, [1, 3])
    for value, what in [('abc', 'is not an integer'), ('-3', 'is out of range'),
                        ('0', 'is out of range'), ('4x', 'is not an integer')]:
        t.run('sp-run', m, '--random', '--threads', value).fails(
            rf'--threads: .*{value}.* {what}', rc=2)


@probe.case
def run_bench_not_a_count(t):
    m = relu(t, [1, 3])
    for value in ['-1', '0', 'x', '']:
        t.run('sp-run', m, '--bench', value).fails(rf'--bench: .*{value}', rc=2)


@probe.case
def run_seed_batch_mean_std_not_numbers(t):
    m = relu(t, [1, 3])
    for option, value in [('--seed', 'x'), ('--seed', '-1'), ('--seed', '4294967296'),
                          ('--batch', '0'), ('--batch', 'x'), ('--mean', 'x'),
                          ('--std', 'x'), ('--std', 'nan'), ('--std', '0')]:
        t.run('sp-run', m, '--random', option, value).fails(rf'{option}: .*{value}', rc=2)


@probe.case
def run_input_file_names_no_input(t):
    import numpy as np
    from onnx import helper, TensorProto as TP
    g = helper.make_graph(
        [helper.make_node('Add', ['a', 'b'], ['y'])], 'g',
        [helper.make_tensor_value_info('a', TP.FLOAT, [2]),
         helper.make_tensor_value_info('b', TP.FLOAT, [2])],
        [helper.make_tensor_value_info('y', TP.FLOAT, None)])
    m = t.model(g)
    os.mkdir(t.path('in'))
    write_pb(t.path('in', 'input_0.pb'), np.ones(2, np.float32), 'a')
    write_pb(t.path('in', 'input_1.pb'), np.ones(2, np.float32), 'zzz')
    t.run('sp-run', m, '--input-dir', t.path('in')).fails(
        r"input_1\.pb: .*no input named 'zzz'")


@probe.case
def run_declared_dim_negative(t):
    m = relu(t, [1, -5, 4])
    t.run('sp-run', m, '--random').fails(r"input 'x': dim 1 is -5")
    t.run('sp-opt', m, '-o', os.devnull).fails(r"input 'x': dim 1 is -5")


@probe.case
def export_external_data_not_a_size(t):
    mlir = t.path('conv.mlir')
    t.run('sp-translate', '--import-onnx', conv(t), '-o', mlir).ok()
    for value in ['abc', '-5', '', '1k']:
        out = t.path('out.onnx')
        t.run('sp-translate', '--export-onnx', mlir, '-o', out,
              f'--external-data={value}').fails(rf'--external-data: .*{value}', rc=2)
        t.run('sp-opt', mlir, '-o', out, f'--external-data={value}').fails(
            rf'--external-data: .*{value}', rc=2)
        probe.expect(not os.path.exists(out), f'{out} written')
    t.run('sp-opt', mlir, '-o', t.path('ok.onnx'), '--external-data=0').ok()
    t.run('sp-opt', mlir, '-o', t.path('ok.onnx'), '--external-data').ok()


@probe.case
def opset_999_warns(t):
    m = relu(t, ['batch', 3], opset=999)
    for r in [t.run('sp-run', m, '--random', '-q'), t.run('sp-opt', m, '-o', os.devnull),
              t.run('sp-translate', '--import-onnx', m, '-o', os.devnull)]:
        r.ok()
        warnings = [ln for ln in r.err.splitlines() if 'warning' in ln]
        probe.expect(len(warnings) == 1 and
                     'opset 999 is newer than supported (21)' in warnings[0],
                     f'want one opset warning, got {r.err!r}')
    for tool in ['sp-run', 'sp-opt', 'sp-translate']:
        probe.expect('opset newer' in t.run(tool, '--help').ok().out,
                     f'{tool} --help does not say what a newer opset does')


@probe.case
def opt_nul_bytes_on_stdin(t):
    zeros = '\0' * (100 << 20)
    t.run('sp-opt', '-', '-o', os.devnull, stdin=zeros).fails(
        r'<stdin>: NUL byte at offset 0: not MLIR text')
    t.run('sp-translate', '--export-onnx', '-', '-o', t.path('out.onnx'),
          stdin=zeros).fails(r'<stdin>: NUL byte at offset 0')
    probe.expect(not os.path.exists(t.path('out.onnx')), 'out.onnx written')


@probe.case
def input_file_claiming_2pow81_elements(t):
    # a 4-float input_0.pb whose dims multiply past any tensor: refused before
    # an allocation of that size is tried
    import numpy as np
    from onnx import numpy_helper
    os.makedirs(t.path('in'))
    tp = numpy_helper.from_array(np.ones(4, np.float32), 'x')
    del tp.dims[:]
    tp.dims.extend([1 << 40, 1 << 40, 3, 1])
    with open(t.path('in', 'input_0.pb'), 'wb') as f:
        f.write(tp.SerializeToString())
    t.run('sp-run', relu(t, None), '--input-dir', t.path('in')).fails(
        r'input_0.pb: the tensor has 3.63e\+24 elements .* more than a tensor can have')


@probe.case
def input_file_with_dims_but_no_data(t):
    import onnx
    os.makedirs(t.path('in'))
    tp = onnx.TensorProto()
    tp.name, tp.data_type = 'x', onnx.TensorProto.FLOAT
    tp.dims.extend([1 << 30])  # 4 GB promised, nothing given
    with open(t.path('in', 'input_0.pb'), 'wb') as f:
        f.write(tp.SerializeToString())
    t.run('sp-run', relu(t, None), '--input-dir', t.path('in')).fails(
        r'input_0.pb: typed data does not match dims')


if __name__ == '__main__':
    probe.main()
