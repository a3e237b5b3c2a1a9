#!/usr/bin/python3
"""Runs every model of sp's zoo with sp-run and compares its outputs with ONNX Runtime's
(same input): max |sp - ort| / max |ort| must be <= --tol (1e-4). Prints one line per
model and `N passed, M failed`; exits 1 on any failure.

  run_zoo_runtime.py --sp-run BUILD/tools/sp-run --zoo BUILD/zoo [--only a,b] [--work DIR]
                     [--isa generic|avx2|avx512]

--isa runs sp-run on that kernel set (SP_ISA); exit 77 (skipped) when the CPU
cannot run it.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import ortlib  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-run', required=True)
    ap.add_argument('--zoo', required=True)
    ap.add_argument('--only', default='')
    ap.add_argument('--tol', type=float, default=1e-4)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--work', default=None)
    ap.add_argument('--isa', help='kernel set to run on (SP_ISA)')
    args = ap.parse_args()
    if args.isa and not ortlib.use_kernel_set(args.sp_run, args.isa):
        return 77
    models = sorted(glob.glob(os.path.join(args.zoo, '*.onnx')))
    if args.only:
        keep = set(args.only.split(','))
        models = [m for m in models if os.path.basename(m)[:-5] in keep]
    if not models:
        print(f'no models in {args.zoo}')
        return 1
    work = args.work or tempfile.mkdtemp(prefix='sp-zoo-rt-')
    os.makedirs(work, exist_ok=True)
    passed = failed = 0
    with ortlib.OrtServer(threads=args.threads) as ort:
        for model in models:
            name = os.path.basename(model)[:-5]
            d = os.path.join(work, name)
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            shutil.copy(os.path.join(args.zoo, f'{name}.input_0.pb'), os.path.join(d, 'input_0.pb'))
            t0 = time.time()
            p = subprocess.run([args.sp_run, model, '--input-dir', d, '--output-dir',
                                os.path.join(d, 'sp'), '--threads', str(args.threads)],
                               capture_output=True, text=True)
            t_sp = time.time() - t0
            if p.returncode != 0:
                print(f'FAIL {name}: sp-run exit {p.returncode}: {p.stderr.strip()}')
                failed += 1
                continue
            reply, ref = ort.run(model, test_data_set=d)
            if not reply.get('ok'):
                print(f"FAIL {name}: ORT: {reply.get('error')}")
                failed += 1
                continue
            out = [ortlib.load_pb(f) for f in sorted(glob.glob(os.path.join(d, 'sp', 'output_*.pb')))]
            err = ortlib.scaled_max_diff(ref, out)
            ok = err <= args.tol
            print(f"{'ok  ' if ok else 'FAIL'} {name:20s} max rel err {err:.2e}  sp-run {t_sp:.2f}s")
            passed += ok
            failed += not ok
    print(f'{passed} passed, {failed} failed')
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
