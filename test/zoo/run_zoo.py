#!/usr/bin/python3
"""Zoo test: for every model exported by export_zoo.py,
  1. sp-translate --import-onnx / --export-onnx round trip;
  2. onnx.checker on the exported model;
  3. ONNX Runtime outputs of original and round-tripped model on NAME.input_0.pb agree:
     max |rt - orig| / max |orig| <= --tol (1e-5);
  4. sp-opt NAME.onnx -o /dev/null --pass-pipeline='builtin.module(sp-model-stats{json=F})'
     reports exactly the params and MACs PyTorch counted (NAME.expected.json). On a
     difference the ops that account for it are named, from an independent count over
     the ONNX file (same conventions as sp-model-stats: float initializers at their first
     user, BatchNormalization running mean/var excluded; Conv/ConvTranspose/Gemm/MatMul
     MACs with batch 1).
Prints a table and the final line `N passed, M failed`; exit 1 on any failure.

  /usr/bin/python3 test/zoo/run_zoo.py --sp-translate BIN --sp-opt BIN --zoo DIR
      [--only NAME[,NAME]] [--work DIR] [--tol 1e-5]
"""

import argparse
import glob
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import ortlib  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'conformance'))
from run_conformance import run_tool, one_line  # noqa: E402

FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
               onnx.TensorProto.BFLOAT16}


# ------------------------------------------------------------------ independent ONNX count

def static_shapes(model):
    """value name -> dims, from ONNX shape inference with the graph inputs' symbolic dims
    set to 1 (sp-model-stats takes a dynamic dim as 1); the exporter's value_info, symbols
    taken as 1, for what inference leaves open."""
    def dims_of(v):
        t = v.type.tensor_type
        if not t.HasField('shape'):
            return None
        return [d.dim_value if d.HasField('dim_value') and d.dim_value > 0 else 1
                for d in t.shape.dim]

    shapes = {i.name: list(i.dims) for i in model.graph.initializer}
    for v in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        d = dims_of(v)
        if d is not None:
            shapes.setdefault(v.name, d)
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for v in m.graph.input:
        for d in v.type.tensor_type.shape.dim:
            if not d.HasField('dim_value') or d.dim_value <= 0:
                d.dim_value = 1
    for v in m.graph.output:  # may hold symbols that become known once the batch is 1
        v.type.tensor_type.ClearField('shape')
    del m.graph.value_info[:]
    try:
        m = onnx.shape_inference.infer_shapes(m, data_prop=True)
    except Exception:
        pass
    for v in list(m.graph.value_info) + list(m.graph.output):
        t = v.type.tensor_type
        if t.HasField('shape') and all(d.HasField('dim_value') for d in t.shape.dim):
            shapes[v.name] = [d.dim_value for d in t.shape.dim]
    shapes.update({i.name: list(i.dims) for i in model.graph.initializer})
    for v in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        d = dims_of(v)
        if d is not None:
            shapes.setdefault(v.name, d)
    return shapes


CONTRACTIONS = ('Conv', 'ConvTranspose', 'Gemm', 'MatMul')


