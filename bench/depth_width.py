#!/usr/bin/python3
"""Depth + width under one MAC budget (docs/pruning.md, "Depth and width").

On the shipped Fashion-MNIST model, for each --targets fraction of the MACs:
every count of residual blocks dropped (0 .. what the model has) with the width
cut that meets the budget, and what sp-prune{drop-layers=auto} picks from them
by the KL of the BN-recalibrated candidate's outputs on --calibration training
images. Each row: the KL proxy, top-1 after sp-recalibrate-bn and after the
same short fine-tune (prune_report.py's recipe). auto is right when its count
is the row with the best fine-tuned top-1.

  /usr/bin/python3 bench/depth_width.py [--build build] [--targets 0.5,0.25]
      [--calibration 256] [--limit 10000] [--epochs 1]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import prune_report  # noqa: E402


def sp_prune(sp_opt, model, out, options):
    p = subprocess.run([sp_opt, model, "--pass-pipeline=builtin.module("
                        f"sp-prune{{{options}}})"], capture_output=True, text=True)
    if p.returncode:
        return None
    subprocess.run([sp_opt, model, "-o", out, "--pass-pipeline=builtin.module("
                    f"sp-prune{{{options}}})"], check=True)
    return p.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--targets", default="0.5,0.25")
    p.add_argument("--calibration", type=int, default=256)
    p.add_argument("--limit", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=1)
    a = p.parse_args()
    tools = os.path.join(a.build, "tools")
    sp_opt, sp_run, sp_train = (os.path.join(tools, t) for t in ("sp-opt", "sp-run", "sp-train"))
    model = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples",
                         "fashion_resnet.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        cal = os.path.join(tmp, "cal")
        prune_report.write_calibration(cal, a.calibration)
        print("| target MACs | blocks dropped | KL proxy | top-1 +BN | fine-tuned | auto picks |")
        print("|---|---|---|---|---|---|", flush=True)
        for target in a.targets.split(","):
            ir = sp_prune(sp_opt, model, os.path.join(tmp, "auto.onnx"),
                          f"target-macs={target} drop-layers=auto calibration={cal}")
            table = re.search(r"sp.depth_width = \[(.*?)\]\]", ir or "")
            rows = re.findall(r"\[(\d+), ([-0-9.e+]+)\]", table.group(0)) if table else []
            kl = {int(k): float(v) for k, v in rows}
            pick = min(kl, key=kl.get) if kl else None
            for k in sorted(kl):
                options = f"target-macs={target} drop-layers={k}"
                if k:
                    options += f" calibration={cal}"
                pruned = os.path.join(tmp, f"k{k}.onnx")
                sp_prune(sp_opt, model, pruned, options)
                recal = prune_report.recalibrate(sp_opt, pruned, cal, os.path.join(tmp, f"k{k}bn.onnx"))
                top1_bn = prune_report.accuracy(sp_run, recal)
                tuned, _ = prune_report.finetune(sp_train, pruned, os.path.join(tmp, f"k{k}ft.onnx"),
                                                 a.limit, a.epochs)
                print(f"| {target} | {k} | {kl[k]:.3f} | {top1_bn:.2f}% | {tuned:.2f}% | "
                      f"{'yes' if k == pick else ''} |", flush=True)


if __name__ == "__main__":
    main()
