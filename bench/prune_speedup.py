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
            feeds = random_inputs(src)
            for k in feeds:  # batch 1
                feeds[k] = feeds[k][:1]
            a = b = None
            for _ in range(args.rounds):
                ra = ort.bench(src, inputs=feeds, runs=args.runs, warmup=3)
                rb = ort.bench(dst, inputs=feeds, runs=args.runs, warmup=3)
                if not ra.get('ok') or not rb.get('ok'):
                    a, b = ra, rb
                    break
                a = ra if a is None or ra['median_ms'] < a['median_ms'] else a
                b = rb if b is None or rb['median_ms'] < b['median_ms'] else b
            if not a.get('ok') or not b.get('ok'):
                print(f'{name:<15} ORT failed: {a.get("error") or b.get("error")}')
                ok = False
                continue
            lat = a['median_ms'] / b['median_ms']
            mac = macs(args.sp_opt, src) / macs(args.sp_opt, dst)
            ratio = lat / mac
            ok &= ratio >= 0.85
            print(f'{name:<15} {a["median_ms"]:8.2f} {b["median_ms"]:9.2f} {lat:9.2f} {mac:7.2f} '
                  f'{ratio:6.2f}  {"met" if ratio >= 0.85 else "NOT met"}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
