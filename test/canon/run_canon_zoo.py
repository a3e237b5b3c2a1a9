#!/usr/bin/python3
"""sp-canonicalize on the zoo: for every model exported by test/zoo/export_zoo.py,
  1. sp-opt NAME.onnx --pass-pipeline='builtin.module(sp-canonicalize{fold-bn=true})'
     -o NAME.canon.onnx succeeds;
  2. onnx.checker passes on the result;
  3. ONNX Runtime outputs of the original and the result agree within --tol (1e-4,
     max |diff| / max |orig|) on NAME.input_0.pb, and again on a batch of 2 when the
     batch dim is dynamic (the rewritten Reshape targets must keep it dynamic);
  4. fixed point: after sp-canonicalize,canonicalize,cse a second sp-canonicalize
     changes nothing (its stats line is all zeros).
Prints, per model: ops before/after, Reshapes whose target is not a constant
before/after, BatchNormalizations folded; then `N passed, M failed`; exit 1 on a failure.

  /usr/bin/python3 test/canon/run_canon_zoo.py --sp-opt BIN --zoo DIR [--work DIR]
      [--only NAME[,NAME]] [--tol 1e-4]
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
sys.path.insert(0, os.path.join(HERE, '..', 'zoo'))
import ortlib  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from run_zoo import checker_error  # noqa: E402

CANON = 'sp-canonicalize{fold-bn=true}'


def dynamic_reshapes(model):
    """Reshape nodes whose shape input is neither an initializer nor a Constant output."""
    constants = {i.name for i in model.graph.initializer}
    constants |= {o for n in model.graph.node if n.op_type == 'Constant' for o in n.output}
    return sum(1 for n in model.graph.node
               if n.op_type == 'Reshape' and len(n.input) > 1 and n.input[1] not in constants)


def count(model, op_type=None):
    return sum(1 for n in model.graph.node if op_type is None or n.op_type == op_type)


def sp_opt(args, src, pipeline, out, stats=None):
    if stats:
        pipeline = pipeline.replace(CANON, CANON[:-1] + f' stats={stats}}}', 1)
    cmd = [args.sp_opt, src, f'--pass-pipeline=builtin.module({pipeline})', '-o', out]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=args.timeout)
    if p.returncode:
        return ' '.join(p.stderr.decode('utf-8', 'replace').split())[:300] or f'exit {p.returncode}'
    return None


def stats_of(path):
    with open(path) as f:
        return {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', f.read())}


def run_model(args, ort, name):
    row = {'name': name, 'fail': []}
    src = os.path.join(args.zoo, f'{name}.onnx')
    with open(os.path.join(args.zoo, f'{name}.expected.json')) as f:
        expected = json.load(f)
    work = os.path.join(args.work, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    out = os.path.join(work, f'{name}.canon.onnx')
    stats1 = os.path.join(work, 'stats1.txt')
    err = sp_opt(args, src, CANON, out, stats=stats1)
    if err:
        row['fail'].append(f'sp-opt: {err}')
        return row
    original, canon = onnx.load(src), onnx.load(out)
    row['ops'] = (count(original), count(canon))
    row['reshapes'] = (dynamic_reshapes(original), dynamic_reshapes(canon))
    row['bn'] = (count(original, 'BatchNormalization'), count(canon, 'BatchNormalization'))
    row['stats'] = stats_of(stats1)
    err = checker_error(out, src)
    if err:
        row['fail'].append(f'checker: {err}')

    x = ortlib.load_pb(os.path.join(args.zoo, f'{name}.input_0.pb'))
    batches = [x]
    if '0' in expected['input'].get('dynamic_axes', {}):
        batches.append(np.concatenate([x, x[::-1] if x.ndim > 1 else x], axis=0))
    row['diff'] = 0.0
    for batch in batches:
        inputs = {expected['input']['name']: batch}
        reply, ref = ort.run(src, inputs=inputs)
        if not reply['ok']:
            row['fail'].append(f"ORT, original: {reply['error']}"[:300])
            break
        reply, got = ort.run(out, inputs=inputs)
        if not reply['ok']:
            row['fail'].append(f"ORT, canonicalized (batch {batch.shape[0]}): {reply['error']}"[:300])
            break
        d = ortlib.scaled_max_diff(ref, got)
        row['diff'] = max(row['diff'], d)
        if not d <= args.tol:
            row['fail'].append(f'outputs differ at batch {batch.shape[0]}: {d:.3g} > {args.tol:g}')

    stats2 = os.path.join(work, 'stats2.txt')
    pipeline = f'{CANON},canonicalize,cse,{CANON}'
    # Only the second sp-canonicalize writes stats.
    cmd_pipeline = (f'{CANON},canonicalize,cse,' + CANON[:-1] + f' stats={stats2}}}')
    err = sp_opt(args, src, cmd_pipeline, os.devnull)
    if err:
        row['fail'].append(f'{pipeline}: {err}')
    else:
        changed = {k: v for k, v in stats_of(stats2).items() if v}
        if changed:
            row['fail'].append(f'not a fixed point: second sp-canonicalize changed {changed}')
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--zoo', required=True)
    ap.add_argument('--work', default=None)
    ap.add_argument('--only', default=None)
    ap.add_argument('--tol', type=float, default=1e-4)
    ap.add_argument('--timeout', type=float, default=600)
    args = ap.parse_args()
    names = sorted(os.path.basename(p)[:-len('.expected.json')]
                   for p in glob.glob(os.path.join(args.zoo, '*.expected.json')))
    if args.only:
        wanted = set(args.only.split(','))
        names = [n for n in names if n in wanted]
    if not names:
        print(f'no models in {args.zoo} (run test/zoo/export_zoo.py first)')
        return 1
    tmp = None
    if not args.work:
        tmp = args.work = tempfile.mkdtemp(prefix='sp-canon-zoo-')
    rows = []
    with ortlib.OrtServer() as ort:
        for name in names:
            row = run_model(args, ort, name)
            rows.append(row)
            ok = 'ok' if not row['fail'] else 'FAIL'
            if 'ops' in row:
                print(f"{name:22} {ok:4}  ops {row['ops'][0]:5} -> {row['ops'][1]:5}  "
                      f"dynamic-target Reshapes {row['reshapes'][0]:3} -> {row['reshapes'][1]:3}  "
                      f"BN {row['bn'][0]:3} -> {row['bn'][1]:3}  "
                      f"max diff {row.get('diff', float('nan')):.2g}", flush=True)
            else:
                print(f'{name:22} {ok}', flush=True)
            for reason in row['fail']:
                print(f'    {reason}', flush=True)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = sum(1 for r in rows if r['fail'])
    print(f'{len(rows) - failed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