def ort_shapes(ort, model, names, inputs, work):
    """Shapes of the named values, by running a copy of the model in ORT with them as
    extra graph outputs (for values that ONNX shape inference leaves symbolic)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for name in names:
        if name not in have:
            m.graph.output.append(onnx.ValueInfoProto(name=name))
    path = os.path.join(work, 'shapes.onnx')
    onnx.save(m, path)
    try:
        reply = ort.request({'op': 'run', 'model': path,
                             'inputs': ort._input_specs(inputs, work)})
    finally:
        os.remove(path)
    if not reply.get('ok'):
        return {}
    return {o['name']: o['dims'] for o in reply['outputs']}


def onnx_counts(model, ort=None, inputs=None, work=None):
    """Count params and MACs on the ONNX graph. Returns (by_type, initializer_users) where
    by_type = {op_type: {'params', 'macs', 'unknown'}}, initializer_users lists
    (initializer name, numel, op_type, input slot, counted) for every float initializer
    and node_macs lists (node name, op_type, macs, A dims, B dims, Y dims) per contraction.
    With ort, inputs and work, shapes inference leaves open are measured in ORT."""
    inits = {i.name: i for i in model.graph.initializer}
    shapes = static_shapes(model)
    if ort is not None:
        wanted = {v for n in model.graph.node if n.op_type in CONTRACTIONS
                  for v in (n.input[0], n.input[1], n.output[0]) if v not in shapes}
        if wanted:
            shapes.update(ort_shapes(ort, model, sorted(wanted), inputs, work))
    by_type, users, seen, node_macs = {}, [], set(), []

    def numel(name):
        s = shapes.get(name)
        return math.prod(s) if s is not None else None

    for node in model.graph.node:
        t = by_type.setdefault(node.op_type, {'params': 0, 'macs': 0, 'unknown': 0})
        for slot, name in enumerate(node.input):
            if name in inits and name not in seen:
                seen.add(name)
                init = inits[name]
                if init.data_type in FLOAT_TYPES:
                    n = math.prod(init.dims)
                    counted = not (node.op_type == 'BatchNormalization' and slot in (3, 4))
                    users.append((name, n, node.op_type, slot, counted))
                    if counted:
                        t['params'] += n
        op = node.op_type
        if op in CONTRACTIONS:
            x, w = shapes.get(node.input[0]), shapes.get(node.input[1])
            y = numel(node.output[0])
            if x is None or w is None or y is None:
                t['unknown'] += 1
                continue
            if op == 'Conv':
                macs = y * math.prod(w[1:])
            elif op == 'ConvTranspose':
                macs = math.prod(x) * math.prod(w[1:])
            elif op == 'Gemm':
                trans_a = next((a.i for a in node.attribute if a.name == 'transA'), 0)
                macs = y * (x[0] if trans_a else x[1])
            else:
                macs = y * x[-1]
            t['macs'] += macs
            node_macs.append((node.name or node.output[0], op, macs, x, w,
                              shapes[node.output[0]]))
    return by_type, users, node_macs


def explain(kind, got, expected, sp_stats, counts, param_numel):
    """Lines naming the ops that account for got != expected."""
    ref_by_type, users, node_macs = counts
    sp_by_type = sp_stats.get('by_type', {})
    lines = []
    diff = got - expected
    ref_total = sum(v[kind] for v in ref_by_type.values())
    if ref_total != got:
        for op in sorted(set(sp_by_type) | set(ref_by_type)):
            s = sp_by_type.get(op, {}).get(kind, 0)
            r = ref_by_type.get(op, {}).get(kind, 0)
            if s != r:
                unknown = ref_by_type.get(op, {}).get('unknown', 0)
                lines.append(f'{op}: sp-opt {s:,} vs ONNX-side count {r:,} ({s - r:+,})'
                             + (f'; {unknown} {op} ops without static shapes' if unknown else ''))
        if kind == 'macs':
            lines += explain_macs(node_macs, sp_stats.get('ops', []))
    if ref_total != expected:
        lines.append(f'ONNX-side count {ref_total:,} vs PyTorch {expected:,} '
                     f'({ref_total - expected:+,})')
        if kind == 'params':
            lines += explain_params(users, param_numel)
    if not lines:
        lines.append(f'differs by {diff:+,}')
    return lines


def explain_macs(node_macs, sp_ops, limit=8):
    """The nodes whose MACs sp-opt counts differently, grouped by name pattern (layer
    numbers as N) and shapes, with sp-opt's result type for that node."""
    sp = {o.get('name'): o for o in sp_ops}
    groups = {}
    for name, op, macs, a, b, y in node_macs:
        o = sp.get(name)
        if o is None or o.get('macs') == macs:
            continue
        key = (op, re.sub(r'\d+', 'N', name), str(a), str(b), str(y), macs, o.get('macs'),
               o.get('result', '?'))
        groups[key] = groups.get(key, 0) + 1
    lines = []
    for (op, pattern, a, b, y, macs, got, result), n in sorted(
            groups.items(), key=lambda kv: -kv[1] * abs(kv[0][5] - kv[0][6]))[:limit]:
        why = ' (a dynamic dim counts as 1)' if '?' in result else ''
        lines.append(f'  {n} x {op} {pattern}: A {a} B {b} Y {y} is {macs:,} MACs, '
                     f'sp-opt {got:,} from result type {result}{why}')
    if len(groups) > limit:
        lines.append(f'  ... {len(groups) - limit} more node groups')
    return lines


