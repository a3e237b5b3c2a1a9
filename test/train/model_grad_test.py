#!/usr/bin/python3
"""Whole-graph gradients of the runtime's backward kernels against PyTorch
autograd, through grad_probe (one training-mode forward and backward of any
ONNX model, any input types, any output shape):

  - small torch modules using each op that gained a backward kernel
    (LayerNormalization on several axes and without bias; the decomposed
    LayerNorm chain ReduceMean/Sub/Pow/Sqrt/Div; Erf (GELU), HardSigmoid,
    HardSwish, LeakyRelu, Exp, Log, Abs, Neg, Sqrt, Pow with a constant and
    a trained exponent, ReduceSum; Concat, Split, Slice with steps, Gather,
    Expand, Pad reflect/edge, Where), and one made of the patterns inference
    fuses (Conv+BN+Relu, Conv+HardSwish, Conv+SiLU, Conv+residual+Clip,
    MatMul+bias+GELU), which training must differentiate unfused;
  - the zoo's tiny_gpt (token ids in, (batch, seq, vocab) logits out),
    tiny_encoder and resnet18 (BatchNormalization on batch statistics), built
    from test/zoo/export_zoo.py's definitions and exported here;
  - sp_trainer itself (grad_probe --trainer) on tiny_gpt, whose loss is the
    cross-entropy of every position's logits against a (batch, seq) label
    array, and on tiny_encoder (one label a sequence), token ids in;
  - Dropout in training mode: a seed repeats the gradients exactly, another
    changes them, about p of the elements drop, and the gradient is zero
    exactly where the output was dropped.

The loss is sum(output * R) for a fixed random R (dout_0.pb), so every
output element is checked. For each parameter: max |sp - torch| over max
|torch| (float64) must be at most 1e-3 (floor 1e-3 for a tensor whose
gradient is ~0). Each torch parameter must also be one lib/train trains
(grad_probe's trainer_params.txt).

  model_grad_test.py --grad-probe BUILD/test/grad_probe
"""
import argparse
import copy
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'test', 'zoo'))
sys.path.insert(0, os.path.join(ROOT, 'test', 'tools'))
from export_zoo import TinyEncoderClassifier, TinyGPT, randomize  # noqa: E402
import ortlib  # noqa: E402

TOL = 1e-3


# ---------------------------------------------------------------- small modules

class NormNet(nn.Module):
    """LayerNormalization ops (opset 17): over the last two axes with scale
    and bias, over the last axis with a scale only; LeakyRelu."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 6)
        self.ln = nn.LayerNorm((4, 6))
        self.g = nn.Parameter(1 + 0.3 * torch.randn(6))
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):  # (B, 4, 6)
        h = self.ln(self.fc1(x))
        h = F.layer_norm(h, (6,), self.g, None, 1e-5)
        return self.fc2(F.leaky_relu(h, 0.1))


class MathNet(nn.Module):
    """Opset 14: nn.LayerNorm as ReduceMean/Sub/Pow/Sqrt/Div, GELU as Erf,
    HardSigmoid, HardSwish, Exp, Log, Abs, Neg, Sqrt, Pow (constant 3 and a
    trained exponent), ReduceSum and ReduceMean without keepdims."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(7, 8)
        self.ln = nn.LayerNorm(8)
        self.p = nn.Parameter(torch.full((8,), 1.5) + 0.1 * torch.randn(8))
        self.fc2 = nn.Linear(8, 5)

    def forward(self, x):  # (B, 3, 7)
        h = F.gelu(self.ln(self.fc1(x)))
        h = F.hardsigmoid(h) + F.hardswish(h * 3)
        h = torch.exp(-h) + torch.log(h.abs() + 1) + torch.sqrt(h * h + 1)
        h = h ** 3 * 0.1 + (h.abs() + 0.5) ** self.p
        h = h + h.sum(dim=1, keepdim=True) * 0.1
        return self.fc2(h).mean(dim=1)


