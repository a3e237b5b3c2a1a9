#!/usr/bin/python3
"""Batch-1 latency of sp-run vs ONNX Runtime (onnxruntime-node), same thread count.

For each model and thread count: `sp-run MODEL --bench N --threads T` (median of N timed
runs after warm-up) and ORT's bench request (same input file, same runs), alternated for
--rounds rounds; each side reports the best of its round medians, so a load spike from
other processes on a shared machine hits neither side alone. Prints one line per
(model, threads) with both latencies and the ratio sp/ORT (goal <= 1.25), the same for the
fastest single run (least disturbed by other load), and the OpenBLAS core type.
--coretype sets OPENBLAS_CORETYPE for sp-run (default unset: OpenBLAS's own choice,
which sp-run flags with a hint when it is weaker than the CPU).
GOMP_SPINCOUNT=10000 is set for sp-run too: it is what sp-run picks on an idle
machine, but ORT's pool (which spins by default) is still winding down when sp-run
starts, and sp-run's load check would then pick the passive wait.
--isa avx2,avx512 measures sp-run once per kernel set (SP_ISA) against the same ORT
runs; the isa column names the set sp-run used (default: the best this CPU runs).
Each 2-thread line also prints the core-to-core round trip (bench/core_pingpong.c,
compiled here with cc) measured before and after it: on a VM whose vCPUs sometimes
sit far apart (~400 ns instead of ~70), both runtimes' 2-thread times move with it.

  bench/runtime_latency.py --sp-run build/tools/sp-run --zoo build/zoo
                           [--models resnet18,resnet50,mobilenet_v2,vit_b_16]
                           [--threads 1,2] [--runs 20] [--isa avx2,avx512]
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
    ap.add_argument('--coretype', default='')
    ap.add_argument('--isa', default='', help='kernel sets to compare (SP_ISA), comma-separated')
    args = ap.parse_args()
    env = dict(os.environ)
    if args.coretype:
        env['OPENBLAS_CORETYPE'] = args.coretype
    env.setdefault('GOMP_SPINCOUNT', '10000')
    core = subprocess.run(
        [args.sp_run, '--blas-core'], capture_output=True, text=True, env=env).stdout.strip()
    print(f'OpenBLAS core: {core or "?"}'
          f" (OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', 'unset')})")
    isa_envs = []  # (isa sp-run reports, environment)
    for want in args.isa.split(',') if args.isa else ['']:
        e = dict(env, SP_ISA=want) if want else env
        version = subprocess.run([args.sp_run, '--version'], capture_output=True,
                                 text=True, env=e).stdout
        m = re.search(r'^kernels: (\S+)', version, re.M)
        isa_envs.append((m.group(1) if m else '?', e))
    work = tempfile.mkdtemp(prefix='sp-bench-')
    probe = build_pingpong(work)
    print(f"{'model':16s} {'thr':>3s} {'isa':>7s} {'sp med':>9s} {'ort med':>9s} {'ratio':>6s}"
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
                sp_runs = [[] for _ in isa_envs]
                sp_mins = [[] for _ in isa_envs]
                ort_runs, ort_mins, error = [], [], None
                for _ in range(args.rounds):
                    for k, (_, e) in enumerate(isa_envs):
                        p = subprocess.run([args.sp_run, model, '--random', '--bench',
                                            str(args.runs), '--threads', str(threads)],
                                           capture_output=True, text=True, env=e)
                        m = re.search(r'latency_ms median=([0-9.]+) min=([0-9.]+)', p.stdout)
                        if p.returncode or not m:
                            error = f'sp-run failed: {p.stderr.strip()}'
                            break
                        sp_runs[k].append(float(m.group(1)))
                        sp_mins[k].append(float(m.group(2)))
                    if error:
                        break
                    reply = ort.bench(model, inputs={in_name: x}, runs=args.runs)
                    if not reply.get('ok'):
                        error = f"ORT failed: {reply.get('error')}"
                        break
                    ort_runs.append(reply['median_ms'])
                    ort_mins.append(reply['min_ms'])
                if error:
                    print(f'{name:16s} {threads:3d} {error}')
                    continue
                ort_ms = min(ort_runs)
                trips = f'   {trip_before} -> {pingpong(probe)}' if threads > 1 else ''
                for k, (isa, _) in enumerate(isa_envs):
                    sp_ms = min(sp_runs[k])
                    ratio = sp_ms / ort_ms
                    min_ratio = min(sp_mins[k]) / min(ort_mins)
                    worst = max(worst, ratio)
                    print(f'{name:16s} {threads:3d} {isa:>7s} {sp_ms:9.2f} {ort_ms:9.2f} {ratio:6.2f}'
                          f'   {min(sp_mins[k]):9.2f} {min(ort_mins):9.2f} {min_ratio:6.2f}'
                          f'{trips}', flush=True)
    print(f'worst ratio of medians {worst:.2f} (goal <= 1.25)')
    if probe:
        os.remove(probe)
    os.rmdir(work)
    return 0


if __name__ == '__main__':
    sys.exit(main())
