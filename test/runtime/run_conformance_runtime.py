#!/usr/bin/python3
"""ONNX conformance for sp's runtime: runs every case of Debian's libonnx-testdata
(node, pytorch-converted, pytorch-operator, simple) with sp-run and compares its outputs
with the stored output_N.pb under the ONNX backend-test tolerances (rtol 1e-3, atol 1e-7).

A case counts as unsupported when sp-run exits 3 (an op, attribute or element type with
no kernel, named in its message) or when its inputs/outputs are not tensors; every other
case must pass. Prints per-op counts (passed / failed / unsupported, over the cases that
use the op), every failure, and a final line `N passed, M failed, K unsupported`.
Exit status 1 when any supported case fails.

  run_conformance_runtime.py --sp-run BUILD/tools/sp-run [--data DIR] [--jobs 2]
                             [--filter SUBSTR] [--report FILE]
"""
import argparse
import collections
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import onnx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import ortlib  # noqa: E402

SUITES = ['node', 'pytorch-converted', 'pytorch-operator', 'simple']


def cases(data, filt):
    for suite in SUITES:
        for d in sorted(glob.glob(os.path.join(data, suite, '*'))):
            if os.path.exists(os.path.join(d, 'model.onnx')) and (not filt or filt in d):
                yield suite, d


def run_case(sp_run, suite, d, work):
    """-> (status, ops, message) with status in pass/fail/unsupported."""
    try:
        model = onnx.load(os.path.join(d, 'model.onnx'))
    except Exception as e:  # noqa: BLE001 - a case the ONNX loader rejects
        return 'unsupported', [], f'onnx.load: {e}'
    ops = sorted({(n.domain + '.' if n.domain not in ('', 'ai.onnx') else '') + n.op_type
                  for n in model.graph.node})
    bad_io = ortlib.non_tensor_io(model)
    if bad_io:
        return 'unsupported', ops, f'non-tensor input/output {bad_io[0]}'
    sets = sorted(glob.glob(os.path.join(d, 'test_data_set_*')))
    if not sets:
        return 'unsupported', ops, 'no test data'
    out_dir = tempfile.mkdtemp(dir=work)
    try:
        for ds in sets:
            out = os.path.join(out_dir, os.path.basename(ds))
            try:
                p = subprocess.run([sp_run, os.path.join(d, 'model.onnx'), '--input-dir', ds,
                                    '--output-dir', out, '--threads', '1'],
                                   capture_output=True, text=True, timeout=120)
            except subprocess.TimeoutExpired:
                return 'fail', ops, 'timeout'
            if p.returncode == 3:
                return 'unsupported', ops, p.stderr.strip().replace('sp-run: error: ', '')
            if p.returncode != 0:
                return 'fail', ops, f'exit {p.returncode}: {p.stderr.strip()[-300:]}'
            try:
                ref = ortlib.load_test_data_set(ds)[1]
            except Exception as e:  # noqa: BLE001 - e.g. a sequence output file
                return 'unsupported', ops, f'reference outputs: {e}'
            got = [ortlib.load_pb(f) for f in
                   sorted(glob.glob(os.path.join(out, 'output_*.pb')),
                          key=lambda f: int(f.rsplit('_', 1)[1][:-3]))]
            reason = ortlib.compare_outputs(ref, got, names=[o.name for o in model.graph.output])
            if reason:
                return 'fail', ops, f'{os.path.basename(ds)}: {reason}'
        return 'pass', ops, ''
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-run', required=True)
    ap.add_argument('--data', default='/usr/share/libonnx-testdata/data')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--filter', default='')
    ap.add_argument('--report', default=None)
    ap.add_argument('--verbose', action='store_true')
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix='sp-conf-rt-')
    todo = list(cases(args.data, args.filter))
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futs = {pool.submit(run_case, args.sp_run, s, d, work): (s, d) for s, d in todo}
        for f in concurrent.futures.as_completed(futs):
            s, d = futs[f]
            status, ops, msg = f.result()
            results.append((f'{s}/{os.path.basename(d)}', status, ops, msg))
    shutil.rmtree(work, ignore_errors=True)
    results.sort()
    per_op = collections.defaultdict(collections.Counter)
    for _, status, ops, _ in results:
        for op in ops:
            per_op[op][status] += 1
    lines = [f"{'op':28s} {'pass':>5s} {'fail':>5s} {'unsup':>5s}"]
    for op in sorted(per_op):
        c = per_op[op]
        lines.append(f"{op:28s} {c['pass']:5d} {c['fail']:5d} {c['unsupported']:5d}")
    lines.append('')
    for name, status, _, msg in results:
        if status == 'fail' or (args.verbose and status == 'unsupported'):
            lines.append(f'{status.upper()} {name}: {msg}')
    total = collections.Counter(r[1] for r in results)
    lines.append(f"{total['pass']} passed, {total['fail']} failed, "
                 f"{total['unsupported']} unsupported")
    text = '\n'.join(lines)
    print(text)
    if args.report:
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        with open(args.report, 'w') as f:
            f.write(text + '\n')
            for name, status, _, msg in results:
                if status == 'unsupported':
                    f.write(f'UNSUPPORTED {name}: {msg}\n')
    return 1 if total['fail'] else 0


if __name__ == '__main__':
    sys.exit(main())
