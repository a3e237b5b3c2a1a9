#!/usr/bin/python3
"""Batch-1 latency of sp-run vs ONNX Runtime (onnxruntime-node), same thread count.

For each model and thread count: `sp-run MODEL --bench N --threads T` (median of N timed
runs after warm-up) and ORT's bench request (same input file, same runs), alternated for
--rounds rounds; each side reports the best of its round medians, so a load spike from
other processes on a shared machine hits neither side alone. Prints one line per
(model, threads) with both latencies and the ratio sp/ORT (goal <= 1.25), the same for the
fastest single run (least disturbed by other load), and the OpenBLAS core type. OPENBLAS_CORETYPE is set for sp-run (default SkylakeX when the CPU has
AVX-512F, else unset) so a mis-detected core does not distort the numbers.
GOMP_SPINCOUNT=10000 is set for sp-run too: it is what sp-run picks on an idle
machine, but ORT's pool (which spins by default) is still winding down when sp-run
starts, and sp-run's load check would then pick the passive wait.
Each 2-thread line also prints the core-to-core round trip (bench/core_pingpong.c,
compiled here with cc) measured before and after it: on a VM whose vCPUs sometimes
sit far apart (~400 ns instead of ~70), both runtimes' 2-thread times move with it.

  bench/runtime_latency.py --sp-run build/tools/sp-run --zoo build/zoo
                           [--models resnet18,resnet50,mobilenet_v2,vit_b_16]
                           [--threads 1,2] [--runs 20]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'tools'))
import ortlib  # noqa: E402


def has_avx512():
    try:
        with open('/proc/cpuinfo') as f:
            return ' avx512f' in f.read()
    except OSError:
        return False


def build_pingpong(work):
    """bench/core_pingpong.c compiled into work, or None without a compiler."""
    exe = os.path.join(work, 'core_pingpong')
    try:
        subprocess.run([os.environ.get('CC', 'cc'), '-O2', '-pthread',
                        os.path.join(HERE, 'core_pingpong.c'), '-o', exe],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return exe


def pingpong(exe):
    if not exe:
        return '?'
    p = subprocess.run([exe], capture_output=True, text=True)
    return p.stdout.strip() or '?'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-run', required=True)
    ap.add_argument('--zoo', required=True)
    ap.add_argument('--models', default='resnet18,resnet50,mobilenet_v2,vit_b_16')
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--coretype', default='SkylakeX' if has_avx512() else '')
    args = ap.parse_args()
    env = dict(os.environ)
    if args.coretype:
        env['OPENBLAS_CORETYPE'] = args.coretype
    env.setdefault('GOMP_SPINCOUNT', '10000')
    core = subprocess.run(
        [args.sp_run, '--blas-core'], capture_output=True, text=True, env=env).stdout.strip()
    print(f'OpenBLAS core: {core or "?"}'
          f" (OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', 'unset')})")
    work = tempfile.mkdtemp(prefix='sp-bench-')
    probe = build_pingpong(work)
    print(f"{'model':16s} {'thr':>3s} {'sp med':>9s} {'ort med':>9s} {'ratio':>6s}"
          f"   {'sp min':>9s} {'ort min':>9s} {'ratio':>6s}   core round trip ns")
    worst = 0.0
    for threads in [int(t) for t in args.threads.split(',')]:
        with ortlib.OrtServer(threads=threads) as ort:
            for name in args.models.split(','):
                model = os.path.join(args.zoo, f'{name}.onnx')
                inp = os.path.join(args.zoo, f'{name}.input_0.pb')
                info = ort.info(model)
                in_name = info['inputs'][0]['name']
                x = ortlib.load_pb(inp)
                trip_before = pingpong(probe) if threads > 1 else ''
                sp_runs, ort_runs, sp_mins, ort_mins, error = [], [], [], [], None
                for _ in range(args.rounds):
                    p = subprocess.run([args.sp_run, model, '--random', '--bench',
                                        str(args.runs), '--threads', str(threads)],
                                       capture_output=True, text=True, env=env)
                    m = re.search(r'latency_ms median=([0-9.]+) min=([0-9.]+)', p.stdout)
                    if p.returncode or not m:
                        error = f'sp-run failed: {p.stderr.strip()}'
                        break
                    sp_runs.append(float(m.group(1)))
                    sp_mins.append(float(m.group(2)))
                    reply = ort.bench(model, inputs={in_name: x}, runs=args.runs)
                    if not reply.get('ok'):
                        error = f"ORT failed: {reply.get('error')}"
                        break
                    ort_runs.append(reply['median_ms'])
                    ort_mins.append(reply['min_ms'])
                if error:
                    print(f'{name:16s} {threads:3d} {error}')
                    continue
                sp_ms, ort_ms = min(sp_runs), min(ort_runs)
                ratio = sp_ms / ort_ms
                min_ratio = min(sp_mins) / min(ort_mins)
                worst = max(worst, ratio)
                trips = f'   {trip_before} -> {pingpong(probe)}' if threads > 1 else ''
                print(f'{name:16s} {threads:3d} {sp_ms:9.2f} {ort_ms:9.2f} {ratio:6.2f}'
                      f'   {min(sp_mins):9.2f} {min(ort_mins):9.2f} {min_ratio:6.2f}'
                      f'{trips}', flush=True)
    print(f'worst ratio of medians {worst:.2f} (goal <= 1.25)')
    if probe:
        os.remove(probe)
    os.rmdir(work)
    return 0


if __name__ == '__main__':
    sys.exit(main())
