#!/usr/bin/python3
"""Import + export time of resnet50 (~100 MB of weights) against a plain copy
of the same file, both measured in this run. Goal: ratio <= 3, i.e. sp never
copies the weights more than needed.

  /usr/bin/python3 bench/import_export.py [--build BUILD] [--runs N] [--model NAME]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def best_of(runs, fn):
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--model", default="resnet50")
    args = ap.parse_args()
    zoo = os.path.join(args.build, "zoo")
    subprocess.run([sys.executable, os.path.join(HERE, "..", "test", "zoo", "export_zoo.py"), zoo,
                    "--only", args.model], check=True, stdout=subprocess.DEVNULL)
    model = os.path.join(zoo, args.model + ".onnx")
    sp_opt = os.path.join(args.build, "tools", "sp-opt")
    with tempfile.TemporaryDirectory() as work:
        with open(model, "rb") as f:  # warm the page cache for both sides
            f.read()
        copy = best_of(args.runs, lambda: shutil.copyfile(model, os.path.join(work, "copy.onnx")))
        out = os.path.join(work, "out.onnx")
        sp = best_of(args.runs, lambda: subprocess.run([sp_opt, model, "-o", out], check=True))
    size = os.path.getsize(model) / 2**20
    print(f"model             {args.model}.onnx ({size:.1f} MB)")
    print(f"copy              {copy:.4f} s")
    print(f"sp-opt in -o out  {sp:.4f} s  (read, import, verify, export, write)")
    print(f"ratio             {sp / copy:.2f}  (goal <= 3)")


if __name__ == "__main__":
    main()
