#!/usr/bin/python3
"""sp-train runs as a whole (no PyTorch needed), on tiny generated data:

- --seed: two runs with the same seed and --threads write byte-identical models
  (the shipped ResNet: shuffling, BatchNormalization statistics); another seed
  gives other weights;
- --resume: 2 epochs straight equal 1 epoch + resume for 1 more, bit for bit
  (SGD with Nesterov momentum and a step schedule; AdamW), the state file
  holding the moments, the step count, the epoch and the seed;
- --freeze: frozen initializers are byte-identical after training and get no
  gradient (--dump-gradients writes none), the others change; an int64 shape
  initializer never trains.

  run_test.py --sp-train BUILD/tools/sp-train
"""
import argparse
import os
import re
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import trainlib  # noqa: E402

RESNET = os.path.join(HERE, '..', '..', 'examples', 'fashion_resnet.onnx')
failures = []


def expect(cond, msg):
    if not cond:
        failures.append(msg)


def same_bytes(a, b):
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        return fa.read() == fb.read()


def seed_reproducible(sp_train, work, data):
    common = [sp_train, RESNET, '--data', f'fashion-mnist:{data}', '--batch', '16',
              '--epochs', '2', '--lr', '0.05', '--threads', '2', '-q']
    a, b, c = (os.path.join(work, f'seed{i}.onnx') for i in 'abc')
    trainlib.run(common + ['--seed', '5', '-o', a])
    trainlib.run(common + ['--seed', '5', '-o', b])
    trainlib.run(common + ['--seed', '6', '-o', c])
    expect(same_bytes(a, b), 'two runs with --seed 5 --threads 2 wrote different models')
    expect(not same_bytes(a, c), '--seed 5 and --seed 6 wrote the same model')
    print('seed: same seed same bytes, other seed other weights')


def resume_is_exact(sp_train, work, data, optim):
    common = [sp_train, RESNET, '--data', f'fashion-mnist:{data}', '--batch', '16',
              '--limit', '80', '--threads', '2', '--seed', '3', '-q'] + optim
    straight = os.path.join(work, 'straight.onnx')
    trainlib.run(common + ['--epochs', '2', '-o', straight])
    resumed = os.path.join(work, 'resumed.onnx')
    trainlib.run(common + ['--epochs', '1', '-o', resumed])
    one_epoch = trainlib.weights(resumed)
    expect(os.path.exists(resumed + '.state'), 'no state file beside the checkpoint')
    trainlib.run(common + ['--epochs', '2', '--resume', '-o', resumed])
    a, b = trainlib.weights(straight), trainlib.weights(resumed)
    differ = [n for n in a if a[n].tobytes() != b[n].tobytes()]
    expect(not differ, f'{" ".join(optim)}: resumed run differs from the straight one in '
           f'{len(differ)} tensors, e.g. {differ[:3]}')
    moved = [n for n in a if a[n].tobytes() != one_epoch[n].tobytes()]
    expect(moved, f'{" ".join(optim)}: the resumed epoch changed nothing')
    print(f'resume {" ".join(optim)}: {len(a)} tensors bit for bit, {len(moved)} moved in '
          f'the resumed epoch')


def freeze(sp_train, work, data):
    model = trainlib.classifier(os.path.join(work, 'clf.onnx'), reshape=True)
    out = os.path.join(work, 'frozen.onnx')
    trainlib.run([sp_train, model, '--data', f'fashion-mnist:{data}', '--batch', '8',
                  '--epochs', '2', '--lr', '0.1', '--freeze', 'w1', '--freeze', 'b?',
                  '-o', out, '-q'])
    before, after = trainlib.weights(model), trainlib.weights(out)
    for name in ('w1', 'b1', 'b2', 'shape'):
        expect(before[name].tobytes() == after[name].tobytes(), f'frozen {name} changed')
    expect(before['w2'].tobytes() != after['w2'].tobytes(), 'w2 (not frozen) did not train')
    grads = os.path.join(work, 'grads')
    os.mkdir(grads)
    trainlib.run([sp_train, model, '--data', f'fashion-mnist:{data}', '--batch', '8',
                  '--freeze', 'w1', '--dump-gradients', grads, '-q'])
    expect(sorted(os.listdir(grads)) == ['b1.pb', 'b2.pb', 'w2.pb'],
           f'gradients of {sorted(os.listdir(grads))} with w1 frozen')
    print('freeze: w1, b1, b2 and the int64 shape byte-identical, w2 trained; '
          'no gradient for a frozen w1')


def progress(sp_train, work, data):
    """A terminal gets a bar redrawn in place (and cleared before the epoch
    line); a pipe gets plain lines only."""
    import pty
    import subprocess
    argv = [sp_train, RESNET, '--data', f'fashion-mnist:{data}', '--batch', '16', '--threads',
            '1', '-o', os.path.join(work, 'progress.onnx')]
    piped = subprocess.run(argv, capture_output=True, check=True).stderr.decode()  # \r kept
    expect('\r' not in piped and '\033' not in piped and
           re.search(r'^epoch 1/1: loss [0-9.]+, test top-1 [0-9.]+%', piped, re.M),
           f'progress on a pipe: {piped!r}')
    leader, follower = pty.openpty()
    subprocess.run(argv, stderr=follower, check=True)
    os.close(follower)
    seen = b''
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is gone: all read
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    expect(re.search(rb'\r\033\[Kepoch 1/1: loss [0-9.]+, test top-1', seen),
           f'progress on a terminal: {seen!r}')
    print('progress: plain lines on a pipe, a bar cleared in place on a terminal')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='sp-train-run-') as work:
        data, _, _ = trainlib.idx_dir(work, n=96)
        checks = [
            lambda: seed_reproducible(args.sp_train, work, data),
            lambda: resume_is_exact(args.sp_train, work, data,
                                    ['--nesterov', '--lr', '0.05', '--schedule', 'step',
                                     '--step-size', '3', '--gamma', '0.5', '--weight-decay',
                                     '1e-3']),
            lambda: resume_is_exact(args.sp_train, work, data,
                                    ['--optimizer', 'adamw', '--lr', '1e-3', '--weight-decay',
                                     '0.01']),
            lambda: freeze(args.sp_train, work, data),
            lambda: progress(args.sp_train, work, data)]
        for check in checks:
            try:
                check()
            except RuntimeError as e:  # a run that failed
                failures.append(str(e))
    for f in failures:
        print('FAIL', f)
    print(f'{0 if failures else 1} passed, {1 if failures else 0} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
