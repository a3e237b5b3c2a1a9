#!/usr/bin/python3
"""sp-train against PyTorch autograd on the shipped Fashion-MNIST ResNet: the
same ONNX weights (loaded into examples/train_fashion_cnn.py's FashionResNet by
name) and the same batch of 64 training images, in training mode.

- every parameter's gradient of the mean cross-entropy (sp-train
  --dump-gradients) equals PyTorch's: max |sp - torch| / max |torch| <= 1e-3
  per tensor;
- after one SGD step (lr 0.1, momentum 0.9, weight decay 1e-3) the saved model's
  weights equal torch.optim.SGD's, and its BatchNormalization running
  statistics equal PyTorch's (momentum 0.1 = ONNX 0.9, unbiased variance).

  grad_test.py --sp-train BUILD/tools/sp-train
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'examples'))
sys.path.insert(0, os.path.join(ROOT, 'test', 'tools'))
import ortlib  # noqa: E402
from fashion_mnist import MEAN, STD, load_split  # noqa: E402
from train_fashion_cnn import FashionResNet  # noqa: E402

MODEL = os.path.join(ROOT, 'examples', 'fashion_resnet.onnx')
BATCH = 64


def torch_model():
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
               for t in onnx.load(MODEL).graph.initializer}
    model = FashionResNet()
    missing, unexpected = model.load_state_dict(weights, strict=False)
    assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing), \
        (missing, unexpected)
    return model.double().train()  # double: the reference's own error vanishes


def compare_gradients(model, grads, label='', floor=1e-12, tol=1e-3):
    """Each parameter's .grad against grads/<name>.pb (sp-train --dump-gradients):
    max |sp - torch| / max(max |torch|, floor) <= tol. (failures, worst error)"""
    failures, worst = [], 0.0
    for name, p in model.named_parameters():
        path = os.path.join(grads, f'{name}.pb')
        if not os.path.exists(path):
            failures.append(f'{label}no gradient for {name}')
            continue
        g = ortlib.load_pb(path).reshape(p.shape)
        ref = p.grad.numpy()
        err = float(np.abs(g - ref).max() / max(np.abs(ref).max(), floor))
        worst = max(worst, err)
        if err > tol:
            failures.append(f'{label}gradient of {name}: relative error {err:.2e}')
    return failures, worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train', required=True)
    args = ap.parse_args()
    torch.manual_seed(0)
    x, y = load_split('train')
    x, y = x[:BATCH], y[:BATCH]
    failures = []
    with tempfile.TemporaryDirectory() as work:
        common = [args.sp_train, MODEL, '--data', 'fashion-mnist', '--limit', str(BATCH),
                  '--batch', str(BATCH), '--mean', str(MEAN), '--std', str(STD),
                  '--threads', '1', '-q']
        # gradients of one batch
        grads = os.path.join(work, 'grads')
        os.mkdir(grads)
        subprocess.run(common + ['--dump-gradients', grads], check=True)
        model = torch_model()
        loss = F.cross_entropy(model(torch.from_numpy(x).double()), torch.from_numpy(y).long())
        loss.backward()
        found, worst = compare_gradients(model, grads)
        failures += found
        print(f'gradients: {len(list(model.parameters()))} tensors, worst relative error '
              f'{worst:.2e}')
        # one SGD step and the running statistics
        out = os.path.join(work, 'step.onnx')
        subprocess.run(common + ['--lr', '0.1', '--momentum', '0.9', '--weight-decay', '1e-3',
                                 '-o', out], check=True)
        model = torch_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
        opt.zero_grad()
        F.cross_entropy(model(torch.from_numpy(x).double()),
                        torch.from_numpy(y).long()).backward()
        opt.step()
        stepped = {t.name: numpy_helper.to_array(t) for t in onnx.load(out).graph.initializer}
        worst = 0.0
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if name.endswith('num_batches_tracked'):
                continue
            ref = t.detach().numpy()
            err = float(np.abs(stepped[name] - ref).max() / max(np.abs(ref).max(), 1e-12))
            worst = max(worst, err)
            if err > 1e-4:
                failures.append(f'{name} after one step: relative error {err:.2e}')
        print(f'after one SGD step: weights and running statistics, worst relative error '
              f'{worst:.2e}')
    for f in failures:
        print('FAIL', f)
    print(f'{0 if failures else 1} passed, {1 if failures else 0} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
