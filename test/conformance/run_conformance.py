#!/usr/bin/python3
"""ONNX conformance round trip: for every ONNX backend test case (libonnx-testdata),
  (a) run the original model in ONNX Runtime and compare with the stored outputs; when ORT
      cannot load/run it or disagrees, the case is skipped ("ORT cannot run it");
  (b) sp-translate --import-onnx, then --export-onnx; onnx.checker on the result; run it
      in ORT and compare with the stored outputs (ONNX backend tolerances).
Prints per-category counts, the failures with one-line reasons, and finally
`N passed, M failed`. Exit status 1 when any case ORT runs fails.

  /usr/bin/python3 test/conformance/run_conformance.py --sp-translate build/tools/sp-translate
      [--filter REGEX] [--jobs 2] [--work DIR] [--report FILE] [--keep]
"""

import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import ortlib  # noqa: E402
from progress import Progress  # noqa: E402
import onnx  # noqa: E402

DATA_DIR = '/usr/share/libonnx-testdata/data'
CATEGORIES = ['node', 'pytorch-converted', 'pytorch-operator', 'simple', 'real']

PASS, FAIL, SKIP, ABSENT = 'pass', 'fail', 'skip', 'absent'


def one_line(text, limit=240):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    pick = next((ln for ln in lines if 'error' in ln.lower()), lines[0] if lines else '')
    return pick if len(pick) <= limit else pick[:limit] + '...'


