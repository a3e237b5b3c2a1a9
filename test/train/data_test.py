#!/usr/bin/python3
"""sp-train end to end on its data sources, with a small classifier of 3x8x8
images (4 classes: a bright centre in channel 0, 1, 2 or none, plus noise):

- the same images as uint8 .npy, float32 .npy (p/255), and a folder of
  input_N.pb/label_N.pb (batches and single samples) train to byte-identical
  models (per-channel --mean/--std, --augment flip,crop=2, the same seed);
- the loader thread and --no-loader-thread give byte-identical models; so do
  two runs with the same seed, while another seed, or no augmentation, differ;
- training learns: validation top-1 (--val-npy / --val-dir) above 0.9.
With --example, also the shipped Fashion-MNIST ResNet (a short --limit run
with augmentation): loader thread on and off byte-identical.

  data_test.py --sp-train BUILD/tools/sp-train [--example]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
MEAN, STD = '0.3,0.35,0.4', '0.2,0.25,0.3'


def images(n, seed):
    """n uint8 images (3, 8, 8) of noise; classes 0-2 light the centre of that
    channel, class 3 none (so flips and small crops keep the class)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 4
    x = rng.integers(0, 90, (n, 3, 8, 8))
    for i, k in enumerate(y):
        if k < 3:
            x[i, k, 2:6, 2:6] += 150
    return x.astype(np.uint8), y.astype(np.int64)


def classifier(path):
    rng = np.random.default_rng(1)
    g = helper.make_graph(
        [helper.make_node('Flatten', ['x'], ['f'], name='flatten'),
         helper.make_node('Gemm', ['f', 'w1', 'b1'], ['h'], name='fc1', transB=1),
         helper.make_node('Relu', ['h'], ['a'], name='act'),
         helper.make_node('Gemm', ['a', 'w2', 'b2'], ['y'], name='fc2', transB=1)],
        'clf', [helper.make_tensor_value_info('x', TP.FLOAT, ['batch', 3, 8, 8])],
        [helper.make_tensor_value_info('y', TP.FLOAT, ['batch', 4])],
        [numpy_helper.from_array((rng.standard_normal((32, 192)) * 0.05).astype(np.float32),
                                 'w1'),
         numpy_helper.from_array(np.zeros(32, np.float32), 'b1'),
         numpy_helper.from_array((rng.standard_normal((4, 32)) * 0.1).astype(np.float32), 'w2'),
         numpy_helper.from_array(np.zeros(4, np.float32), 'b2')])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return path


def as_float(x):
    return x.astype(np.float32) / np.float32(255)  # float32 division, as the loader's


def write_pb_dir(d, x, y):
    """input_N.pb/label_N.pb: batches of 16, then single samples with scalar labels."""
    os.makedirs(d)
    n = 0
    for first in range(0, len(x), 16):
        if first + 16 <= len(x) - 5:
            parts = [(x[first:first + 16], y[first:first + 16])]
        else:
            parts = [(x[i], y[i]) for i in range(first, min(first + 16, len(x)))]
        for xi, yi in parts:
            onnx.save_tensor(numpy_helper.from_array(as_float(xi), 'x'),
                             os.path.join(d, f'input_{n}.pb'))
            onnx.save_tensor(numpy_helper.from_array(np.asarray(yi, np.int64), 'y'),
                             os.path.join(d, f'label_{n}.pb'))
            n += 1


