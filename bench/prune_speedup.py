#!/usr/bin/python3
"""Speedup delivered by pruning: ONNX Runtime latency original/pruned against the
MACs ratio original/pruned, at sp-prune{ratio=0.5 round-to=8}, for resnet50,
mobilenet_v2, densenet121, convnext_tiny and vit_b_16 (goal: latency ratio >=
0.85 x MACs ratio on every model). ORT runs one thread, batch 1; the original and
the pruned model are timed in alternating rounds (--rounds, each a median of --runs)
and each keeps its best round, so load from other processes on a shared machine hits
neither side alone.

  /usr/bin/python3 bench/prune_speedup.py --sp-opt BUILD/tools/sp-opt --zoo BUILD/zoo
      [--runs 20] [--rounds 3] [--only NAME,..] [--pipeline 'sp-importance{...},sp-prune{...}']
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'tools'))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'prune'))
import ortlib  # noqa: E402
from run_prune_zoo import random_inputs  # noqa: E402

MODELS = ['resnet50', 'mobilenet_v2', 'densenet121', 'convnext_tiny', 'vit_b_16']
PIPELINE = 'sp-importance{criterion=l2},sp-prune{ratio=0.5 round-to=8},sp-canonicalize'


def macs(sp_opt, model):
    p = subprocess.run([sp_opt, model, '--pass-pipeline',
                        'builtin.module(sp-model-stats{json=- table=none})', '-o', '/dev/null'],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout)['total']['macs']


def batch1_inputs(model):
    """Random inputs for model's graph inputs, batch 1."""
    return {k: v[:1] for k, v in random_inputs(model).items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--zoo', required=True)
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--only')
    ap.add_argument('--pipeline', default=PIPELINE)
    args = ap.parse_args()
    names = args.only.split(',') if args.only else MODELS
    work = tempfile.mkdtemp(prefix='sp-speedup-')
    print(f'pipeline: {args.pipeline}; ORT 1 thread, best of {args.rounds} alternating '
          f'rounds, each the median of {args.runs} runs')
    print(f'{"model":<15} {"orig ms":>8} {"pruned ms":>9} {"latency x":>9} {"MACs x":>7} '
          f'{"ratio":>6}  goal >= 0.85')
    ok = True
    with ortlib.OrtServer(threads=1) as ort:
        for name in names:
            src = os.path.join(args.zoo, f'{name}.onnx')
            dst = os.path.join(work, f'{name}-pruned.onnx')
            p = subprocess.run([args.sp_opt, src, '--pass-pipeline',
                                f'builtin.module({args.pipeline})', '-o', dst],
                               capture_output=True, text=True)
            if p.returncode:
                print(f'{name:<15} sp-opt failed: {p.stderr.strip()[-200:]}')
                ok = False
                continue
            best, err = ort.bench_rounds([src, dst], inputs=batch1_inputs(src),
                                         runs=args.runs, rounds=args.rounds)
            if err:
                print(f'{name:<15} ORT failed: {err}')
                ok = False
                continue
            a, b = best[src], best[dst]
            lat = a / b
            mac = macs(args.sp_opt, src) / macs(args.sp_opt, dst)
            ratio = lat / mac
            ok &= ratio >= 0.85
            print(f'{name:<15} {a:8.2f} {b:9.2f} {lat:9.2f} {mac:7.2f} '
                  f'{ratio:6.2f}  {"met" if ratio >= 0.85 else "NOT met"}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