def run_tool(cmd, timeout):
    """Run a tool; None on success, else a one-line reason."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return f'timed out after {timeout}s'
    if p.returncode == 0:
        return None
    if p.returncode < 0:
        sig = signal.Signals(-p.returncode).name
        tail = one_line(p.stderr.decode('utf-8', 'replace'))
        return f'crashed ({sig})' + (f': {tail}' if tail else '')
    msg = one_line(p.stderr.decode('utf-8', 'replace')) or \
        one_line(p.stdout.decode('utf-8', 'replace'))
    return f'exit {p.returncode}: {msg}' if msg else f'exit {p.returncode} with no message'


class Runner:
    def __init__(self, args):
        self.args = args
        self.local = threading.local()
        self.servers = []
        self.lock = threading.Lock()

    def ort(self):
        if not hasattr(self.local, 'server'):
            self.local.server = ortlib.OrtServer(threads=1, timeout=self.args.timeout)
            with self.lock:
                self.servers.append(self.local.server)
        return self.local.server

    def run_all_sets(self, model_path, sets):
        """Run model on every test_data_set; return None or (kind, reason)."""
        for ds in sets:
            reply, outs = self.ort().run(model_path, test_data_set=ds)
            if not reply['ok']:
                return 'ort', f"{reply.get('stage')}: {reply.get('error')}"
            try:
                ref = ortlib.load_test_data_set(ds)[1]
            except Exception as e:  # a SequenceProto etc. in the stored outputs
                return 'ort', f'stored outputs are not tensors: {e}'
            names = [o['name'] for o in reply['outputs']]
            reason = ortlib.compare_outputs(ref, outs, names=names)
            if reason:
                return 'mismatch', f'{os.path.basename(ds)}: {reason}'
        return None

    def case(self, category, name):
        t0 = time.monotonic()
        status, reason = self._case(category, name)
        return category, name, status, reason, time.monotonic() - t0

    def _case(self, category, name):
        src = os.path.join(self.args.data_dir, category, name)
        model_path = os.path.join(src, 'model.onnx')
        if not os.path.exists(model_path):
            return ABSENT, 'no model.onnx (data.json only: the model is downloaded, not shipped)'
        sets = sorted(glob.glob(os.path.join(src, 'test_data_set_*')))
        if not sets:
            return SKIP, 'no test_data_set'
        model = onnx.load(model_path)
        odd = ortlib.non_tensor_io(model)
        if odd:
            ort_skip = ('non-tensor input/output '
                        f"({', '.join(odd)}) unsupported by onnxruntime-node")
        else:
            bad = self.run_all_sets(model_path, sets)
            ort_skip = f'{bad[0]}: {bad[1]}' if bad else None

        work = os.path.join(self.args.work, category, name)
        shutil.rmtree(work, ignore_errors=True)  # artifacts of an earlier run
        os.makedirs(work)
        out = os.path.join(work, 'model.onnx')
        err = self.round_trip(model_path, model, work)
        if ort_skip:
            # Still worth knowing whether sp can import/export it; never a failure.
            if not err and not self.args.keep:
                shutil.rmtree(work, ignore_errors=True)
            note = f'round trip: {err}' if err else 'round trip ok'
            return SKIP, f'ORT cannot run it: {ort_skip} [{note}]'
        if err:
            return FAIL, err
        bad = self.run_all_sets(out, sets)
        if bad:
            kind, why = bad
            return FAIL, (f'mismatch: {why}' if kind == 'mismatch' else f'ORT on exported: {why}')
        if not self.args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return PASS, ''

    def round_trip(self, model_path, model, work):
        """import, export, onnx.checker; None or the one-line reason."""
        mlir, out = os.path.join(work, 'model.mlir'), os.path.join(work, 'model.onnx')
        tool = self.args.sp_translate
        err = run_tool([tool, '--import-onnx', model_path, '-o', mlir], self.args.timeout)
        if err:
            return f'import: {err}'
        err = run_tool([tool, '--export-onnx', mlir, '-o', out], self.args.timeout)
        if err:
            return f'export: {err}'
        try:
            exported = onnx.load(out)
        except Exception as e:
            return f'export: output is not an ONNX model: {one_line(str(e))}'
        err = self.check(exported, model)
        return f'checker: {err}' if err else None

    @staticmethod
    def check(exported, original):
        """onnx.checker with full_check; fall back to the plain check only when the
        original model fails the full check as well."""
        try:
            onnx.checker.check_model(exported, full_check=True)
            return None
        except Exception as e:
            full_err = one_line(str(e))
        try:
            onnx.checker.check_model(original, full_check=True)
            return full_err
        except Exception:
            pass
        try:
            onnx.checker.check_model(exported)
            return None
        except Exception as e:
            return one_line(str(e))

    def close(self):
        for s in self.servers:
            s.close()


def discover(data_dir, categories, pattern):
    cases = []
    for cat in categories:
        root = os.path.join(data_dir, cat)
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            if os.path.isdir(os.path.join(root, name)) and \
                    (not pattern or pattern.search(f'{cat}/{name}')):
                cases.append((cat, name))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sp-translate', required=True, help='path to the sp-translate binary')
    ap.add_argument('--filter', help='regex matched against CATEGORY/test_name')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--data-dir', default=DATA_DIR)
    ap.add_argument('--categories', default=','.join(CATEGORIES))
    ap.add_argument('--work', help='scratch dir (default: a temp dir, kept on failure)')
    ap.add_argument('--report', default='conformance_report.txt',
                    help='summary file listing every failure and skip')
    ap.add_argument('--keep', action='store_true', help='keep artifacts of passing cases')
    ap.add_argument('--timeout', type=int, default=120, help='seconds per tool/ORT call')
    ap.add_argument('-v', '--verbose', action='store_true', help='print every case')
    ap.add_argument('-q', '--quiet', action='store_true',
                    help='no progress bar (drawn only when stderr is a terminal)')
    args = ap.parse_args()

    if not os.access(args.sp_translate, os.X_OK):
        print(f'error: {args.sp_translate} is not an executable', file=sys.stderr)
        return 2
    args.sp_translate = os.path.abspath(args.sp_translate)
    try:
        ortlib.check_installed()
    except ortlib.OrtUnavailable as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    own_work = args.work is None
    args.work = os.path.abspath(args.work or tempfile.mkdtemp(prefix='sp-conformance-'))
    os.makedirs(args.work, exist_ok=True)

    pattern = re.compile(args.filter) if args.filter else None
    cats = args.categories.split(',')
    cases = discover(args.data_dir, cats, pattern)
    runner = Runner(args)
    results = []
    t0 = time.monotonic()
    bar = Progress('conformance', len(cases), args.quiet)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(runner.case, c, n) for c, n in cases]
            for fut in concurrent.futures.as_completed(futures):
                r = fut.result()
                results.append(r)
                if args.verbose or r[2] == FAIL:
                    bar.say(f'{r[2].upper():5} {r[0]}/{r[1]} {r[3]}')
                failed = sum(x[2] == FAIL for x in results)
                bar.update(len(results), f'{failed} failed' if failed else '')
    finally:
        bar.finish()
        runner.close()
    elapsed = time.monotonic() - t0
    results.sort()

    counts = {c: {PASS: 0, FAIL: 0, SKIP: 0, ABSENT: 0} for c in cats}
    for cat, _, status, _, _ in results:
        counts[cat][status] += 1
    print(f'\nONNX conformance round trip ({len(results)} cases, {elapsed:.0f}s, '
          f'--jobs {args.jobs})')
    print(f"{'category':20} {'cases':>6} {'ORT-skip':>9} {'passed':>7} {'failed':>7} {'absent':>7}")
    for cat in cats:
        c = counts[cat]
        total = sum(c.values())
        if total:
            print(f'{cat:20} {total:6} {c[SKIP]:9} {c[PASS]:7} {c[FAIL]:7} {c[ABSENT]:7}')
    failures = [r for r in results if r[2] == FAIL]
    skips = [r for r in results if r[2] == SKIP]
    absent = [r for r in results if r[2] == ABSENT]

    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report, 'w') as f:
        f.write(f'# sp-translate round trip over {args.data_dir}\n')
        f.write(f'# {sum(r[2] == PASS for r in results)} passed, {len(failures)} failed, '
                f'{len(skips)} skipped (ORT cannot run it), {len(absent)} absent\n')
        for title, rows in (('FAILED', failures), ('SKIPPED (ORT cannot run it)', skips),
                            ('ABSENT', absent)):
            f.write(f'\n## {title} ({len(rows)})\n')
            for cat, name, _, reason, _ in rows:
                f.write(f'{cat}/{name}: {reason}\n')
    broken = sum('[round trip:' in r[3] for r in skips)
    print(f'{len(skips)} skipped (ORT cannot run it; {broken} of them fail import/export/'
          f'checker, not counted), {len(absent)} absent; full list in '
          f'{os.path.abspath(args.report)}')
    slow = sorted(results, key=lambda r: -r[4])[:3]
    print('slowest: ' + ', '.join(f'{c}/{n} {t:.1f}s' for c, n, _, _, t in slow))
    if failures:
        print(f'\nfailures ({len(failures)}):')
        for cat, name, _, reason, _ in failures:
            print(f'  {cat}/{name}: {reason}')
        print(f'artifacts of failed cases: {args.work}')
    elif own_work and not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    passed = sum(r[2] == PASS for r in results)
    print(f'{passed} passed, {len(failures)} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
