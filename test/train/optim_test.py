#!/usr/bin/python3
"""sp-train's losses, schedules and optimizers against PyTorch on a tiny
classifier (Flatten -> Gemm -> Relu -> Gemm, test/train/trainlib.py) and
generated 28x28 data, the reference computed in float64 from the same ONNX
weights:

- losses: the loss value and every parameter's gradient (--dump-gradients) of
  cross-entropy with label smoothing, distillation from a teacher model
  (A * F.kl_div(log_softmax(s/T), log_softmax(t/T), log_target=True,
  reduction='batchmean') * T^2 + (1 - A) * cross-entropy), and MSE against the
  one-hot labels and against the teacher's logits;
- schedules and optimizers: one step per epoch on the whole set, each step's
  learning rate (--log-every 1) against torch.optim.lr_scheduler (StepLR,
  CosineAnnealingLR, OneCycleLR with cycle_momentum=False, LinearLR warm-up
  then cosine through SequentialLR) and the weights after the last step
  against torch.optim.SGD (momentum, Nesterov, weight decay) and AdamW.

  optim_test.py --sp-train BUILD/tools/sp-train
"""
import argparse
import json
import os
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore", category=UserWarning)  # SequentialLR steps with epoch=

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import ortlib  # noqa: E402
import trainlib  # noqa: E402

N = 32  # images: one batch, one step per epoch
failures = []


def expect(cond, msg):
    if not cond:
        failures.append(msg)


def torch_params(path):
    return {k: torch.tensor(v.astype(np.float64), requires_grad=True)
            for k, v in trainlib.weights(path).items()}


def forward(p, x):
    return F.relu(x @ p['w1'].T + p['b1']) @ p['w2'].T + p['b2']


def rel(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(b).max(), 1e-12))


def check_losses(sp_train, work, data, x, y):
    student = trainlib.classifier(os.path.join(work, 'student.onnx'))
    teacher = trainlib.classifier(os.path.join(work, 'teacher.onnx'), hidden=24, seed=2)
    with torch.no_grad():
        t_logits = forward(torch_params(teacher), x)
    T, A, eps = 3.0, 0.7, 0.1

    def kd(s):
        kl = F.kl_div(F.log_softmax(s / T, 1), F.log_softmax(t_logits / T, 1), log_target=True,
                      reduction='batchmean')
        return A * kl * T * T + (1 - A) * F.cross_entropy(s, y, label_smoothing=eps)

    one_hot = F.one_hot(y, 10).double()
    cases = [
        ('xent', ['--label-smoothing', str(eps)],
         lambda s: F.cross_entropy(s, y, label_smoothing=eps)),
        ('kd', ['--teacher', teacher, '--kd-temp', str(T), '--kd-alpha', str(A),
                '--label-smoothing', str(eps)], kd),
        ('mse one-hot', ['--loss', 'mse'], lambda s: F.mse_loss(s, one_hot)),
        ('mse teacher', ['--loss', 'mse', '--teacher', teacher],
         lambda s: F.mse_loss(s, t_logits)),
    ]
    for name, flags, loss_fn in cases:
        grads = os.path.join(work, 'grads-' + name.replace(' ', '-'))
        os.mkdir(grads)
        out = trainlib.run([sp_train, student, '--data', f'fashion-mnist:{data}', '--batch',
                            str(N), '--threads', '1', '--dump-gradients', grads, '-q'] + flags)
        sp_loss = float(out.stdout.split()[1])
        p = torch_params(student)
        loss = loss_fn(forward(p, x))
        loss.backward()
        err_loss = abs(sp_loss - loss.item()) / abs(loss.item())
        expect(err_loss < 1e-5, f'{name}: loss {sp_loss} vs torch {loss.item()}')
        worst = 0.0
        for k, v in p.items():
            g = ortlib.load_pb(os.path.join(grads, f'{k}.pb')).reshape(v.shape)
            err = rel(g, v.grad.numpy())
            worst = max(worst, err)
            expect(err < 1e-4, f'{name}: gradient of {k}: relative error {err:.2e}')
        print(f'loss {name}: value {sp_loss:.6f} (error {err_loss:.1e}), gradients worst '
              f'relative error {worst:.1e}')