class MoveNet(nn.Module):
    """Opset 13 data movement: Concat, Split (sizes), Slice with a step,
    Gather (2-D indices into a table, and along axis 1), Expand of a
    learned token, Pad reflect and edge, Where with a constant mask."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, 3, padding=1)
        self.table = nn.Parameter(torch.randn(9, 5))
        self.token = nn.Parameter(torch.randn(1, 1, 5))
        self.register_buffer('idx', torch.tensor([[3, 0, 8], [3, 5, 1]]))
        self.register_buffer('cols', torch.tensor([4, 0, 2, 4]))
        self.register_buffer('mask', torch.rand(1, 1, 5) > 0.5)
        self.fc = nn.Linear(5, 4)

    def forward(self, x):  # (B, 2, 5, 6)
        h = self.conv(x)                                       # (B, 6, 5, 6)
        a, b, c = torch.split(h, [1, 3, 2], dim=1)
        h = torch.cat([F.pad(b, (2, 1, 1, 2), mode='reflect'),
                       F.pad(a * c[:, :1], (2, 1, 1, 2), mode='replicate')], dim=1)
        h = h[:, :, 1::2, ::3]                                 # (B, 4, 4, 3)
        h = h.flatten(2)[:, :, self.cols[:3]]                  # (B, 4, 3)
        h = torch.tanh(h) @ self.table[self.idx].sum(0)[:3]    # (B, 4, 5)
        t = self.token.expand(h.shape[0], 1, 5)
        h = torch.cat([t, h], dim=1)                           # (B, 5, 5)
        h = torch.where(self.mask, h, h * h)
        return self.fc(h).flatten(1)


class FusableNet(nn.Module):
    """The patterns inference fuses (fuse.c), which training must keep apart:
    Conv+BatchNormalization+Relu, Conv+HardSwish, Conv+SiLU (Sigmoid, Mul),
    Conv+Clip (ReLU6) with a residual Add, MatMul+bias+GELU (Erf chain)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 1)
        self.c3 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.c4 = nn.Conv2d(8, 8, 1)
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):  # (B, 3, 6, 6)
        h = torch.relu(self.bn(self.c1(x)))
        h = F.hardswish(self.c2(h))
        h = F.silu(self.c3(h))
        h = F.relu6(self.c4(h) + h)
        h = h.mean(dim=(2, 3))
        return self.fc2(F.gelu(self.fc1(h)))


class DropNet(nn.Module):
    """Dropout in training mode on x * w: w's gradient is R x / (1 - p)
    where the element was kept, 0 where it dropped."""

    def __init__(self, n):
        super().__init__()
        self.w = nn.Parameter(torch.randn(4, n))

    def forward(self, x):
        return F.dropout(x * self.w, p=0.3, training=True)


# ---------------------------------------------------------------- plumbing

def write_pb(path, array):
    with open(path, 'wb') as f:
        f.write(numpy_helper.from_array(array).SerializeToString())


def export(model, example, path, opset, training=torch.onnx.TrainingMode.PRESERVE):
    model.eval()
    names = [f'in{i}' for i in range(len(example))]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(model, tuple(example), path, opset_version=opset,
                          training=training, do_constant_folding=False,
                          input_names=names, output_names=['out'],
                          dynamic_axes={n: {0: 'batch'} for n in names})


def probe(grad_probe, path, inputs, dout, params, work, seed=None):
    """Runs grad_probe; returns (output, {param: gradient}, trainer params)."""
    os.makedirs(os.path.join(work, 'grad'), exist_ok=True)
    for i, x in enumerate(inputs):
        write_pb(os.path.join(work, f'input_{i}.pb'), x)
    write_pb(os.path.join(work, 'dout_0.pb'), dout)
    with open(os.path.join(work, 'params.txt'), 'w') as f:
        f.write(''.join(p + '\n' for p in params))
    cmd = [grad_probe, path, work] + (['--seed', str(seed)] if seed is not None else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f'grad_probe failed: {p.stderr.strip()}')
    grads = {n: ortlib.load_pb(os.path.join(work, 'grad', f'{n}.pb')) for n in params}
    with open(os.path.join(work, 'trainer_params.txt')) as f:
        trained = set(f.read().split())
    return ortlib.load_pb(os.path.join(work, 'output_0.pb')), grads, trained


def kink_margin(model, x):
    """How far the float64 forward of model on x stays from the kinks where
    float32 and float64 may take different branches: the least |input| of
    any ReLU, and the least gap between a max-pool window's two largest
    (positive) values. Closer than float32's rounding, sp and torch may
    route a gradient differently, and both be right."""
    model = copy.deepcopy(model).double().train()
    margins = [float('inf')]

    def relu(mod, inp, out):
        margins.append(float(inp[0].detach().abs().min()))

    def pool(mod, inp, out):
        v = F.pad(inp[0].detach(), [mod.padding] * 4, value=-float('inf'))
        w = v.unfold(2, mod.kernel_size, mod.stride).unfold(3, mod.kernel_size, mod.stride)
        top = w.flatten(-2).topk(2, dim=-1).values
        gap = (top[..., 0] - top[..., 1])[top[..., 0] > 0]
        margins.append(float(gap.min()) if gap.numel() else float('inf'))

    for mod in model.modules():
        if isinstance(mod, nn.ReLU):
            mod.inplace = False
            mod.register_forward_hook(relu)
        elif isinstance(mod, nn.MaxPool2d):
            mod.register_forward_hook(pool)
    with torch.no_grad():
        model(torch.from_numpy(x).double())
    return min(margins)