def explain_params(users, param_numel):
    """Float initializers that are not PyTorch parameters and PyTorch parameters missing
    from the initializers. An initializer the exporter renamed while folding (a transposed
    Linear weight feeding MatMul) pairs up with a missing parameter of equal size."""
    names = {u[0] for u in users}
    extra = [(n, op, slot, name) for name, n, op, slot, counted in users
             if counted and name not in param_numel]
    missing = sorted((n, p) for p, n in param_numel.items() if p not in names)
    pool = {}
    for n, p in missing:
        pool.setdefault(n, []).append(p)
    unpaired = []
    for n, op, slot, name in extra:
        if pool.get(n):
            pool[n].pop()
        else:
            unpaired.append((n, op, slot, name))
    lines, groups = [], {}
    for n, op, slot, name in unpaired:
        g = groups.setdefault((op, slot), [0, 0, name])
        g[0] += 1
        g[1] += n
    for (op, slot), (count, n, example) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
        lines.append(f'  counted, not a PyTorch parameter: {count} x {op} input {slot} '
                     f"({n:,} elements, e.g. '{example}')")
    left = [(n, p) for n, ps in pool.items() for p in ps]
    if left:
        total = sum(n for n, _ in left)
        lines.append(f'  PyTorch parameters with no ONNX initializer of their size: {len(left)} '
                     f"({total:,} elements, e.g. '{left[0][1]}')")
    return lines


# ------------------------------------------------------------------ one model

class Result:
    def __init__(self, name):
        self.name = name
        self.steps = {}    # step -> 'ok' | 'FAIL' | '-'
        self.reasons = []
        self.diff = None
        self.ort_vs_torch = None
        self.params = self.macs = None  # (got, expected)
        self.seconds = 0.0

    def fail(self, step, reason):
        self.steps[step] = 'FAIL'
        self.reasons.append(f'{step}: {reason}')

    @property
    def passed(self):
        return not self.reasons