def torch_schedule(opt, kind, steps, warmup, step_size, gamma):
    S = torch.optim.lr_scheduler
    if kind == 'constant':
        return S.LambdaLR(opt, lambda s: 1.0)
    if kind == 'step':
        return S.StepLR(opt, step_size=step_size, gamma=gamma)
    if kind == 'one-cycle':
        return S.OneCycleLR(opt, max_lr=opt.param_groups[0]['lr'], total_steps=steps,
                            cycle_momentum=False)
    cosine = S.CosineAnnealingLR(opt, T_max=steps - warmup)
    if not warmup:
        return cosine
    linear = S.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
    return S.SequentialLR(opt, [linear, cosine], milestones=[warmup])


def check_optimizers(sp_train, work, data, x, y):
    student = trainlib.classifier(os.path.join(work, 'student.onnx'))
    steps = 9
    runs = [  # (sp-train flags, torch optimizer, schedule, warm-up)
        (['--lr', '0.1', '--momentum', '0.9', '--nesterov', '--weight-decay', '1e-3',
          '--schedule', 'one-cycle'],
         lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
         'one-cycle', 0),
        (['--lr', '0.1', '--momentum', '0.8', '--schedule', 'step', '--step-size', '2',
          '--gamma', '0.7'],
         lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.8), 'step', 0),
        (['--optimizer', 'adamw', '--lr', '0.01', '--weight-decay', '0.05', '--schedule',
          'cosine', '--warmup', '3'],
         lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.05), 'cosine', 3),
        (['--optimizer', 'adamw', '--lr', '0.003', '--schedule', 'one-cycle', '--pct-start',
          '0.5'],
         lambda ps: torch.optim.AdamW(ps, lr=0.003, weight_decay=0.0), 'one-cycle-0.5', 0),
        (['--lr', '0.05', '--momentum', '0', '--schedule', 'cosine'],
         lambda ps: torch.optim.SGD(ps, lr=0.05), 'cosine', 0),
    ]
    for i, (flags, make_opt, kind, warmup) in enumerate(runs):
        out, log = os.path.join(work, f'o{i}.onnx'), os.path.join(work, f'o{i}.log')
        trainlib.run([sp_train, student, '--data', f'fashion-mnist:{data}', '--batch', str(N),
                      '--epochs', str(steps), '--threads', '1', '--log', log, '--log-every',
                      '1', '-o', out, '-q'] + flags)
        lines = [json.loads(l) for l in open(log)]
        sp_lrs = [l['lr'] for l in lines if 'step' in l]
        p = torch_params(student)
        opt = make_opt(list(p.values()))
        if kind == 'one-cycle-0.5':
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.003, total_steps=steps,
                                                        pct_start=0.5, cycle_momentum=False)
        else:
            sched = torch_schedule(opt, kind, steps, warmup, 2, 0.7)
        lrs = []
        for _ in range(steps):
            lrs.append(opt.param_groups[0]['lr'])
            opt.zero_grad()
            F.cross_entropy(forward(p, x), y).backward()
            opt.step()
            sched.step()
        name = ' '.join(flags)
        err_lr = rel(sp_lrs, lrs) if len(sp_lrs) == steps else float('inf')
        expect(err_lr < 1e-6, f'{name}: learning rates {sp_lrs} vs torch {lrs}')
        trained = trainlib.weights(out)
        worst = max(rel(trained[k], v.detach().numpy()) for k, v in p.items())
        moved = max(rel(trained[k], trainlib.weights(student)[k]) for k in p)
        expect(worst < 1e-4, f'{name}: weights after {steps} steps: relative error {worst:.2e}')
        print(f'{name}: {steps} learning rates (error {err_lr:.1e}), weights after {steps} '
              f'steps relative error {worst:.1e} (moved {moved:.1e})')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='sp-train-optim-') as work:
        data, img, lab = trainlib.idx_dir(work, n=N)
        x = torch.from_numpy((img.astype(np.float32) / np.float32(255)).astype(np.float64)
                             .reshape(N, 784))
        y = torch.from_numpy(lab)
        check_losses(args.sp_train, work, data, x, y)
        check_optimizers(args.sp_train, work, data, x, y)
    for f in failures:
        print('FAIL', f)
    print(f'{0 if failures else 1} passed, {1 if failures else 0} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
