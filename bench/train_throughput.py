#!/usr/bin/python3
"""Training throughput and peak memory of sp-train against PyTorch (Debian's
CPU build) at the same thread count: the same ONNX weights, the same training
data (.npy files), SGD with momentum, batch --batch; samples per second of each (sp-train's
own per-epoch figure; PyTorch timed around its loop) and their ratio (goal
>= 1.0), and each side's peak RSS (both run as child processes under
/usr/bin/time) and their ratio (goal <= 1.0). Rounds alternate the two; each reports
its best rate and its lowest peak.

Models:
  fashion   the shipped Fashion-MNIST ResNet (examples/fashion_resnet.onnx) on
            the first --images training images (default batch 128)
  resnet18  torchvision's resnet18 with 10 classes, seeded, exported here to
            ONNX as the example is (TrainingMode.PRESERVE, BatchNormalization
            kept), on seeded random 3x64x64 images and labels given to
            sp-train as .npy files (default batch 32)

  bench/train_throughput.py --sp-train build/tools/sp-train [--model fashion]
                            [--threads 1,2] [--batch B] [--images N] [--rounds 3]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(ROOT, 'examples'))

FASHION = os.path.join(ROOT, 'examples', 'fashion_resnet.onnx')


def run_child(cmd):
    """Runs cmd under /usr/bin/time (Debian's time package); returns (stdout, stderr,
    peak RSS in MiB) or exits on failure. Not getrusage/wait4 of a child forked from
    here: a fork keeps this process's peak RSS (torch is loaded here to export
    resnet18) as its own, across the exec."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run(['/usr/bin/time', '-f', 'maxrss-kb %M', *cmd], stdout=out,
                           stderr=err)
        out.seek(0), err.seek(0)
        o, e = out.read().decode(), err.read().decode()
    m = re.search(r'^maxrss-kb (\d+)$', e, re.M)
    if p.returncode or not m:
        sys.exit(f'error: {" ".join(cmd)} failed ({p.returncode}):\n{e}')
    return o, e, int(m.group(1)) / 1024.0


# ---- the PyTorch side, run as a child: python3 train_throughput.py --torch-child ...

def torch_model(name, weights):
    import onnx
    import torch
    from onnx import numpy_helper
    if name == 'fashion':
        from train_fashion_cnn import FashionResNet
        model = FashionResNet()
    else:
        import torchvision
        model = torchvision.models.resnet18(num_classes=10)
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
             for t in onnx.load(weights).graph.initializer}
    missing = [k for k, v in model.state_dict().items()
               if k not in state and v.dtype.is_floating_point]
    if missing:
        sys.exit(f'error: {weights} lacks {missing[:3]}')
    model.load_state_dict(state, strict=False)
    return model


def torch_child(args):
    import numpy as np
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    model = torch_model(args.model, args.onnx)
    model.train()
    x, y = np.load(args.x), np.load(args.y)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y).long()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    t0 = time.perf_counter()
    for i in range(0, len(x), args.batch):
        opt.zero_grad()
        F.cross_entropy(model(xs[i:i + args.batch]), ys[i:i + args.batch]).backward()
        opt.step()
    print(f'{len(x) / (time.perf_counter() - t0):.3f}')
    return 0


# ---- setup and the sp side

def export_resnet18(path):
    """torchvision resnet18 (10 classes, seed 0) as ONNX the way the example is
    exported: BatchNormalization kept, each parameter its own initializer."""
    import onnx
    import torch
    import torchvision
    from train_fashion_cnn import unshare_initializers
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10).eval()
    tmp = path + '.tmp.onnx'
    torch.onnx.export(model, torch.zeros(2, 3, 64, 64), tmp, opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                      input_names=['image'], output_names=['logits'],
                      dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}})
    m = onnx.load(tmp)
    os.remove(tmp)
    unshare_initializers(m.graph, list(model.state_dict()))
    onnx.save(m, path)