def run_model(args, ort, name):
    r = Result(name)
    t0 = time.monotonic()
    zoo = args.zoo
    model_path = os.path.join(zoo, f'{name}.onnx')
    with open(os.path.join(zoo, f'{name}.expected.json')) as f:
        expected = json.load(f)
    x = ortlib.load_pb(os.path.join(zoo, f'{name}.input_0.pb'))
    torch_out = ortlib.load_pb(os.path.join(zoo, f'{name}.output_0.pb'))
    inputs = {expected['input']['name']: x}
    work = os.path.join(args.work, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    reply, ref = ort.run(model_path, inputs=inputs)
    if not reply['ok']:
        r.fail('ort', f"ORT cannot run the original: {reply['stage']}: {reply['error']}")
        ref = None
    else:
        r.ort_vs_torch = ortlib.scaled_max_diff([torch_out], ref[:1])

    mlir, rt = os.path.join(work, f'{name}.mlir'), os.path.join(work, f'{name}.onnx')
    err = run_tool([args.sp_translate, '--import-onnx', model_path, '-o', mlir], args.timeout)
    if err:
        r.fail('import', err)
    else:
        r.steps['import'] = 'ok'
        err = run_tool([args.sp_translate, '--export-onnx', mlir, '-o', rt], args.timeout)
        if err:
            r.fail('export', err)
        else:
            r.steps['export'] = 'ok'
    if r.steps.get('export') == 'ok':
        err = checker_error(rt, model_path)
        if err:
            r.fail('checker', err)
        else:
            r.steps['checker'] = 'ok'
        if ref is not None:
            reply, out = ort.run(rt, inputs=inputs)
            if not reply['ok']:
                r.fail('ort', f"round-tripped model: {reply['stage']}: {reply['error']}")
            else:
                r.diff = ortlib.scaled_max_diff(ref, out)
                if not r.diff <= args.tol:
                    r.fail('ort', f'round-tripped outputs differ: max |diff|/max|orig| = '
                                  f'{r.diff:.3g} > {args.tol:g}')
                else:
                    r.steps['ort'] = 'ok'

    stats = os.path.join(work, 'stats.json')
    pipeline = f'--pass-pipeline=builtin.module(sp-model-stats{{json={stats}}})'
    # batch = 1 makes every shape static, so batch*heads dims count exactly.
    err = run_tool([args.sp_opt, model_path, '--dim', 'batch=1', '-o', '/dev/null', pipeline],
                   args.timeout)
    if err:
        r.fail('stats', f'sp-opt: {err}')
    else:
        try:
            with open(stats) as f:
                got = json.load(f)
            r.params = (int(got['total']['params']), expected['params'])
            r.macs = (int(got['total']['macs']), expected['macs'])
        except (OSError, ValueError, KeyError, TypeError) as e:
            r.fail('stats', f'bad stats json: {one_line(str(e))}')
        else:
            if r.params[0] != r.params[1] or r.macs[0] != r.macs[1]:
                model = onnx.load(model_path)
                counts = onnx_counts(model, ort, inputs, work)
                for kind, (g, e) in (('params', r.params), ('macs', r.macs)):
                    if g != e:
                        lines = explain(kind, g, e, got, counts,
                                        expected.get('param_numel', {}))
                        r.fail(kind, f'sp-opt {g:,} vs PyTorch {e:,} ({g - e:+,})\n      '
                                     + '\n      '.join(lines))
            else:
                r.steps['stats'] = 'ok'
    if r.passed and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    r.seconds = time.monotonic() - t0
    return r


def checker_error(exported_path, original_path):
    """onnx.checker full check on the exported model; when the original fails the full
    check too, the plain check decides. Paths, so models over 2 GB work."""
    try:
        onnx.checker.check_model(exported_path, full_check=True)
        return None
    except Exception as e:
        full_err = one_line(str(e))
    try:
        onnx.checker.check_model(original_path, full_check=True)
        return full_err
    except Exception:
        pass
    try:
        onnx.checker.check_model(exported_path)
        return None
    except Exception as e:
        return one_line(str(e))


def fmt_count(got_exp):
    if got_exp is None:
        return '-'
    g, e = got_exp
    return f'{g:,}' if g == e else f'{g:,}!={e:,}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sp-translate', required=True)
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--zoo', required=True, help='directory written by export_zoo.py')
    ap.add_argument('--only', help='comma-separated model names')
    ap.add_argument('--work', help='scratch dir (default: a temp dir, kept on failure)')
    ap.add_argument('--tol', type=float, default=1e-5,
                    help='max |rt - orig| / max |orig| over the outputs')
    ap.add_argument('--timeout', type=int, default=600, help='seconds per tool call')
    ap.add_argument('--threads', type=int, default=2, help='ORT intra-op threads')
    ap.add_argument('--keep', action='store_true', help='keep artifacts of passing models')
    args = ap.parse_args()

    for tool in (args.sp_translate, args.sp_opt):
        if not os.access(tool, os.X_OK):
            print(f'error: {tool} is not an executable', file=sys.stderr)
            return 2
    args.sp_translate, args.sp_opt = map(os.path.abspath, (args.sp_translate, args.sp_opt))
    try:
        ortlib.check_installed()
    except ortlib.OrtUnavailable as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    names = sorted(os.path.basename(p)[:-len('.expected.json')]
                   for p in glob.glob(os.path.join(args.zoo, '*.expected.json')))
    if args.only:
        wanted = args.only.split(',')
        missing = [n for n in wanted if n not in names]
        if missing:
            print(f"error: not in {args.zoo}: {', '.join(missing)}", file=sys.stderr)
            return 2
        names = wanted
    if not names:
        print(f'error: no models in {args.zoo} (run export_zoo.py first)', file=sys.stderr)
        return 2
    own_work = args.work is None
    args.work = os.path.abspath(args.work or tempfile.mkdtemp(prefix='sp-zoo-'))
    os.makedirs(args.work, exist_ok=True)

    results = []
    with ortlib.OrtServer(threads=args.threads, timeout=args.timeout) as ort:
        for name in names:
            r = run_model(args, ort, name)
            results.append(r)
            print(f"{'PASS' if r.passed else 'FAIL'} {name} ({r.seconds:.1f}s)", flush=True)

    print()
    head = (f"{'model':20} {'import':6} {'export':6} {'check':5} {'rt diff':>9} "
            f"{'ort/torch':>9} {'params':>25} {'MACs':>31} {'time':>6}")
    print(head)
    print('-' * len(head))
    for r in results:
        diff = '-' if r.diff is None else f'{r.diff:.1e}'
        otd = '-' if r.ort_vs_torch is None else f'{r.ort_vs_torch:.1e}'
        print(f"{r.name:20} {r.steps.get('import', '-'):6} {r.steps.get('export', '-'):6} "
              f"{r.steps.get('checker', '-'):5} {diff:>9} {otd:>9} {fmt_count(r.params):>25} "
              f"{fmt_count(r.macs):>31} {r.seconds:5.1f}s")
    print("rt diff: max |round-trip - original| / max |original| in ORT; ort/torch: the "
          "original in ORT vs PyTorch (information only)")
    failed = [r for r in results if not r.passed]
    if failed:
        print(f'\nfailures ({len(failed)}):')
        for r in failed:
            for reason in r.reasons:
                print(f'  {r.name}: {reason}')
        print(f'artifacts of failed models: {args.work}')
    elif own_work and not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    print(f'{len(results) - len(failed)} passed, {len(failed)} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
