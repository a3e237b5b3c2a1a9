#!/usr/bin/python3
"""Whole pruning pipeline time, one thread: read ONNX -> sp-dependency-groups ->
sp-importance -> sp-prune -> sp-canonicalize -> write ONNX, on resnet50, densenet121
and vit_b_16 (goal: <= 0.3 s, densenet121 <= 0.5 s). Per stage times come from
sp-opt --mlir-timing; `per op` divides the analysis+importance+prune time by the
number of ops, `groups us/op` is the analysis time per op (the structural part, where a
concat-heavy graph such as densenet121 must not cost more per op than a ResNet);
`MB/s` is the weight bytes read by importance + prune per second.

`wall s` writes a new output file each run (the output is deleted before the run), as
a first run does; `over s` is the same run when the output already exists: sp-opt
renames its temporary file over it, and ext4 (auto_da_alloc) then pushes the new
file's blocks to disk before the rename, ~40 ms for vit_b_16's 170 MB. That is the
file system's price of a safe replace, not work sp does, so the goal is checked on
`wall s` and `over s` is shown beside it.

  /usr/bin/python3 bench/prune_pipeline.py --sp-opt BUILD/tools/sp-opt --zoo BUILD/zoo
      [--runs 3] [--only NAME,..]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

PIPELINE = ('sp-dependency-groups,sp-importance{criterion=l2},'
            'sp-prune{ratio=0.5 round-to=8},sp-canonicalize')
GOALS = {'resnet50': 0.3, 'densenet121': 0.5, 'vit_b_16': 0.3}


def run_once(sp_opt, model, out):
    t = time.perf_counter()
    p = subprocess.run([sp_opt, model, '--mlir-timing', '--pass-pipeline',
                        f'builtin.module({PIPELINE})', '-o', out],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode:
        raise RuntimeError(p.stderr.strip().splitlines()[-1])
    stages = {}
    for line in p.stderr.splitlines():
        m = re.match(r'\s*([0-9.]+) \(\s*[0-9.]+%\)\s+(.*)$', line)
        if m:
            stages[m.group(2).split('{')[0]] = float(m.group(1))
    return wall, stages


def op_count(sp_opt, model):
    p = subprocess.run([sp_opt, model, '--pass-pipeline',
                        'builtin.module(sp-model-stats{json=- table=none})', '-o', '/dev/null'],
                       capture_output=True, text=True, check=True)
    m = re.search(r'"ops":\s*(\d+)', p.stdout)
    return int(m.group(1)) if m else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--zoo', required=True)
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--only')
    args = ap.parse_args()
    names = args.only.split(',') if args.only else list(GOALS)
    out = os.path.join(tempfile.mkdtemp(prefix='sp-bench-'), 'pruned.onnx')
    print(f'pipeline: {PIPELINE}')
    print(f'{"model":<13} {"ops":>5} {"wall s":>7} {"over s":>7} {"goal":>5}  {"import":>7} {"groups":>7} '
          f'{"scores":>7} {"prune":>7} {"canon":>7} {"export":>7}  {"groups us/op":>12} {"MB/s":>6}')
    worst = 0.0
    for name in names:
        model = os.path.join(args.zoo, f'{name}.onnx')
        best = None
        over = None
        for _ in range(args.runs):
            if os.path.exists(out):
                os.unlink(out)
            wall, stages = run_once(args.sp_opt, model, out)
            if best is None or wall < best[0]:
                best = (wall, stages)
            wall_over, _ = run_once(args.sp_opt, model, out)
            over = wall_over if over is None else min(over, wall_over)
        wall, st = best
        ops = op_count(args.sp_opt, model)
        mb = os.path.getsize(model) / 1e6
        weights = st.get('sp-importance', 0) + st.get('sp-prune', 0)
        goal = GOALS.get(name, 0.3)
        worst = max(worst, wall / goal)
        print(f'{name:<13} {ops:>5} {wall:7.3f} {over:7.3f} {goal:5.2f}  '
              f'{st.get("input (parse or ONNX import)", 0):7.3f} '
              f'{st.get("sp-dependency-groups", 0):7.3f} {st.get("sp-importance", 0):7.3f} '
              f'{st.get("sp-prune", 0):7.3f} {st.get("sp-canonicalize", 0):7.3f} '
              f'{st.get("output", 0):7.3f}  '
              f'{1e6 * st.get("sp-dependency-groups", 0) / max(ops, 1):12.1f} '
              f'{mb / max(weights, 1e-9):6.0f}')
    print(f'worst wall/goal ratio: {worst:.2f} ({"met" if worst <= 1 else "not met"})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
