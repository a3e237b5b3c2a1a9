#!/usr/bin/python3
"""Outputs are never clobbered or torn (docs/guarantees.md): devices, FIFOs and
symlinks as -o, kept modes, checked writes of every stream (main outputs, side
outputs of passes, stdout), sp-run's --output-dir under a file-size limit,
concurrent writers of one model + external-data pair, and SIGTERM mid-write.

  outputs_test.py --build BUILD_DIR [-k NAME]
"""
import os
import resource
import signal
import stat
import subprocess
import threading
import time

import numpy as np
from onnx import TensorProto as TP, helper, numpy_helper

import probe
from probe import case, expect


def conv_model(t, name='model.onnx', channels=8, fill=None):
    """A tiny Conv -> Relu model (weights all `fill` when given)."""
    w = (np.full((channels, 3, 3, 3), fill, np.float32) if fill is not None
         else np.random.default_rng(1).standard_normal((channels, 3, 3, 3)).astype(np.float32))
    g = helper.make_graph(
        [helper.make_node('Conv', ['x', 'w'], ['c'], name='conv', pads=[1, 1, 1, 1]),
         helper.make_node('Relu', ['c'], ['y'], name='relu')],
        'g', [helper.make_tensor_value_info('x', TP.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info('y', TP.FLOAT, [1, channels, 8, 8])],
        [numpy_helper.from_array(w, 'w')])
    return t.model(g, name)


def no_temp_files(directory):
    left = [f for f in os.listdir(directory) if '.tmp.' in f]
    expect(not left, f'temp files left behind: {left}')


@case
def dev_full_is_an_error_and_stays_a_device(t):
    model = conv_model(t)
    before = os.stat('/dev/full')
    t.run('sp-translate', '--import-onnx', model, '-o', '/dev/full').fails(
        r"cannot write '/dev/full': No space left on device")
    t.run('sp-opt', model, '--emit=onnx', '-o', '/dev/full').fails(r"cannot write '/dev/full'")
    after = os.stat('/dev/full')
    expect(stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev,
           '/dev/full was replaced')


@case
def dev_null_stays_a_device(t):
    model = conv_model(t)
    t.run('sp-translate', '--import-onnx', model, '-o', '/dev/null').ok()
    expect(stat.S_ISCHR(os.stat('/dev/null').st_mode), '/dev/null was replaced')


@case
def fifo_is_written_in_place(t):
    model = conv_model(t)
    fifo = t.path('out.mlir')
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, 'rb').read()))
    reader.start()
    t.run('sp-translate', '--import-onnx', model, '-o', fifo).ok()
    reader.join(30)
    expect(stat.S_ISFIFO(os.lstat(fifo).st_mode), 'the FIFO was replaced by a file')
    expect(got and b'nn.Conv' in got[0], 'the reader did not get the module')
    no_temp_files(t.dir)


@case
def symlink_is_written_through(t):
    model = conv_model(t)
    os.mkdir(t.path('real'))
    target = t.path('real', 'target.onnx')
    open(target, 'w').write('old')
    os.symlink('real/target.onnx', t.path('link.onnx'))
    t.run('sp-opt', model, '-o', t.path('link.onnx')).ok()
    expect(os.path.islink(t.path('link.onnx')), 'the symlink was replaced by a file')
    expect(open(target, 'rb').read(4) != b'old', 'the target was not written')
    no_temp_files(t.path('real'))
    # a dangling link creates the file it names
    os.symlink('real/new.mlir', t.path('dangling.mlir'))
    t.run('sp-translate', '--import-onnx', model, '-o', t.path('dangling.mlir')).ok()
    expect(os.path.islink(t.path('dangling.mlir')) and os.path.isfile(t.path('real', 'new.mlir')),
           'the dangling link was not written through')