def kink_free_images(model, shape, margin=2e-6, tries=30):
    """The first of a fixed sequence of random batches whose forward keeps
    kink_margin above margin."""
    for seed in range(tries):
        x = np.random.default_rng(100 + seed).standard_normal(shape).astype(np.float32)
        m = kink_margin(model, x)
        if m > margin:
            print(f'input seed {100 + seed}: kink margin {m:.1e}', flush=True)
            return x
    raise RuntimeError(f'no batch in {tries} stays {margin} from every kink')


def check(name, model, inputs, opset, grad_probe, work, floor=1e-3):
    """Exports model, compares every parameter's gradient of sum(out * R)."""
    torch.manual_seed(1)
    work = os.path.join(work, name)
    os.makedirs(work)
    path = os.path.join(work, f'{name}.onnx')
    export(copy.deepcopy(model), [torch.from_numpy(x) for x in inputs], path, opset)
    ref = copy.deepcopy(model).double().train()
    args = [torch.from_numpy(x).double() if x.dtype == np.float32 else torch.from_numpy(x)
            for x in inputs]
    out = ref(*args)
    r = np.random.default_rng(3).standard_normal(tuple(out.shape)).astype(np.float32)
    (out * torch.from_numpy(r).double()).sum().backward()
    params = [n for n, _ in ref.named_parameters()]
    inits = {t.name for t in onnx.load(path).graph.initializer}
    missing = [n for n in params if n not in inits]
    if missing:
        return [f'{name}: parameters not in the export: {missing[:3]}']
    y, grads, trained = probe(grad_probe, path, inputs, r, params, work)
    failures = []
    out_err = float(np.abs(y.reshape(out.shape) - out.detach().numpy()).max()
                    / max(np.abs(out.detach().numpy()).max(), 1e-6))
    if out_err > TOL:
        failures.append(f'{name}: forward output off by {out_err:.2e}')
    worst, worst_name = 0.0, ''
    for n, p in ref.named_parameters():
        want = p.grad.numpy()
        got = grads[n].reshape(want.shape)
        err = float(np.abs(got - want).max() / max(np.abs(want).max(), floor))
        if err > worst:
            worst, worst_name = err, n
        if err > TOL:
            failures.append(f'{name}: gradient of {n}: relative error {err:.2e}')
    untrained = [n for n in params if n not in trained]
    if untrained:
        failures.append(f'{name}: lib/train would not train {untrained[:3]}')
    print(f'{name}: {len(params)} gradients, worst relative error {worst:.2e} '
          f'({worst_name}), output {out_err:.1e}', flush=True)
    return failures


def check_trainer(name, model, tokens, labels, grad_probe, work):
    """lib/train's own loss on a token model: cross-entropy over the last
    axis of the logits with one label per row, against torch's."""
    work = os.path.join(work, name + '_trainer')
    os.makedirs(os.path.join(work, 'trainer_grad'))
    path = os.path.join(work, f'{name}.onnx')
    export(copy.deepcopy(model), [torch.from_numpy(tokens)], path, 14)
    write_pb(os.path.join(work, 'input_0.pb'), tokens)
    write_pb(os.path.join(work, 'labels.pb'), labels)
    p = subprocess.run([grad_probe, path, work, '--trainer'], capture_output=True, text=True)
    if p.returncode:
        return [f'{name} trainer: grad_probe failed: {p.stderr.strip()}']
    ref = copy.deepcopy(model).double().train()
    out = ref(torch.from_numpy(tokens))
    loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), torch.from_numpy(labels).reshape(-1))
    loss.backward()
    with open(os.path.join(work, 'loss.txt')) as f:
        sp_loss = float(f.read())
    failures = []
    if abs(sp_loss - loss.item()) > 1e-4 * abs(loss.item()):
        failures.append(f'{name} trainer: loss {sp_loss} != torch {loss.item()}')
    worst = 0.0
    for n, q in ref.named_parameters():
        f = os.path.join(work, 'trainer_grad', f'{n}.pb')
        if not os.path.exists(f):
            failures.append(f'{name} trainer: {n} is not trained')
            continue
        want = q.grad.numpy()
        err = float(np.abs(ortlib.load_pb(f).reshape(want.shape) - want).max()
                    / max(np.abs(want).max(), 1e-3))
        worst = max(worst, err)
        if err > TOL:
            failures.append(f'{name} trainer: gradient of {n}: relative error {err:.2e}')
    print(f'{name} trainer: loss {sp_loss:.6f} (torch {loss.item():.6f}), worst relative '
          f'error {worst:.2e}', flush=True)
    return failures