def prepare(args, tmp):
    """The model and the .npy data both sides read (sp-train with --train-npy, so
    neither holds more data than the other): (onnx, x.npy, y.npy, sp data args)."""
    import numpy as np
    x_path, y_path = os.path.join(tmp, 'x.npy'), os.path.join(tmp, 'y.npy')
    if args.model == 'fashion':
        from fashion_mnist import load_split
        x, y = load_split('train', args.images)  # normalised
        np.save(x_path, x), np.save(y_path, y)
        return FASHION, x_path, y_path, ['--train-npy', x_path, y_path]
    onnx_path = os.path.join(tmp, 'resnet18.onnx')
    export_resnet18(onnx_path)
    rng = np.random.default_rng(0)
    np.save(x_path, rng.standard_normal((args.images, 3, 64, 64), dtype=np.float32))
    np.save(y_path, rng.integers(0, 10, args.images, dtype=np.int64))
    return onnx_path, x_path, y_path, ['--train-npy', x_path, y_path]


def sp_run(args, onnx_path, data, threads, out):
    _, err, rss = run_child([args.sp_train, onnx_path, *data, '--batch', str(args.batch),
                             '--threads', str(threads), '--lr', '0.01', '-o', out])
    m = re.search(r'\(([0-9.]+) samples/s\)', err)
    if not m:
        sys.exit(f'error: no rate in sp-train output:\n{err}')
    return float(m.group(1)), rss


def torch_run(args, onnx_path, x_path, y_path, threads):
    out, _, rss = run_child([sys.executable, os.path.abspath(__file__), '--torch-child',
                             '--model', args.model, '--onnx', onnx_path, '--x', x_path,
                             '--y', y_path, '--batch', str(args.batch),
                             '--threads', str(threads)])
    return float(out.split()[-1]), rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-train')
    ap.add_argument('--model', choices=['fashion', 'resnet18'], default='fashion')
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--batch', type=int)
    ap.add_argument('--images', type=int)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--torch-child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--onnx', help=argparse.SUPPRESS)
    ap.add_argument('--x', help=argparse.SUPPRESS)
    ap.add_argument('--y', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_child:
        args.threads = int(args.threads)
        return torch_child(args)
    if not args.sp_train:
        ap.error('--sp-train is required')
    if args.batch is None:
        args.batch = 128 if args.model == 'fashion' else 32
    if args.images is None:
        args.images = 4096 if args.model == 'fashion' else 512
    with tempfile.TemporaryDirectory(prefix='sp-bench-train-') as tmp:
        onnx_path, x_path, y_path, data = prepare(args, tmp)
        out = os.path.join(tmp, 'trained.onnx')
        print(f'{args.model}, batch {args.batch}, {args.images} samples, best of '
              f'{args.rounds}; load average {os.getloadavg()[0]:.2f}')
        print(f"{'threads':>7} {'sp samples/s':>13} {'torch samples/s':>16} {'ratio':>6}"
              f" {'sp MiB':>7} {'torch MiB':>9} {'ratio':>6}")
        for threads in [int(t) for t in args.threads.split(',')]:
            sp, pt, sp_mem, pt_mem = 0.0, 0.0, float('inf'), float('inf')
            for _ in range(args.rounds):
                rate, rss = sp_run(args, onnx_path, data, threads, out)
                sp, sp_mem = max(sp, rate), min(sp_mem, rss)
                rate, rss = torch_run(args, onnx_path, x_path, y_path, threads)
                pt, pt_mem = max(pt, rate), min(pt_mem, rss)
            print(f'{threads:>7} {sp:>13.0f} {pt:>16.0f} {sp / pt:>6.2f}'
                  f' {sp_mem:>7.0f} {pt_mem:>9.0f} {sp_mem / pt_mem:>6.2f}', flush=True)
        print(f'load average {os.getloadavg()[0]:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
