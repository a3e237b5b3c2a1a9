#!/usr/bin/python3
"""Train the small ResNet that `make run` (examples/run.sh) uses, and export it to ONNX.

Result (the committed examples/fashion_resnet.onnx, default options):
  test top-1 91.33% on all 10,000 Fashion-MNIST test images after 3 epochs
  (84.54%, 88.60%, 91.33% after epochs 1-3); 77,754 parameters, 9.35 M MACs, 314 KiB.
  Training time (never measured on an idle machine): 2,680 s wall clock / 17.3 min CPU
  with 2 threads on a 2-core machine busy with other builds (load average 8-10); a second
  run at nice 19 (load 4-6) took 1,319 s / 12.7 min CPU and wrote a byte-identical file.
  Expect roughly 7-10 minutes on an idle 2-core machine.

Model: 3x3 stem conv (16 ch) + BN + ReLU, then three stages of basic residual blocks
(two 3x3 conv + BN, ReLU after the add) with 16/32/64 channels; stages 2 and 3 start
with stride 2 and a 1x1 conv + BN shortcut; global average pool; Linear(64, 10).

Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/*.gz, IDX files
read here with gzip + numpy), normalised as (x/255 - 0.2860) / 0.3530, no augmentation.
Training: SGD (Nesterov momentum 0.9, weight decay 5e-4), one-cycle learning rate,
batch 128, cross-entropy with label smoothing 0.05.

Reproducible: fixed seeds, torch.set_num_threads(2), torch.use_deterministic_algorithms.
The same torch build on the same CPU writes a byte-identical file; other torch builds
or CPUs may give slightly different weights.

Export: opset 13, input "image" (batch, 1, 28, 28) float32, output "logits" (batch, 10),
batch axis "batch", TrainingMode.PRESERVE with model.eval(), so BatchNormalization nodes
stay in the graph (the pruner has to slice them) instead of being folded into the convs.

  /usr/bin/python3 examples/train_fashion_cnn.py [--epochs N] [--out PATH]
"""

import argparse
import os
import random
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

from fashion_mnist import load_split

SEED = 0
HERE = os.path.dirname(os.path.abspath(__file__))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class FashionResNet(nn.Module):
    def __init__(self, widths=(16, 32, 64), blocks=1, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, cin = [], widths[0]
        for stage, width in enumerate(widths):
            for b in range(blocks):
                layers.append(BasicBlock(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(torch.from_numpy(x[i:i + batch]))
            correct += int((logits.argmax(1).numpy() == y[i:i + batch]).sum())
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--blocks', type=int, default=1, help='residual blocks per stage')
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--lr', type=float, default=0.1, help='peak one-cycle learning rate')
    ap.add_argument('--train-limit', type=int, default=None,
                    help='use only the first N training images')
    ap.add_argument('--out', default=os.path.join(HERE, 'fashion_resnet.onnx'))
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    x_train, y_train = load_split('train', args.train_limit)
    x_test, y_test = load_split('t10k')
    print(f'train {len(x_train)} images, test {len(x_test)} images', flush=True)

    model = FashionResNet(blocks=args.blocks).to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    print(f'model: {params} parameters', flush=True)

    steps_per_epoch = (len(x_train) + args.batch - 1) // args.batch
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim == 1 else decay).append(p)  # no weight decay on BN and biases
    opt = torch.optim.SGD([{'params': decay, 'weight_decay': 5e-4},
                           {'params': no_decay, 'weight_decay': 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch,
                                                pct_start=0.25)
    shuffle = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)

    t0 = time.monotonic()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(xt), generator=shuffle)
        total, seen = 0.0, 0
        for i in range(0, len(xt), args.batch):
            idx = order[i:i + args.batch]
            xb = xt[idx].contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(xb), yt[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
            seen += len(idx)
        acc = evaluate(model, x_test, y_test)
        print(f'epoch {epoch + 1}/{args.epochs}: train loss {total / seen:.4f}, '
              f'test top-1 {acc * 100:.2f}%, {time.monotonic() - t0:.0f} s', flush=True)
    train_seconds = time.monotonic() - t0

    export_onnx(model.to(memory_format=torch.contiguous_format), args.out, x_test[:1000])
    print(f'test top-1 {acc * 100:.2f}% after {args.epochs} epochs, '
          f'training took {train_seconds:.0f} s')


def unshare_initializers(graph, order):
    """torch.onnx.export (eval mode) stores initializers with equal contents once and
    feeds the other users through Identity nodes. Here that happens to the two BatchNorm
    biases in front of each downsampling block's Add (main path and shortcut): they start
    at zero, get the same gradient and no weight decay, so they stay equal. Give each
    parameter its own initializer again, as in PyTorch, and order the initializers like
    the state dict."""
    inits = {t.name: t for t in graph.initializer}
    outputs = {o.name for o in graph.output}
    nodes = []
    for node in graph.node:
        if node.op_type == 'Identity' and node.input[0] in inits \
                and node.output[0] not in outputs:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            inits[copy.name] = copy
        else:
            nodes.append(node)
    rank = {name: i for i, name in enumerate(order)}
    ordered = sorted(inits.values(), key=lambda t: (rank.get(t.name, len(rank)), t.name))
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(ordered)


def export_onnx(model, path, x_check):
    """Export model (eval mode, BatchNormalization kept), check it with onnx.checker and
    compare ONNX Runtime's logits on x_check with PyTorch's."""
    model.eval()
    with torch.no_grad():
        reference = model(torch.from_numpy(x_check)).numpy()
    tmp = path + '.tmp.onnx'
    # Constant folding off: nothing in this model folds, and torch warns about it with
    # TrainingMode.PRESERVE.
    torch.onnx.export(model, torch.from_numpy(x_check[:2]), tmp, opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                      input_names=['image'], output_names=['logits'],
                      dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}})
    onnx_model = onnx.load(tmp)
    os.remove(tmp)
    unshare_initializers(onnx_model.graph, list(model.state_dict()))
    onnx.checker.check_model(onnx_model)
    ops = {}
    for node in onnx_model.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    if ops.get('BatchNormalization', 0) != n_bn:
        sys.exit(f'error: {ops.get("BatchNormalization", 0)} BatchNormalization nodes in '
                 f'the export, the model has {n_bn}')
    onnx.save(onnx_model, path)
    print(f'wrote {path}: {os.path.getsize(path) / 1024:.0f} KiB, ops '
          + ', '.join(f'{k} {v}' for k, v in sorted(ops.items())))

    # The export must compute what PyTorch computes: run it in ONNX Runtime.
    sys.path.insert(0, os.path.join(HERE, '..', 'test', 'tools'))
    import ortlib
    with ortlib.OrtServer(threads=2) as ort:
        reply, outs = ort.run(path, inputs={'image': x_check})
    if not reply.get('ok'):
        sys.exit(f'error: ONNX Runtime failed on the export: {reply.get("error")}')
    diff = float(np.abs(outs[0] - reference).max())
    print(f'ONNX Runtime vs PyTorch on {len(x_check)} test images: '
          f'max abs logit diff {diff:.2e}')
    if diff > 1e-4:
        sys.exit('error: the export does not match PyTorch')


if __name__ == '__main__':
    main()
