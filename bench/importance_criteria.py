#!/usr/bin/python3
"""Importance criteria compared on the shipped Fashion-MNIST model (docs/pruning.md).

Every criterion prunes examples/fashion_resnet.onnx at the same per-group ratio;
top-1 on the 10,000 test images (sp-run) before any training, after
sp-recalibrate-bn on the calibration images, and after the same short fine-tune
(sp-train, prune_report.py's recipe). Data criteria read the first --calibration
training images (labels included).

gate (network slimming with explicit gates) needs gates trained sparse first:
sp-insert-gates, one epoch of the same recipe with --gate-l1 (--gate-l1 L),
then sp-importance{criterion=gate},sp-prune and sp-canonicalize (the gates fold
into the weights) and the same fine-tune. gate-l2 prunes that same gate-trained
model by l2 (the fair baseline: both had one more epoch than the other rows).

sensitivity and agp are strategies with l2 scores: sensitivity = sp-sensitivity
(metric=kl on --sensitivity-samples *training* images, so the test set stays out
of the choice) then sp-prune{ratios-from=... target-macs=...} (sensitivity-taylor-2k: the
units both drop are taylor's on 2,048 images instead of l2's); agp =
sp-iterative-prune (cubic schedule, --agp-steps steps) to the uniform ratio that
meets the budget, its fine-tune split over the steps (--limit / steps images each,
so it takes as many SGD steps as the other rows' one epoch); its seed is the
whole run's. --kd distils from the unpruned model in every fine-tune
(sp-train --teacher, T 4, alpha 0.5), every row alike.

  /usr/bin/python3 bench/importance_criteria.py [--build build] [--ratio 0.5 |
      --target-macs 0.25] [--seeds 3] [--calibration 512] [--limit 10000]
      [--criteria l2,fpgm,lamp,global-l2,depth-width,...] [--gate-l1 0.01]
      [--threads 1] [--kd]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import prune_report  # noqa: E402  (write_calibration, accuracy, finetune, recalibrate)

CRITERIA = ["l1", "l2", "random", "bn-scale", "fpgm", "taylor-weight", "fisher", "hessian-diag",
            "taylor", "taylor-pseudo", "activation", "apoz", "gate", "gate-l2"]
# Strategies beside the per-group criteria (rows of the same table):
#   lamp         l2 scores, LAMP-normalised, one global threshold (Lee et al. 2021)
#   global-l2    l2 scores normalised by their group mean, one global threshold
#   global-l2-per-mac  the same scores / the MACs one unit of the group costs
#   global-taylor[-2k|-10k]  taylor on 512 (2048, 10000) training images, / group mean,
#                one global threshold; taylor-2k, taylor-10k: per group
#   depth-width  sp-prune{drop-layers=auto}: blocks and width under the budget
STRATEGIES = {"lamp": ("sp-importance{criterion=l2 normalize=lamp}", "global=true"),
              "global-l2": ("sp-importance{criterion=l2 normalize=mean}", "global=true"),
              "global-l2-per-mac": ("sp-importance{criterion=l2 normalize=mean}",
                                    "global=true per-mac=true")}


def taylor_scores(images, normalize="none"):
    return (f"sp-importance{{criterion=taylor data=fashion-mnist limit={images} "
            f"mean={prune_report.MEAN} std={prune_report.STD} normalize={normalize}}}")


# taylor on more calibration batches, per group or with one global threshold
# over the scores normalised by their group mean
for images, tag in [(512, ""), (2048, "-2k"), (10000, "-10k")]:
    STRATEGIES[f"global-taylor{tag}"] = (taylor_scores(images, "mean"), "global=true")
    if tag:  # plain taylor (512 images, per group) is the criterion row
        STRATEGIES[f"taylor{tag}"] = (taylor_scores(images), "")


def gate_trained(sp_opt, sp_train, model, tmp, images, lam):
    """The model with gates, trained one epoch with --gate-l1 lam (made once)."""
    out = os.path.join(tmp, f"gate_trained_{lam}.onnx")
    if not os.path.exists(out):
        gated = os.path.join(tmp, "gated.onnx")
        subprocess.run([sp_opt, model, "-o", gated,
                        "--pass-pipeline=builtin.module(sp-insert-gates)"], check=True)
        top1, _ = prune_report.finetune(sp_train, gated, out, images, 1, "--gate-l1", str(lam))
        print(f"(gated model after one epoch with --gate-l1 {lam}: top-1 {top1:.2f}%)",
              flush=True)
    return out


def importance(criterion, calibration, images):
    data = {"taylor-weight", "fisher", "hessian-diag", "taylor"}
    if criterion == "taylor-pseudo":  # no labels: the unpruned model's arg-max
        return (f"sp-importance{{criterion=taylor labels=model data=fashion-mnist "
                f"limit={images} mean={prune_report.MEAN} std={prune_report.STD}}}")
    if criterion in data:
        return (f"sp-importance{{criterion={criterion} data=fashion-mnist limit={images} "
                f"mean={prune_report.MEAN} std={prune_report.STD}}}")
    if criterion in {"activation", "apoz"}:
        return f"sp-importance{{criterion={criterion} calibration={calibration}}}"
    if criterion == "gate-l2":
        return "sp-importance{criterion=l2}"
    if criterion in STRATEGIES:
        return STRATEGIES[criterion][0]
    if criterion in {"depth-width", "sensitivity"}:
        return "sp-importance{criterion=l2}"
    if criterion == "sensitivity-taylor-2k":  # sp-sensitivity then reads these scores
        return taylor_scores(2048)
    return f"sp-importance{{criterion={criterion}}}"


def prune_options(criterion, a, calibration):
    """sp-prune's options: the budget (--ratio per group, or --target-macs) and
    what the strategy adds."""
    budget = f"target-macs={a.target_macs}" if a.target_macs else f"ratio={a.ratio}"
    if criterion in STRATEGIES:
        return f"{budget} {STRATEGIES[criterion][1]}".strip()
    if criterion == "depth-width":
        if not a.target_macs:
            sys.exit("importance_criteria: depth-width needs --target-macs")
        return f"{budget} drop-layers=auto calibration={calibration}"
    if criterion.startswith("sensitivity"):
        if not a.target_macs:
            sys.exit("importance_criteria: sensitivity needs --target-macs")
        return f"ratios-from={os.path.join(os.path.dirname(calibration), 'sens.json')} {budget}"
    return budget


def sensitivity(a):
    """sp-sensitivity before sp-prune{ratios-from}: KL to the unpruned model on
    training images (the test images stay out of the choice)."""
    return (f"sp-sensitivity{{data=fashion-mnist split=train limit={a.sensitivity_samples} "
            f"metric=kl mean={prune_report.MEAN} std={prune_report.STD} "
            f"json=SENS threads={a.threads} quiet}},")


def agp_ratio(sp_opt, model, tmp, fraction):
    """The smallest uniform ratio whose l2 pruning keeps <= fraction of the MACs."""
    base, lo, hi = macs(sp_opt, model), 0.0, 0.99
    probe = os.path.join(tmp, "probe.onnx")
    for _ in range(12):
        mid = (lo + hi) / 2
        subprocess.run([sp_opt, model, "-o", probe,
                        f"--pass-pipeline=builtin.module(sp-prune{{ratio={mid}}})"], check=True)
        if macs(sp_opt, probe) <= fraction * base:
            hi = mid
        else:
            lo = mid
    return hi


def agp(sp_opt, model, out, a, ratio, seed, teacher):
    """sp-iterative-prune to ratio in a.agp_steps steps, a.limit images in all."""
    kd = f" teacher={teacher}" if teacher else ""
    subprocess.run([sp_opt, model, "-o", out, "--pass-pipeline=builtin.module(sp-canonicalize,"
                    f"sp-iterative-prune{{final-ratio={ratio} steps={a.agp_steps} epochs-per-step=1 "
                    f"data=fashion-mnist mean={prune_report.MEAN} std={prune_report.STD} "
                    f"limit={a.limit // a.agp_steps} batch=64 lr=0.02 schedule=cosine "
                    f"weight-decay=5e-4 seed={seed} threads={a.threads} quiet{kd}}},"
                    "sp-canonicalize)"], check=True, capture_output=True)
    return out


def macs(sp_opt, model):
    out = subprocess.run([sp_opt, model, "--pass-pipeline=builtin.module(sp-model-stats)"],
                         check=True, capture_output=True, text=True)
    found = re.search(r"exact: [0-9]+ parameters, ([0-9]+) MACs", out.stdout + out.stderr)
    if not found:
        sys.exit(f"importance_criteria: no MAC count from sp-model-stats on {model}")
    return int(found.group(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--ratio", type=float, default=0.5)
    p.add_argument("--calibration", type=int, default=512)
    p.add_argument("--limit", type=int, default=10000)
    p.add_argument("--criteria", default=",".join(CRITERIA))
    p.add_argument("--gate-l1", type=float, default=0.01)
    p.add_argument("--target-macs", type=float, default=0,
                   help="prune to this fraction of the MACs (sp-prune target-macs) instead of --ratio")
    p.add_argument("--seeds", type=int, default=1,
                   help="fine-tune each pruned model with seeds 1..N; mean and spread reported")
    p.add_argument("--threads", type=int, default=1, help="kernel threads of every tool")
    p.add_argument("--kd", action="store_true",
                   help="fine-tune every row with the unpruned model as teacher (sp-train --teacher)")
    p.add_argument("--sensitivity-samples", type=int, default=1000)
    p.add_argument("--agp-steps", type=int, default=3)
    a = p.parse_args()
    tools = os.path.join(a.build, "tools")
    sp_opt, sp_run, sp_train = (os.path.join(tools, t) for t in ("sp-opt", "sp-run", "sp-train"))
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    model = os.path.join(root, "examples", "fashion_resnet.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        cal = os.path.join(tmp, "cal")
        prune_report.write_calibration(cal, a.calibration)
        print(f"original: top-1 {prune_report.accuracy(sp_run, model):.2f}%", flush=True)
        print("| criterion | top-1 pruned | +BN recalibrated | fine-tuned | MACs kept | scoring s |")
        print("|---|---|---|---|---|---|", flush=True)
        extra = ["--threads", str(a.threads)] + (["--teacher", model] if a.kd else [])
        for c in a.criteria.split(","):
            pruned = os.path.join(tmp, f"{c}.onnx")
            source = model
            if c == "agp":
                ratio = agp_ratio(sp_opt, model, tmp, a.target_macs or 0.25)
                t0 = time.time()
                tuned = [prune_report.accuracy(sp_run, agp(sp_opt, model, pruned, a, ratio, seed,
                                                           model if a.kd else None))
                         for seed in range(1, a.seeds + 1)]
                report(c + f" (ratio {ratio:.4f})", "-", "-", tuned,
                       macs(sp_opt, pruned) / macs(sp_opt, model), (time.time() - t0) / a.seeds)
                continue
            if c.startswith("gate"):
                source = gate_trained(sp_opt, sp_train, model, tmp, a.limit, a.gate_l1)
            # sensitivity measures what sp-prune would drop: the l2 units, or with
            # sensitivity-taylor-2k taylor's on 2,048 images (scored first)
            steps = [importance(c, cal, a.calibration)]
            if c.startswith("sensitivity"):
                steps.insert(0 if c == "sensitivity" else 1, sensitivity(a).replace(
                    "SENS", os.path.join(tmp, "sens.json")).rstrip(","))
            t0 = time.time()
            subprocess.run([sp_opt, source, "-o", pruned, "--pass-pipeline=builtin.module("
                            f"{','.join(steps)},"
                            f"sp-prune{{{prune_options(c, a, cal)}}},sp-canonicalize)"], check=True)
            seconds = time.time() - t0
            top1 = prune_report.accuracy(sp_run, pruned)
            bn = prune_report.accuracy(sp_run, prune_report.recalibrate(
                sp_opt, pruned, cal, os.path.join(tmp, f"{c}_bn.onnx")))
            tuned = [prune_report.finetune(sp_train, pruned, os.path.join(tmp, f"{c}_ft.onnx"),
                                           a.limit, 1, "--seed", str(seed), *extra)[0]
                     for seed in range(1, a.seeds + 1)]
            report(c, f"{top1:.2f}%", f"{bn:.2f}%", tuned,
                   macs(sp_opt, pruned) / macs(sp_opt, model), seconds)


def report(row, top1, bn, tuned, kept, seconds):
    """One table row: fine-tuned mean ± sample std over the seeds (and each seed's)."""
    mean = sum(tuned) / len(tuned)
    spread = ""
    if len(tuned) > 1:
        std = (sum((t - mean) ** 2 for t in tuned) / (len(tuned) - 1)) ** 0.5
        spread = f" ± {std:.2f} ({' / '.join(f'{t:.2f}' for t in tuned)})"
    print(f"| {row} | {top1} | {bn} | {mean:.2f}%{spread} | {100 * kept:.1f}% | {seconds:.1f} |",
          flush=True)

if __name__ == "__main__":
    main()
