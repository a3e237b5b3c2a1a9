#!/usr/bin/python3
"""Batch-1 latency of a model compiled by `sp-translate --emit-c` vs sp-run vs ONNX
Runtime (onnxruntime-node), at 1 and 2 threads, original and pruned (sp-opt
sp-importance{criterion=l2},sp-prune{ratio=R}).

For each model: emit (timed), build libmodel.a with the generated Makefile (timed) and
link bench/emit_c_bench.c; then per thread count, alternating for --rounds rounds:
the compiled model (OMP_NUM_THREADS=T), `sp-run --bench N --threads T`, and ORT's bench
request; each side keeps its best round median (a load spike hits no side alone), and
the fastest single run (the least disturbed on a shared machine) is printed beside.
Prints the latencies, the ratios compiled/sp-run and compiled/ORT, and the sizes
(libmodel.a, the linked benchmark executable, NAME.weights). A model --emit-c cannot
compile prints its one-line error instead.

  bench/emit_c_latency.py --build build --zoo build/zoo
      [--models fashion,resnet50,mobilenet_v2,vit_b_16] [--prune 0.5] [--threads 1,2]
      [--runs 20] [--rounds 3] [--tune]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(ROOT, 'test', 'tools'))
import ortlib  # noqa: E402

PRUNE = 'builtin.module(sp-importance{criterion=l2},sp-prune{ratio=%s})'


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode:
        raise RuntimeError((p.stderr or p.stdout).strip().splitlines()[-1])
    return p.stdout


def latency(out):
    """(median, min) of a 'latency_ms median=X min=Y' line."""
    m = re.search(r'latency_ms median=([0-9.]+) min=([0-9.]+)', out)
    return float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--zoo', required=True)
    ap.add_argument('--models', default='fashion,resnet50,mobilenet_v2,vit_b_16')
    ap.add_argument('--prune', default='0.5')
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--tune', action='store_true',
                    help='emit with --tune (timed at the first thread count)')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    tools = os.path.join(build, 'tools')
    translate, sp_opt, sp_run = (os.path.join(tools, t) for t in
                                 ('sp-translate', 'sp-opt', 'sp-run'))
    work = tempfile.mkdtemp(prefix='sp-emitc-bench-')
    env = dict(os.environ, GOMP_SPINCOUNT=os.environ.get('GOMP_SPINCOUNT', '10000'))
    models = []
    for name in args.models.split(','):
        src = (os.path.join(ROOT, 'examples', 'fashion_resnet.onnx') if name == 'fashion'
               else os.path.join(args.zoo, name + '.onnx'))
        models.append((name, src))
        for r in [r for r in args.prune.split(',') if r]:
            pruned = os.path.join(work, f'{name}.p{r}.onnx')
            try:
                run([sp_opt, src, '--pass-pipeline=' + PRUNE % r, '-o', pruned])
                models.append((f'{name}.p{r}', pruned))
            except RuntimeError as e:
                print(f'{name}.p{r}: sp-opt: {e}')
    print(f"{'model':18s} {'gen s':>6s} {'cc s':>5s} {'lib KB':>7s} {'exe KB':>7s} "
          f"{'wts KB':>7s}")
    built = []
    for name, src in models:
        out = os.path.join(work, name)
        try:
            t0 = time.time()
            run([translate, '--emit-c', src, '-o', out, '--name', 'model'] +
                (['--tune'] if args.tune else []),
                env=dict(env, OMP_NUM_THREADS=args.threads.split(',')[0]))
            t1 = time.time()
            run(['make', '-s', f'KERNELS_DIR={build}/lib', 'CFLAGS=-O2 -fopenmp'], cwd=out)
            t2 = time.time()
            exe = os.path.join(out, 'bench')
            run(['cc', '-O2', '-I', out, os.path.join(HERE, 'emit_c_bench.c'),
                 os.path.join(out, 'libmodel.a'), f'-L{build}/lib', '-lsp_kernels',
                 '-lopenblas', '-fopenmp', '-lm', '-o', exe])
        except RuntimeError as e:
            print(f'{name:18s} not compiled: {e}')
            continue
        size = lambda p: os.path.getsize(p) / 1024  # noqa: E731
        print(f'{name:18s} {t1 - t0:6.2f} {t2 - t1:5.2f} {size(os.path.join(out, "libmodel.a")):7.0f} '
              f'{size(exe):7.0f} {size(os.path.join(out, "model.weights")):7.0f}', flush=True)
        built.append((name, src, exe))
    print(f"\n{'model':18s} {'thr':>3s} {'emit-c':>8s} {'sp-run':>8s} {'ORT':>8s} "
          f"{'/sp-run':>7s} {'/ORT':>6s}   {'min: emit-c':>11s} {'sp-run':>8s} {'ORT':>8s} "
          f"{'/sp-run':>7s} {'/ORT':>6s}")
    for threads in [int(t) for t in args.threads.split(',')]:
        with ortlib.OrtServer(threads=threads) as ort:
            for name, src, exe in built:
                x = None
                info = ort.info(src)
                shape = [d if isinstance(d, int) else 1 for d in info['inputs'][0]['dims']]
                import numpy as np
                x = np.random.default_rng(0).random(shape, dtype=np.float32)
                best = {'c': [], 'sp': [], 'ort': []}  # (median, min) per round
                try:
                    for _ in range(args.rounds):
                        best['c'].append(latency(run([exe, str(args.runs)], env=dict(
                            env, OMP_NUM_THREADS=str(threads)))))
                        best['sp'].append(latency(run(
                            [sp_run, src, '--random', '--bench', str(args.runs), '--threads',
                             str(threads)], env=env)))
                        reply = ort.bench(src, inputs={info['inputs'][0]['name']: x},
                                          runs=args.runs)
                        if not reply.get('ok'):
                            raise RuntimeError('ORT: ' + reply.get('error', '?'))
                        best['ort'].append((reply['median_ms'], reply['min_ms']))
                except RuntimeError as e:
                    print(f'{name:18s} {threads:3d} {e}')
                    continue
                c, s, o = (min(r[0] for r in best[k]) for k in ('c', 'sp', 'ort'))
                cm, sm, om = (min(r[1] for r in best[k]) for k in ('c', 'sp', 'ort'))
                print(f'{name:18s} {threads:3d} {c:8.2f} {s:8.2f} {o:8.2f} {c / s:7.2f} '
                      f'{c / o:6.2f}   {cm:11.2f} {sm:8.2f} {om:8.2f} {cm / sm:7.2f} '
                      f'{cm / om:6.2f}', flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
