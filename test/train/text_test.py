#!/usr/bin/python3
"""sp-train --text: a character model (test/zoo/export_zoo.py's TinyGPT with a
128-token vocabulary, one layer, T = 16) on generated ASCII text:

- the loss and every parameter's gradient on the first batch
  (--dump-gradients) equal PyTorch autograd's in float64 on the same windows,
  with the next characters as labels (relative error <= 1e-5);
- --eval-only gives the validation cross-entropy PyTorch computes over the
  non-overlapping windows of --val-text, and bits per character = loss / ln 2;
- training lowers the training and validation bits per character;
- the loader thread on and off, and two epochs against one plus --resume,
  write byte-identical models; distillation from the untrained model runs
  per position.

  text_test.py --sp-train BUILD/tools/sp-train
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
sys.path.insert(0, os.path.join(HERE, '..', 'zoo'))
import ortlib  # noqa: E402
from export_zoo import TinyGPT  # noqa: E402

T, V, BATCH = 16, 128, 8
failures = []


def expect(cond, msg):
    if not cond:
        failures.append(msg)


def english(n, seed):
    """n bytes of ASCII sentences from a small vocabulary."""
    words = ('the a of to and in is that for it as was with on by he at from this '
             'license software copy program work any you may not under terms free '
             'source code distribute modify version public general').split()
    rng = np.random.default_rng(seed)
    out = []
    while sum(map(len, out)) < n:
        out.append(' '.join(rng.choice(words, rng.integers(4, 12))).capitalize() + '. ')
    return ''.join(out).encode('ascii')[:n]


def run(cmd, **kw):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if p.returncode:
        raise RuntimeError(f'{" ".join(map(str, cmd))} failed: {p.stderr.strip()}')
    return p


def windows(data, stride, count=None):
    """(x, y): windows of T bytes every stride, labels the next bytes."""
    b = np.frombuffer(data, np.uint8).astype(np.int64)
    n = (len(b) - T - 1) // stride + 1
    n = n if count is None else min(n, count)
    x = np.stack([b[i * stride:i * stride + T] for i in range(n)])
    y = np.stack([b[i * stride + 1:i * stride + T + 1] for i in range(n)])
    return torch.from_numpy(x), torch.from_numpy(y)


def torch_loss(model, x, y):
    out = model(x)
    return F.cross_entropy(out.reshape(-1, V), y.reshape(-1))


def check_gradients(sp_train, work, model, path, train):
    grads = os.path.join(work, 'grads')
    os.mkdir(grads)
    out = run([sp_train, path, '--text', train, '--batch', BATCH, '--threads', '1',
               '--dump-gradients', grads, '-q'])
    sp_loss = float(out.stdout.split()[1])
    ref = TinyGPT(vocab=V, block=T, d_model=16, heads=2, layers=1)
    ref.load_state_dict(model.state_dict())
    ref = ref.double().train()
    with open(train, 'rb') as f:
        x, y = windows(f.read(), T, BATCH)
    loss = torch_loss(ref, x, y)
    loss.backward()
    err = abs(sp_loss - loss.item()) / loss.item()
    expect(err <= 1e-5, f'loss {sp_loss} vs torch {loss.item()} (relative {err:.1e})')
    worst = 0.0
    for name, p in ref.named_parameters():
        f = os.path.join(grads, f'{name}.pb')
        if not os.path.exists(f):
            failures.append(f'{name}: no gradient dumped (not trained?)')
            continue
        want = p.grad.numpy()
        got = ortlib.load_pb(f).reshape(want.shape)
        e = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-12))
        worst = max(worst, e)
        expect(e <= 1e-5, f'gradient of {name}: relative error {e:.2e}')
    print(f'first batch: loss {sp_loss:.7f} (torch {loss.item():.7f}), gradients of '
          f'{len(list(ref.parameters()))} tensors within {worst:.1e} of autograd')
    return ref


def eval_only(sp_train, path, train, val):
    out = run([sp_train, path, '--text', train, '--val-text', val, '--eval-only',
               '--batch', '32']).stdout
    loss = float(out.split('loss ')[1].split(',')[0])
    bpc = float(out.split(', ')[2].split()[0])
    return loss, bpc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    a = ap.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as work:
        train, val = os.path.join(work, 'train.txt'), os.path.join(work, 'val.txt')
        with open(train, 'wb') as f:
            f.write(english(6000, 1))
        with open(val, 'wb') as f:
            f.write(english(1500, 2))
        model = TinyGPT(vocab=V, block=T, d_model=16, heads=2, layers=1).eval()
        with torch.no_grad():  # distinct norm parameters: the export merges equal initializers
            for name, p in model.named_parameters():
                if 'ln' in name:
                    p.add_(0.1 * torch.randn_like(p))
        path = os.path.join(work, 'char.onnx')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            torch.onnx.export(model, (torch.zeros(1, T, dtype=torch.int64),), path,
                              opset_version=17, do_constant_folding=False,
                              input_names=['tokens'], output_names=['logits'],
                              dynamic_axes={'tokens': {0: 'batch'}, 'logits': {0: 'batch'}})
        ref = check_gradients(a.sp_train, work, model, path, train)

        # validation: every non-overlapping window of val.txt, one label per position
        with open(val, 'rb') as f:
            vx, vy = windows(f.read(), T)
        with torch.no_grad():
            want = torch_loss(ref.eval(), vx, vy).item()
        loss, bpc = eval_only(a.sp_train, path, train, val)
        expect(abs(loss - want) <= 1e-5 * want, f'--eval-only loss {loss} vs torch {want}')
        expect(abs(bpc - loss / math.log(2)) <= 1e-5, f'bpc {bpc} is not loss/ln2 {loss}')
        print(f'untrained: val loss {loss:.6f} (torch {want:.6f}), {bpc:.4f} bits per character')

        # training
        log = os.path.join(work, 'log.json')
        tuned = os.path.join(work, 'tuned.onnx')
        recipe = ['--text', train, '--val-text', val, '--batch', '16', '--optimizer',
                  'adamw', '--lr', '0.01', '--threads', '2', '-q']
        run([a.sp_train, path] + recipe + ['--epochs', '4', '--log', log, '-o', tuned])
        with open(log) as f:
            epochs = [json.loads(line) for line in f]
        tb = [e['train_bpc'] for e in epochs]
        vb = [e['val_bpc'] for e in epochs]
        print('train bpc per epoch', ' '.join(f'{b:.3f}' for b in tb), '; val',
              ' '.join(f'{b:.3f}' for b in vb))
        expect(tb[-1] < tb[0] - 0.5, f'training bpc did not fall: {tb}')
        expect(vb[-1] < bpc - 1.0, f'val bpc {vb[-1]} not well below the untrained {bpc}')
        expect(all(abs(e['val_bpc'] - e['test_loss'] / math.log(2)) < 1e-5 for e in epochs),
               'val_bpc is not test_loss / ln 2')
        loss_after, bpc_after = eval_only(a.sp_train, tuned, train, val)
        expect(abs(bpc_after - vb[-1]) < 1e-5, f'--eval-only {bpc_after} vs log {vb[-1]}')

        # the loader thread and --resume change no bit
        def model_bytes(extra, env=None, epochs='2', name='m.onnx'):
            out = os.path.join(work, name)
            run([a.sp_train, path] + recipe + ['--epochs', epochs, '-o', out] + extra,
                env=dict(os.environ, **(env or {})))
            with open(out, 'rb') as f:
                return f.read()
        straight = model_bytes([])
        expect(model_bytes([], {'SP_TRAIN_LOADER_THREAD': '0'}) == straight,
               'the loader thread changed the trained model')
        model_bytes([], epochs='1', name='r.onnx')
        expect(model_bytes(['--resume'], name='r.onnx') == straight,
               'one epoch + --resume differs from two epochs')
        strided = model_bytes(['--text-stride', '5'], name='s.onnx')
        expect(strided != straight, '--text-stride changed nothing')

        # distillation per position from the untrained model
        p = run([a.sp_train, tuned, '--text', train, '--val-text', val, '--teacher', path,
                 '--kd-alpha', '0.5', '--batch', '16', '--threads', '2', '-o',
                 os.path.join(work, 'kd.onnx')])
        expect('bits per character' in p.stderr, f'no bpc in {p.stderr!r}')
    if failures:
        print('FAILED:\n  ' + '\n  '.join(failures))
        return 1
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