@case
def existing_file_keeps_its_mode(t):
    model = conv_model(t)
    for out, tool, args in [('m.mlir', 'sp-translate', ['--import-onnx', model]),
                            ('m.onnx', 'sp-opt', [model])]:
        path = t.path(out)
        open(path, 'w').write('old')
        os.chmod(path, 0o600)
        t.run(tool, *args, '-o', path).ok()
        mode = stat.S_IMODE(os.stat(path).st_mode)
        expect(mode == 0o600, f'{out}: mode {mode:o}, want 600')


@case
def side_outputs_to_a_full_device_fail(t):
    model = conv_model(t)
    for spec in ['sp-dependency-groups{dump=/dev/full}', 'sp-dependency-groups{dot=/dev/full}',
                 'sp-model-stats{json=/dev/full table=none}', 'sp-model-stats{table=/dev/full}',
                 'sp-canonicalize{stats=/dev/full}']:
        r = t.run('sp-opt', model, f'--pass-pipeline=builtin.module({spec})', '-o', t.path('o.mlir'))
        r.fails(r"cannot write '/dev/full'")
        expect(not os.path.exists(t.path('o.mlir')), f'{spec}: output written after a failed pass')


def run_to_full_stdout(t, tool, *args):
    with open('/dev/full', 'w') as full:
        p = subprocess.run([t.tool(tool)] + list(args), stdout=full, stderr=subprocess.PIPE,
                           text=True)
    return probe.Result([tool] + list(args) + ['>/dev/full'],
                        subprocess.CompletedProcess(p.args, p.returncode, '', p.stderr))


@case
def stdout_to_a_full_device_fails(t):
    model = conv_model(t)
    run_to_full_stdout(t, 'sp-translate', '--import-onnx', model).fails(
        r'cannot write .*(standard output|-).*No space left')
    run_to_full_stdout(t, 'sp-opt', model, '-o', '-').fails(r'No space left')
    run_to_full_stdout(t, 'sp-run', model, '--random').fails(
        r'cannot write standard output: No space left')


@case
def output_dir_failure_keeps_the_previous_file(t):
    model = conv_model(t)
    out = t.path('out')
    t.run('sp-run', model, '--random', '--output-dir', out).ok()
    first = open(os.path.join(out, 'output_0.pb'), 'rb').read()

    def small_files():  # writes past 1 KB fail with EFBIG instead of killing
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
    argv = [t.tool('sp-run'), model, '--random', '--seed', '7', '--output-dir', out]
    p = subprocess.run(argv, capture_output=True, text=True, preexec_fn=small_files)
    r = probe.Result(argv, p)
    r.fails(r"cannot write '.*output_0.pb': File too large")
    expect(open(os.path.join(out, 'output_0.pb'), 'rb').read() == first,
           'output_0.pb was changed by the failed run')
    no_temp_files(out)
    t.run('sp-run', model, '--random', '--output-dir', t.path('model.onnx', 'x')).fails(
        r"cannot create directory '.*model.onnx/x': Not a directory")


@case
def concurrent_external_data_writers_never_mix(t):
    # two models of different widths (all 1s and all 2s) exported at once to one
    # pair: whichever wins, model and data must belong together
    sources = []
    for k, (channels, fill) in enumerate([(8, 1.0), (24, 2.0)]):
        onnx_path = conv_model(t, f'src{k}.onnx', channels, fill)
        mlir = t.path(f'src{k}.mlir')
        t.run('sp-translate', '--import-onnx', onnx_path, '-o', mlir).ok()
        sources.append(mlir)
    out = t.path('pair.onnx')
    import onnx
    from onnx.external_data_helper import load_external_data_for_model
    for attempt in range(12):
        procs = [subprocess.Popen([t.tool('sp-translate'), '--export-onnx', src, '-o', out,
                                   '--external-data=64'], stderr=subprocess.PIPE)
                 for src in (sources if attempt % 2 else sources[::-1])]
        for p in procs:
            _, err = p.communicate(timeout=60)
            expect(p.returncode == 0, f'export failed: {err.decode()}')
        m = onnx.load(out, load_external_data=False)
        load_external_data_for_model(m, t.dir)
        w = numpy_helper.to_array(m.graph.initializer[0])
        expect(w.shape[0] in (8, 24) and np.all(w == (1.0 if w.shape[0] == 8 else 2.0)),
               f'attempt {attempt}: model and data of different writers ({w.shape}, {w.flat[0]})')
    no_temp_files(t.dir)