def check_dropout(grad_probe, work):
    n, p = 500, 0.3
    work = os.path.join(work, 'dropout')
    os.makedirs(work)
    path = os.path.join(work, 'dropout.onnx')
    model = DropNet(n)
    x = np.random.default_rng(4).standard_normal((4, n)).astype(np.float32)
    export(model, [torch.from_numpy(x)], path, 13, training=torch.onnx.TrainingMode.TRAINING)
    if not any(node.op_type == 'Dropout' for node in onnx.load(path).graph.node):
        return ['dropout: the export has no Dropout node']
    r = np.random.default_rng(5).standard_normal((4, n)).astype(np.float32)
    runs = [probe(grad_probe, path, [x], r, ['w'], os.path.join(work, str(s)), seed=s)
            for s in (7, 7, 8)]
    failures = []
    (y, g, _), (y2, g2, _), (y3, g3, _) = runs
    if not (np.array_equal(g['w'], g2['w']) and np.array_equal(y, y2)):
        failures.append('dropout: the same seed gave different gradients')
    if np.array_equal(y, y3):
        failures.append('dropout: another seed dropped the same elements')
    dropped = y.reshape(4, n) == 0
    frac = float(dropped.mean())
    if abs(frac - p) > 0.04:
        failures.append(f'dropout: {frac:.3f} of the elements dropped, wanted {p}')
    w = model.w.detach().numpy()
    want = np.where(dropped, 0.0, r * x / (1 - p))
    dw = g['w'].reshape(4, n)
    if np.any(dw[dropped] != 0):
        failures.append('dropout: nonzero gradient where the output was dropped')
    err = float(np.abs(dw - want).max() / np.abs(want).max())
    if err > TOL:
        failures.append(f'dropout: gradient off by {err:.2e}')
    kept_out = np.abs(y.reshape(4, n) - np.where(dropped, 0, x * w / (1 - p))).max()
    if kept_out > 1e-5:
        failures.append(f'dropout: kept outputs off by {kept_out:.2e}')
    print(f'dropout: {frac:.3f} dropped (p {p}), same seed identical, gradient error '
          f'{err:.2e}', flush=True)
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--grad-probe', required=True)
    ap.add_argument('--only', help='comma-separated case names')
    args = ap.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 1000, (2, 32)).astype(np.int64)

    def tiny(cls):
        m = cls()
        randomize(m)  # distinct LayerNorm weights: no merged initializers
        return m

    def resnet():
        torch.manual_seed(2)
        m = torchvision.models.resnet18(weights=None, num_classes=10)
        randomize(m)  # distinct BatchNorm weights: no merged initializers
        # ~400k ReLU inputs: a batch is likely to put one within float32's
        # rounding of 0 (measured: 1.9e-7 gave 1.2e-2 in layer1.1.bn1.bias)
        return m, [kink_free_images(m, (2, 3, 64, 64))], 13

    cases = {
        'layernorm': lambda: (NormNet(), [rng.standard_normal((3, 4, 6)).astype(np.float32)], 17),
        'math': lambda: (MathNet(), [rng.standard_normal((3, 3, 7)).astype(np.float32)], 14),
        'movement': lambda: (MoveNet(), [rng.standard_normal((2, 2, 5, 6)).astype(np.float32)], 13),
        'fusable': lambda: (tiny(FusableNet), [rng.standard_normal((3, 3, 6, 6)).astype(np.float32)], 14),
        'tiny_gpt': lambda: (tiny(TinyGPT), [tokens], 14),
        'tiny_encoder': lambda: (tiny(TinyEncoderClassifier), [tokens], 14),
        'resnet18': resnet,
    }
    only = set(args.only.split(',')) if args.only else None
    failures, ran = [], 0
    with tempfile.TemporaryDirectory() as work:
        for name, make in cases.items():
            if only and name not in only:
                continue
            model, inputs, opset = make()
            try:
                failures += check(name, model, inputs, opset, args.grad_probe, work)
            except RuntimeError as e:
                failures.append(f'{name}: {e}')
            ran += 1
        # sp_trainer itself on token models: per-position labels for the GPT
        for name, cls, labels in [
                ('tiny_gpt', TinyGPT, rng.integers(0, 1000, (2, 32))),
                ('tiny_encoder', TinyEncoderClassifier, rng.integers(0, 10, (2,)))]:
            if only and name + '_trainer' not in only:
                continue
            torch.manual_seed(5)
            failures += check_trainer(name, tiny(cls), tokens, labels.astype(np.int64),
                                      args.grad_probe, work)
            ran += 1
        if not only or 'dropout' in only:
            failures += check_dropout(args.grad_probe, work)
            ran += 1
    for f in failures:
        print('FAIL', f)
    bad = len({f.split(':')[0] for f in failures})
    print(f'{ran - bad} passed, {bad} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
