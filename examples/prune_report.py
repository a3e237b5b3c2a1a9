#!/usr/bin/python3
"""Prunes the example classifier at several ratios and prints a before/after
table: parameters and MACs (sp-model-stats), ONNX Runtime batch-1 latency, and
top-1 accuracy on the whole Fashion-MNIST test set (sp-run --eval-idx, sp's
own C runtime). "top-1" is what pruning alone costs; "top-1 +BN" the same model
after sp-recalibrate-bn (adaptive BatchNorm: running statistics recomputed on
512 training images), which costs no training at all; "tuned" after sp-train
(a short budget: --tune-images training images for --tune-epochs epochs, SGD
with momentum and a cosine schedule), with the seconds it took.

  /usr/bin/python3 examples/prune_report.py [--build build] [--ratios 0.25,0.5]
                                            [--tune-images 20000] [--tune-epochs 1]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "tools"))
import numpy as np  # noqa: E402
import ortlib  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import fashion_mnist  # noqa: E402

DATA = fashion_mnist.DATA_DIR
MEAN, STD = fashion_mnist.MEAN, fashion_mnist.STD
CALIBRATION_IMAGES = 512


def stats(sp_opt, model):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([sp_opt, model, "--dim", "batch=1", "-o", "/dev/null",
                        f"--pass-pipeline=builtin.module(sp-model-stats{{json={f.name} table=none}})"],
                       check=True)
        total = json.load(open(f.name))["total"]
    return total["params"], total["macs"]


def accuracy(sp_run, model):
    out = subprocess.run([sp_run, model, "--threads", "1", "--eval-idx",
                          f"{DATA}/t10k-images-idx3-ubyte.gz", f"{DATA}/t10k-labels-idx1-ubyte.gz",
                          "--mean", str(MEAN), "--std", str(STD)],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"top1=([0-9.]+)", out)
    if not m:
        sys.exit(f"prune_report: unexpected sp-run output: {out!r}")
    return 100.0 * float(m.group(1))


def write_calibration(directory, n):
    """The first n training images (normalised like the eval) as one batch in
    ONNX test-data layout: directory/input_0.pb of shape (n, 1, 28, 28)."""
    images, _ = fashion_mnist.load_split("train", n)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(images, "image").SerializeToString())


def recalibrate(sp_opt, model, calibration, out):
    subprocess.run([sp_opt, model, "-o", out, "--pass-pipeline=builtin.module("
                    f"sp-recalibrate-bn{{calibration={calibration}}})"], check=True)
    return out


def finetune(sp_train, model, out, images, epochs, *extra):
    """sp-train's test top-1 after the last epoch, and the seconds it took."""
    p = subprocess.run([sp_train, model, "--data", f"fashion-mnist:{DATA}", "--mean", str(MEAN),
                        "--std", str(STD), "--limit", str(images), "--epochs", str(epochs),
                        "--batch", "64", "--lr", "0.02", "--schedule", "cosine",
                        "--weight-decay", "5e-4", *extra, "-o", out],
                       check=True, capture_output=True, text=True)
    found = re.findall(r"test top-1 ([0-9.]+)%, ([0-9.]+) s", p.stderr)
    if not found:
        sys.exit(f"prune_report: unexpected sp-train output: {p.stderr!r}")
    return float(found[-1][0]), sum(float(s) for _, s in found)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--model", default=os.path.join(HERE, "fashion_resnet.onnx"))
    ap.add_argument("--ratios", default="0.1,0.25,0.5")
    ap.add_argument("--tune-images", type=int, default=20000)
    ap.add_argument("--tune-epochs", type=int, default=1)
    args = ap.parse_args()
    tools = os.path.join(args.build, "tools")
    sp_opt, sp_run = os.path.join(tools, "sp-opt"), os.path.join(tools, "sp-run")
    sp_train = os.path.join(tools, "sp-train")
    image = np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)
    rows = []
    with tempfile.TemporaryDirectory() as work, ortlib.OrtServer(threads=1) as ort:
        calibration = os.path.join(work, "calibration")
        write_calibration(calibration, CALIBRATION_IMAGES)
        models = [("original", args.model)]
        for r in args.ratios.split(","):
            out = os.path.join(work, f"pruned_{r}.onnx")
            pipeline = ("builtin.module(sp-canonicalize,sp-dependency-groups,"
                        f"sp-importance{{criterion=l2}},sp-prune{{ratio={r} round-to=4}},"
                        "sp-canonicalize{fold-bn=false})")
            subprocess.run([sp_opt, args.model, f"--pass-pipeline={pipeline}", "-o", out],
                           check=True)
            models.append((f"ratio {r}", out))
        for label, path in models:
            params, macs = stats(sp_opt, path)
            bench = ort.bench(path, inputs={"image": image}, runs=200, warmup=20)
            recalibrated = recalibrate(sp_opt, path, calibration,
                                       os.path.join(work, f"{label.replace(' ', '_')}_bn.onnx"))
            tuned, seconds = (finetune(sp_train, path, os.path.join(work, "tuned.onnx"),
                                       args.tune_images, args.tune_epochs)
                              if label != "original" else (None, 0.0))
            rows.append((label, params, macs, bench["median_ms"], accuracy(sp_run, path),
                         accuracy(sp_run, recalibrated), tuned, seconds))
    base = rows[0]
    print(f"{'model':<12} {'params':>9} {'MACs':>11} {'ORT ms':>8} {'speedup':>8} {'top-1':>7}"
          f" {'top-1 +BN':>10} {'tuned':>7} {'tune s':>7}")
    for label, params, macs, ms, acc, acc_bn, tuned, seconds in rows:
        tuned_text = f"{tuned:>6.2f}%" if tuned is not None else f"{'':>7}"
        print(f"{label:<12} {params:>9,} {macs:>11,} {ms:>8.3f} {base[3] / ms:>7.2f}x {acc:>6.2f}%"
              f" {acc_bn:>9.2f}% {tuned_text} {seconds:>7.1f}")
    print("(top-1 on the 10,000 Fashion-MNIST test images via sp-run; +BN: after sp-recalibrate-bn")
    print(f" on {CALIBRATION_IMAGES} training images, no training; tuned: sp-train on "
          f"{args.tune_images} training images, {args.tune_epochs} epoch(s))")


if __name__ == "__main__":
    main()
