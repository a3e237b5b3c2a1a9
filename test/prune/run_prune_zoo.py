#!/usr/bin/python3
"""Prune zoo test: every zoo model pruned at several ratios.

For each model NAME (from export_zoo.py) and ratio R:
  1. sp-opt NAME.onnx --pass-pipeline='builtin.module(sp-importance{criterion=l2},
     sp-prune{ratio=R})' -o pruned.onnx succeeds (head groups use the same ratio);
  2. the output passes onnx.checker.check_model;
  3. it runs in ONNX Runtime on a random input of the graph input's shape;
  4. sp-model-stats reports fewer parameters and fewer MACs than the original;
  5. the oracle: the same decisions with mode=mask and mode=shrink give the same outputs,
     max |shrink - mask| / max(1, max |mask|) <= 1e-4. Groups that a reduction reads
     across the pruned dim (LayerNorm, Softmax, ReduceMean over channels: the zeros of
     mask mode change the statistics) are excluded by running both oracle models with
     sp-prune{skip-reduced}; for models without such groups the oracle's shrink model is
     the model of step 1.
Prints one row per (model, ratio) and `N passed, M failed`; exit 1 on any failure.

  /usr/bin/python3 test/prune/run_prune_zoo.py --sp-opt BIN --zoo DIR [--only NAME,..]
      [--ratios 0.1,0.3,0.5,0.7,0.9] [--work DIR] [--keep]

Transformers (vit_b_16, tiny_encoder, tiny_gpt; swin_t of the wider set) also run head
pruning alone (`ratio=0 head-ratio=0.5`), with FFN/channel pruning (`ratio=0.3 head-ratio=0.5`) and
with layer dropping (`ratio=0.3 drop-layers=2`, also on resnet18); resnet18, tiny_encoder
and tiny_gpt also drop layers scored on calibration data (`calibration=DIR`).

Every model runs at every ratio (about 6 minutes on 2 cores).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import ortlib  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

MODELS = ['resnet18', 'resnet50', 'mobilenet_v2', 'mobilenet_v3_small', 'densenet121',
          'vgg16_bn', 'efficientnet_b0', 'shufflenet_v2_x1_0', 'convnext_tiny', 'vit_b_16',
          'tiny_encoder', 'tiny_gpt']
# Extra cases for transformers: label -> sp-prune options.
TRANSFORMER_CASES = {'heads0.5': 'ratio=0 head-ratio=0.5',
                     'heads0.5+ffn0.3': 'ratio=0.3 head-ratio=0.5',
                     'drop2+0.3': 'ratio=0.3 drop-layers=2'}
TRANSFORMERS = {'vit_b_16', 'tiny_encoder', 'tiny_gpt', 'swin_t'}
# Layer dropping on a CNN with identity shortcuts; blocks scored on calibration data
# ({cal}: the zoo input plus 3 random inputs, written by calibration_dir) as well.
DROP_CAL = {'drop2+cal+0.3': 'ratio=0.3 drop-layers=2 calibration={cal}'}
EXTRA_CASES = {'resnet18': {'drop2+0.3': 'ratio=0.3 drop-layers=2', **DROP_CAL},
               'tiny_encoder': DROP_CAL, 'tiny_gpt': DROP_CAL}
TOL = 1e-4


def sp_opt(binary, model, pipeline, out, timeout=600):
    t = time.time()
    p = subprocess.run([binary, model, '--pass-pipeline', f'builtin.module({pipeline})',
                        '-o', out], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stderr.strip(), time.time() - t


def stats(binary, model, work):
    js = os.path.join(work, 'stats.json')
    rc, err, _ = sp_opt(binary, model, f'sp-model-stats{{json={js} table=none}}', '/dev/null')
    if rc:
        raise RuntimeError(f'sp-model-stats failed: {err}')
    with open(js) as f:
        total = json.load(f)['total']
    return int(total['params']), int(total['macs'])


def has_reduced_groups(binary, model, work):
    dump = os.path.join(work, 'groups.txt')
    rc, err, _ = sp_opt(binary, model, f'sp-dependency-groups{{dump={dump}}}', '/dev/null')
    if rc:
        raise RuntimeError(f'sp-dependency-groups failed: {err}')
    with open(dump, errors='replace') as f:
        return any(', reduced by ' in line and 'pinned' not in line
                   for line in f if line.startswith('group '))


def random_inputs(model_path, seed=0):
    m = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in m.graph.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        dims = [d.dim_value if d.HasField('dim_value') and d.dim_value > 0 else 2
                for d in tt.shape.dim]
        if tt.elem_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
            dt = np.int64 if tt.elem_type == onnx.TensorProto.INT64 else np.int32
            feeds[inp.name] = rng.integers(0, 100, size=dims).astype(dt)
        else:
            feeds[inp.name] = rng.standard_normal(dims).astype(np.float32)
    return feeds


def calibration_dir(args, name, work):
    """work/NAME-calibration/test_data_set_K/input_*.pb: the zoo's own input (K = 0)
    and random inputs of seeds 1..3, for sp-prune{calibration=...}."""
    src = os.path.join(args.zoo, f'{name}.onnx')
    out = os.path.join(work, f'{name}-calibration')
    for k in range(4):
        d = os.path.join(out, f'test_data_set_{k}')
        os.makedirs(d, exist_ok=True)
        zoo_input = os.path.join(args.zoo, f'{name}.input_0.pb')
        if k == 0 and os.path.exists(zoo_input):
            shutil.copy(zoo_input, os.path.join(d, 'input_0.pb'))
            continue
        for i, (inp, arr) in enumerate(random_inputs(src, seed=k).items()):
            with open(os.path.join(d, f'input_{i}.pb'), 'wb') as f:
                f.write(numpy_helper.from_array(arr, inp).SerializeToString())
    return out


def max_diff(a_list, b_list):
    worst = 0.0
    for a, b in zip(a_list, b_list):
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            return float('inf')
        worst = max(worst, float(np.abs(a - b).max()) / max(1.0, float(np.abs(b).max())))
    return worst


def run_case(args, ort, name, ratio, base, reduced, feeds, work, opts=None):
    """One (model, ratio) case; opts replaces `ratio=R` in sp-prune's options."""
    src = os.path.join(args.zoo, f'{name}.onnx')
    row = {'model': name, 'ratio': ratio, 'ok': False}
    opts = opts or f'ratio={ratio}'
    shrink = os.path.join(work, f'{name}-{ratio}-shrink.onnx')
    imp = 'sp-importance{criterion=l2}'
    rc, err, secs = sp_opt(args.sp_opt, src, f'{imp},sp-prune{{{opts}}}', shrink)
    row['secs'] = secs
    if rc:
        row['why'] = 'sp-opt: ' + err.splitlines()[-1] if err else f'sp-opt exit {rc}'
        return row
    try:
        onnx.checker.check_model(shrink)
    except Exception as e:  # noqa: BLE001
        row['why'] = 'checker: ' + str(e).splitlines()[0]
        return row
    params, macs = stats(args.sp_opt, shrink, work)
    row['params'] = 1 - params / base[0]
    row['macs'] = 1 - macs / base[1]
    reply, out_shrink = ort.run(shrink, inputs=feeds)
    if not reply.get('ok'):
        row['why'] = 'ORT: ' + str(reply.get('error', reply))[:200]
        return row
    if not (params < base[0] and macs < base[1]):
        row['why'] = f'params/MACs did not fall ({params}/{base[0]}, {macs}/{base[1]})'
        return row
    # Oracle: mask vs shrink at the same decisions, reductions excluded.
    oracle_shrink = shrink
    extra = ' skip-reduced' if reduced else ''
    if reduced:
        oracle_shrink = os.path.join(work, f'{name}-{ratio}-oshrink.onnx')
        rc, err, _ = sp_opt(args.sp_opt, src, f'{imp},sp-prune{{{opts}{extra}}}',
                            oracle_shrink)
        if rc:
            row['why'] = 'sp-opt (oracle shrink): ' + err[-200:]
            return row
        reply, out_shrink = ort.run(oracle_shrink, inputs=feeds)
        if not reply.get('ok'):
            row['why'] = 'ORT (oracle shrink): ' + str(reply.get('error'))[:200]
            return row
    mask = os.path.join(work, f'{name}-{ratio}-mask.onnx')
    rc, err, _ = sp_opt(args.sp_opt, src, f'{imp},sp-prune{{{opts} mode=mask{extra}}}',
                        mask)
    if rc:
        row['why'] = 'sp-opt (mask): ' + err[-200:]
        return row
    reply, out_mask = ort.run(mask, inputs=feeds)
    if not reply.get('ok'):
        row['why'] = 'ORT (mask): ' + str(reply.get('error'))[:200]
        return row
    row['diff'] = max_diff(out_shrink, out_mask)
    if not row['diff'] <= TOL:
        row['why'] = f'mask vs shrink differ by {row["diff"]:.3g}'
        return row
    row['ok'] = True
    if not args.keep:
        for p in (shrink, oracle_shrink, mask):
            for f in (p, p + '.data'):
                if os.path.exists(f):
                    os.remove(f)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--zoo', required=True)
    ap.add_argument('--only')
    ap.add_argument('--every-model', action='store_true',
                    help='every NAME.onnx in --zoo instead of the zoo list')
    ap.add_argument('--ratios', default='0.1,0.3,0.5,0.7,0.9')
    ap.add_argument('--work')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    if args.only:
        names = args.only.split(',')
    elif args.every_model:
        names = sorted(f[:-5] for f in os.listdir(args.zoo) if f.endswith('.onnx'))
    else:
        names = MODELS
    ratios = [float(r) for r in args.ratios.split(',')]
    work = args.work or tempfile.mkdtemp(prefix='sp-prune-zoo-')
    os.makedirs(work, exist_ok=True)
    rows = []
    try:
        ortlib.check_installed()
    except ortlib.OrtUnavailable as e:
        print(f'SKIP: {e}')
        return 0
    with ortlib.OrtServer() as ort:
        for name in names:
            src = os.path.join(args.zoo, f'{name}.onnx')
            if not os.path.exists(src):
                rows.append({'model': name, 'ratio': '-', 'ok': False, 'why': 'not in the zoo'})
                continue
            base = stats(args.sp_opt, src, work)
            reduced = has_reduced_groups(args.sp_opt, src, work)
            feeds = random_inputs(src)
            for r in ratios:
                try:
                    row = run_case(args, ort, name, r, base, reduced, feeds, work)
                except Exception as e:  # noqa: BLE001  (one bad case must not stop the suite)
                    row = {'model': name, 'ratio': r, 'ok': False, 'why': f'{type(e).__name__}: {e}'}
                rows.append(row)
                print(fmt(row), flush=True)
            extra = dict(TRANSFORMER_CASES) if name in TRANSFORMERS else {}
            extra.update(EXTRA_CASES.get(name, {}))
            for label, opts in extra.items():
                try:
                    if '{cal}' in opts:
                        opts = opts.format(cal=calibration_dir(args, name, work))
                    row = run_case(args, ort, name, label, base, reduced, feeds, work, opts)
                except Exception as e:  # noqa: BLE001
                    row = {'model': name, 'ratio': label, 'ok': False,
                           'why': f'{type(e).__name__}: {e}'}
                rows.append(row)
                print(fmt(row), flush=True)
    failed = sum(not r['ok'] for r in rows)
    print(f'{len(rows) - failed} passed, {failed} failed')
    if not args.work and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def fmt(r):
    cols = [f'{r["model"]:<20}', f'{r["ratio"]!s:<15}', 'PASS' if r['ok'] else 'FAIL']
    if 'params' in r:
        cols.append(f'params -{100 * r["params"]:5.1f}%  MACs -{100 * r["macs"]:5.1f}%')
    if 'diff' in r:
        cols.append(f'mask-vs-shrink {r["diff"]:.2e}')
    if 'secs' in r:
        cols.append(f'{r["secs"]:.2f}s')
    if not r['ok']:
        cols.append(r.get('why', ''))
    return '  '.join(cols)


if __name__ == '__main__':
    sys.exit(main())