@case
def sigterm_mid_write_leaves_no_temp_file(t):
    # 32 MB of weights: printing their hex takes long enough to interrupt
    w = np.ones((1024, 1024, 8, 1), np.float32)
    g = helper.make_graph(
        [helper.make_node('Conv', ['x', 'w'], ['y'], name='conv')], 'g',
        [helper.make_tensor_value_info('x', TP.FLOAT, [1, 1024, 4, 4])],
        [helper.make_tensor_value_info('y', TP.FLOAT, [1, 1024, 4, 4])],
        [numpy_helper.from_array(w.reshape(1024, 1024, 1, 8)[:, :, :, :1].copy(), 'w')])
    model = t.model(g)
    out = t.path('out.mlir')
    open(out, 'w').write('previous')
    for sig in (signal.SIGTERM, signal.SIGINT):
        p = subprocess.Popen([t.tool('sp-translate'), '--import-onnx', model, '-o', out],
                             stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None and \
                not any('.tmp.' in f for f in os.listdir(t.dir)):
            time.sleep(0.001)
        expect(p.poll() is None, 'finished before the temp file could be seen')
        p.send_signal(sig)
        p.communicate(timeout=60)
        expect(p.returncode == -sig, f'exit {p.returncode}, want death by {sig.name}')
        no_temp_files(t.dir)
        expect(open(out).read() == 'previous', 'the previous output was changed')


@case
def the_input_is_never_overwritten(t):
    model = conv_model(t)
    before = open(model, 'rb').read()
    t.run('sp-opt', model, '-o', model).fails(r"output '.*model.onnx' is the input file", rc=2)
    os.symlink('model.onnx', t.path('alias.onnx'))
    t.run('sp-opt', model, '-o', t.path('alias.onnx')).fails(r'is the input file', rc=2)
    mlir = t.path('m.mlir')
    t.run('sp-translate', '--import-onnx', model, '-o', mlir).ok()
    t.run('sp-translate', '--export-onnx', mlir, '-o', mlir).fails(r'is the input file', rc=2)
    expect(open(model, 'rb').read() == before, 'the input was changed')


@case
def graph_output_names_are_kept(t):
    # an output that is also an input, and one listed twice: callers bind by name
    g = helper.make_graph(
        [helper.make_node('Relu', ['x'], ['y'], name='relu')], 'g',
        [helper.make_tensor_value_info('x', TP.FLOAT, [2])],
        [helper.make_tensor_value_info(n, TP.FLOAT, [2]) for n in ('x', 'y', 'y')])
    model = t.model(g)
    out = t.path('out.onnx')
    t.run('sp-opt', model, '-o', out).ok()
    import onnx
    m = onnx.load(out)
    onnx.checker.check_model(m)
    names = [o.name for o in m.graph.output]
    expect(names == ['x', 'y', 'y'], f'outputs renamed: {names}')
    expect([n.op_type for n in m.graph.node] == ['Relu'], 'extra nodes added')
    # a value returned under two names keeps both names (one Identity)
    g = helper.make_graph(
        [helper.make_node('Relu', ['x'], ['y'], name='relu'),
         helper.make_node('Identity', ['y'], ['z'], name='id')], 'g',
        [helper.make_tensor_value_info('x', TP.FLOAT, [2])],
        [helper.make_tensor_value_info(n, TP.FLOAT, [2]) for n in ('y', 'z')])
    t.run('sp-opt', t.model(g, 'two.onnx'), '-o', out).ok()
    names = [o.name for o in onnx.load(out).graph.output]
    expect(names == ['y', 'z'], f'outputs renamed: {names}')


if __name__ == '__main__':
    probe.main()
