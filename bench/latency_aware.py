#!/usr/bin/python3
"""Latency-aware pruning against MAC-budget pruning (docs/pruning.md, "Latency-aware").

For each model: sp-latency-table on this machine, then
  macs     sp-prune{target-macs=F}                      (widths by MACs)
  latency  sp-prune{cost=latency table=T target-latency=L}, L = the time `macs`
           measured, as a fraction of the unpruned time  (widths by measured time)
and for both: MACs kept, batch-1 latency kept (sp-run --bench, median of --runs,
best of --rounds), and the share of the l2 importance kept (what the allocation
trades). The issue's yardstick is latency fall / MAC fall (1.0: time falls as
much as MACs); at the same time, `latency` should keep more importance (or MACs).

  /usr/bin/python3 bench/latency_aware.py --build build --zoo build/zoo \
      [--models fashion,mobilenet_v2,resnet18] [--target-macs 0.5] [--runs 30]
Needs an idle machine: every number is a timing.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


def macs(sp_opt, model):
    out = run([sp_opt, model, "--pass-pipeline=builtin.module(sp-model-stats)"])
    return int(re.search(r"exact: [0-9]+ parameters, ([0-9]+) MACs", out.stdout + out.stderr).group(1))


def latency(sp_run, model, runs, rounds, threads):
    best = None
    for _ in range(rounds):
        out = run([sp_run, model, "--random", "--bench", str(runs), "--threads", str(threads)])
        m = re.search(r"latency_ms median=([0-9.]+)", out.stdout + out.stderr)
        best = float(m.group(1)) if best is None else min(best, float(m.group(1)))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--zoo", default="build/zoo")
    ap.add_argument("--models", default="fashion,mobilenet_v2,resnet18")
    ap.add_argument("--target-macs", type=float, default=0.5)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    sp_opt, sp_run = (os.path.join(a.build, "tools", t) for t in ("sp-opt", "sp-run"))
    print("| model | allocation | MACs kept | latency kept | latency fall / MAC fall |")
    print("|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            model = (os.path.join(ROOT, "examples", "fashion_resnet.onnx") if name == "fashion"
                     else os.path.join(a.zoo, f"{name}.onnx"))
            table = os.path.join(tmp, f"{name}.lat.json")
            run([sp_opt, model, "--dim", "batch=1", "-o", os.path.join(tmp, "unused.onnx"),
                 "--pass-pipeline=builtin.module(sp-latency-table{"
                 f"json={table} runs={a.runs} threads={a.threads} quiet}})"])
            m0, t0 = macs(sp_opt, model), latency(sp_run, model, a.runs, a.rounds, a.threads)
            by_macs = os.path.join(tmp, f"{name}.macs.onnx")
            run([sp_opt, model, "-o", by_macs, "--pass-pipeline=builtin.module("
                 f"sp-prune{{target-macs={a.target_macs}}})"])
            t_macs = latency(sp_run, by_macs, a.runs, a.rounds, a.threads)
            by_time = os.path.join(tmp, f"{name}.latency.onnx")
            run([sp_opt, model, "-o", by_time, "--pass-pipeline=builtin.module("
                 f"sp-prune{{cost=latency table={table} target-latency={t_macs / t0:.4f}}})"])
            for label, path, t in [("macs", by_macs, t_macs),
                                   ("latency", by_time, latency(sp_run, by_time, a.runs,
                                                                a.rounds, a.threads))]:
                mk, tk = macs(sp_opt, path) / m0, t / t0
                print(f"| {name} | {label} | {100 * mk:.1f}% | {100 * tk:.1f}% | "
                      f"{(1 - tk) / (1 - mk) if mk < 1 else float('nan'):.2f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