class Runner:
    def __init__(self, sp_train, tmp):
        self.sp_train, self.tmp, self.failures = sp_train, tmp, []

    def train(self, name, *args, env=None):
        out = os.path.join(self.tmp, name + '.onnx')
        log = os.path.join(self.tmp, name + '.log')
        cmd = [self.sp_train, *args, '--log', log, '-q', '-o', out]
        r = subprocess.run(cmd, capture_output=True, text=True,
                           env=dict(os.environ, **(env or {})))
        if r.returncode:
            sys.exit(f'FAIL {name}: {" ".join(cmd)}\n{r.stderr}')
        with open(out, 'rb') as f:
            model = f.read()
        with open(log) as f:
            epochs = [json.loads(line) for line in f]
        return model, epochs

    def expect(self, ok, what):
        print(('ok   ' if ok else 'FAIL ') + what)
        if not ok:
            self.failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    ap.add_argument('--example', action='store_true')
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = Runner(a.sp_train, tmp)
        model = classifier(os.path.join(tmp, 'clf.onnx'))
        x, y = images(200, 0)
        vx, vy = images(80, 1)
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        np.save(p('x_u8.npy'), x)
        np.save(p('x_f4.npy'), as_float(x))
        np.save(p('y.npy'), y)
        np.save(p('y_i4.npy'), y.astype(np.int32))
        np.save(p('vx.npy'), vx)
        np.save(p('vy.npy'), vy)
        write_pb_dir(p('train_pb'), x, y)
        write_pb_dir(p('val_pb'), vx, vy)
        def options(seed='5', augment=('--augment', 'flip,crop=2')):
            return ['--mean', MEAN, '--std', STD, *augment, '--seed', seed, '--epochs', '3',
                    '--batch', '16', '--lr', '0.05', '--threads', '1']
        common = options()
        u8, log_u8 = r.train('u8', model, '--train-npy', p('x_u8.npy'), p('y.npy'),
                             '--val-npy', p('vx.npy'), p('vy.npy'), *common)
        f4, _ = r.train('f4', model, '--train-npy', p('x_f4.npy'), p('y_i4.npy'),
                        '--val-npy', p('vx.npy'), p('vy.npy'), *common)
        pb, log_pb = r.train('pb', model, '--train-dir', p('train_pb'), '--val-dir',
                             p('val_pb'), *common)
        sync, _ = r.train('sync', model, '--train-npy', p('x_u8.npy'), p('y.npy'),
                          '--val-npy', p('vx.npy'), p('vy.npy'), *common, '--no-loader-thread')
        env0, _ = r.train('env0', model, '--train-npy', p('x_u8.npy'), p('y.npy'), *common,
                          env={'SP_TRAIN_LOADER_THREAD': '0'})
        again, _ = r.train('again', model, '--train-npy', p('x_u8.npy'), p('y.npy'), *common)
        seed6, _ = r.train('seed6', model, '--train-npy', p('x_u8.npy'), p('y.npy'),
                           *options(seed='6'))
        plain, _ = r.train('plain', model, '--train-npy', p('x_u8.npy'), p('y.npy'),
                           *options(augment=()))
        r.expect(u8 == f4, 'uint8 and float32 .npy train to the same model')
        r.expect(u8 == pb, 'an input_N.pb folder trains to the same model as the .npy')
        r.expect(u8 == sync, 'loader thread and --no-loader-thread: the same model')
        r.expect(env0 == again == sync, 'SP_TRAIN_LOADER_THREAD=0 and a second run: the same')
        r.expect(seed6 != u8, 'another seed gives another model')
        r.expect(plain != u8, 'augmentation changes the model')
        top1 = [e['test_top1'] for e in log_u8]
        r.expect(top1[-1] > 0.9 and log_u8[-1]['loss'] < log_u8[0]['loss'],
                 f'it learns: validation top-1 {top1}, loss {log_u8[0]["loss"]:.3f} -> '
                 f'{log_u8[-1]["loss"]:.3f}')
        r.expect([e['test_top1'] for e in log_pb] == top1, '--val-dir evaluates as --val-npy')

        if a.example:
            fm = ['--data', 'fashion-mnist', '--mean', '0.2860', '--std', '0.3530',
                  '--limit', '256', '--batch', '64', '--augment', 'flip,crop=2', '--seed', '3',
                  '--threads', '2']
            example = os.path.join(ROOT, 'examples', 'fashion_resnet.onnx')
            threaded, log_t = r.train('fm_thread', example, *fm)
            single, log_s = r.train('fm_single', example, *fm, '--no-loader-thread')
            r.expect(threaded == single,
                     'shipped ResNet, --limit 256 with augmentation: loader thread on and off '
                     f'byte-identical ({log_t[0]["samples_per_second"]:.0f} vs '
                     f'{log_s[0]["samples_per_second"]:.0f} samples/s)')
    if r.failures:
        sys.exit(f'{len(r.failures)} failed')
    print('all passed')


if __name__ == '__main__':
    main()
