#!/usr/bin/python3
"""nn <-> TOSA checks on real models, ONNX Runtime as the reference.

For every MODEL (an ONNX file; optional @HxW resizes a 4-D image input, e.g.
resnet18.onnx@64x64, before anything runs):
  0. optionally prune it first: sp-opt --pass-pipeline='builtin.module(sp-dependency-groups,
     sp-importance,sp-prune{ratio=R},sp-canonicalize)' (--prune R);
  1. sp-opt MODEL --dim batch=1 'sp-canonicalize{fold-bn=true},sp-convert-nn-to-tosa'
     -> MODEL.tosa.mlir (checked: no nn op left, a tosa.conv2d or tosa.matmul);
  2. round trip: sp-opt MODEL.tosa.mlir 'sp-convert-tosa-to-nn' -> MODEL.rt.onnx;
     ORT(rt) vs ORT(MODEL) on one fixed random input: max |diff| / max |ref| <= --tol;
  3. (--llvm) upstream tools only: mlir-opt-19 TOSA -> linalg -> loops -> LLVM dialect,
     mlir-translate --mlir-to-llvmir, clang-19 -shared, called through ctypes
     (_mlir_ciface_forward, memref descriptors); outputs vs ORT(MODEL) <= --tol.
Prints one line per model and `N passed, M failed`; exit 1 on any failure.

  /usr/bin/python3 test/tosa/run_tosa.py --sp-opt BIN --work DIR [--llvm] [--prune R]
      [--tol 1e-4] [--keep-bn] MODEL[@HxW] ...
MODEL may be ops:NAME, a model of make_models.py (ops_cnn, ops_seq) written into the work dir.
"""

import argparse
import ctypes
import os
import re
import subprocess
import sys
import time

import numpy as np
import onnx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import ortlib  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

LLVM = '/usr/lib/llvm-19/bin'
LLVM_LIB = '/usr/lib/llvm-19/lib'
# The exact upstream lowering documented in docs/tosa.md.
PIPELINE = ('builtin.module('
            'func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor,'
            'llvm-request-c-wrappers),'
            'one-shot-bufferize{bufferize-function-boundaries '
            'function-boundary-type-conversion=identity-layout-map},'
            'func.func(convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,'
            'lower-affine,finalize-memref-to-llvm,convert-math-to-llvm,convert-math-to-libm,'
            'convert-to-llvm,'
            'reconcile-unrealized-casts)')


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f'{what} failed ({p.returncode}): {p.stderr.strip()[-2000:]}')
    return p


def resize_input(src, dst, hw):
    """A copy of src whose 4-D input is (1, C, H, W) and whose other shapes are left to
    inference (the models are convolutional up to a global pool)."""
    m = onnx.load(src)
    dims = m.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_value = 1
    dims[2].dim_value, dims[3].dim_value = hw
    del m.graph.value_info[:]
    for o in m.graph.output:
        for d in o.type.tensor_type.shape.dim[:1]:
            d.dim_value = 1
    onnx.save(m, dst)


def make_input(path):
    """(name, array): one fixed random input; integer inputs (token ids) are drawn from
    [-rows, rows) of the Gather table they index (ONNX counts negative ids from the end)."""
    m = onnx.load(path)
    init = {i.name: i for i in m.graph.initializer}
    inp = [i for i in m.graph.input if i.name not in init][0]
    dims = [d.dim_value if d.HasField('dim_value') and d.dim_value > 0 else 1
            for d in inp.type.tensor_type.shape.dim]
    rng = np.random.default_rng(0)
    elem = inp.type.tensor_type.elem_type
    if elem == onnx.TensorProto.FLOAT:
        return inp.name, rng.standard_normal(dims).astype(np.float32)
    rows = min(init[n.input[0]].dims[0] for n in m.graph.node
               if n.op_type == 'Gather' and n.input[1] == inp.name and n.input[0] in init)
    dtype = np.int64 if elem == onnx.TensorProto.INT64 else np.int32
    return inp.name, rng.integers(-rows, rows, size=dims).astype(dtype)


class Memref(ctypes.Structure):
    pass


def memref_type(rank):
    class M(ctypes.Structure):
        _fields_ = [('allocated', ctypes.c_void_p), ('aligned', ctypes.c_void_p),
                    ('offset', ctypes.c_int64), ('sizes', ctypes.c_int64 * rank),
                    ('strides', ctypes.c_int64 * rank)]
    return M


def memref_of(arr):
    m = memref_type(arr.ndim)()
    m.allocated = m.aligned = arr.ctypes.data
    m.offset = 0
    for i, (s, st) in enumerate(zip(arr.shape, arr.strides)):
        m.sizes[i], m.strides[i] = s, st // arr.itemsize
    return m


def run_llvm(tosa_path, work, x, out_rank):
    """Lowers tosa_path with upstream mlir-opt/mlir-translate/clang and runs it on x."""
    src = open(tosa_path).read()
    # A shared object's `main` would be interposed by the host's: call it `forward`.
    src = re.sub(r'func\.func @main\(', 'func.func @forward(', src, count=1)
    renamed = os.path.join(work, 'forward.tosa.mlir')
    with open(renamed, 'w') as f:
        f.write(src)
    llvm_mlir, ll, so = (os.path.join(work, n) for n in ('forward.llvm.mlir', 'forward.ll',
                                                         'forward.so'))
    run([f'{LLVM}/mlir-opt', renamed, f'--pass-pipeline={PIPELINE}', '-o', llvm_mlir],
        'mlir-opt')
    run([f'{LLVM}/mlir-translate', '--mlir-to-llvmir', llvm_mlir, '-o', ll], 'mlir-translate')
    # clang reads .ll as source, whose locations end at 2 GB (ViT-B/16's weights as text are
    # 2.26 GB: "ran out of source locations"); bitcode has no such limit.
    if os.path.getsize(ll) > (1 << 31) - (1 << 27):
        bc = os.path.join(work, 'forward.bc')
        run([f'{LLVM}/llvm-as', ll, '-o', bc], 'llvm-as')
        os.remove(ll)
        ll = bc
    # memref.copy lowers to a call into upstream's runtime support library.
    run([f'{LLVM}/clang', '-O2', '-shared', '-fPIC', '-Wno-override-module', ll, '-o', so,
         f'-L{LLVM_LIB}', '-lmlir_c_runner_utils', f'-Wl,-rpath,{LLVM_LIB}', '-lm'],
        'clang-19')
    lib = ctypes.CDLL(so)
    out = memref_type(out_rank)()
    inp = memref_of(x)
    lib._mlir_ciface_forward(ctypes.byref(out), ctypes.byref(inp))
    n = int(np.prod(list(out.sizes)))
    buf = (ctypes.c_float * n).from_address(out.aligned + out.offset * 4)
    y = np.array(buf, dtype=np.float32).reshape(list(out.sizes))
    for path in (renamed, llvm_mlir, ll, so):  # weights as text: hundreds of MB for resnet18
        os.remove(path)
    return y


def scaled_diff(ref, out):
    return float(np.max(np.abs(ref - out)) / max(float(np.max(np.abs(ref))), 1e-30))


def check_model(spec, args, ort):
    path, _, hw = spec.partition('@')
    name = os.path.basename(path).replace('.onnx', '').replace('ops:', '') + (f'_{hw}' if hw else '')
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    model = path
    if hw:
        model = os.path.join(work, 'input.onnx')
        resize_input(path, model, tuple(int(v) for v in hw.split('x')))
    sp_opt = args.sp_opt
    if path.startswith('ops:'):  # a model from make_models.py, written into work
        import make_models
        name = path[4:]
        model = os.path.join(work, f'{name}.onnx')
        make_models.write(name, model)
    if args.prune:
        pruned = os.path.join(work, 'pruned.onnx')
        run([sp_opt, model, '--dim', 'batch=1', '-o', pruned, '--pass-pipeline',
             'builtin.module(sp-dependency-groups,sp-importance,'
             f'sp-prune{{ratio={args.prune}}},sp-canonicalize)'], 'sp-opt prune')
        model = pruned
    tosa = os.path.join(work, 'model.tosa.mlir')
    t0 = time.time()
    run([sp_opt, model, '--dim', 'batch=1', '-o', tosa, '--pass-pipeline',
         f'builtin.module(sp-canonicalize{{fold-bn={"false" if args.keep_bn else "true"}}},'
         'sp-convert-nn-to-tosa)'],
        'sp-convert-nn-to-tosa')
    text = open(tosa).read()
    if re.search(r'"nn\.|"onnx\.', text) or not re.search(r'tosa\.(conv2d|matmul)', text):
        raise RuntimeError('TOSA output still holds nn ops or has no tosa.conv2d/matmul')
    rt = os.path.join(work, 'roundtrip.onnx')
    run([sp_opt, tosa, '-o', rt, '--pass-pipeline', 'builtin.module(sp-convert-tosa-to-nn)'],
        'sp-convert-tosa-to-nn')
    t_convert = time.time() - t0
    in_name, x = make_input(model)
    reply, ref = ort.run(model, inputs={in_name: x})
    if not reply.get('ok'):
        raise RuntimeError(f'ORT on the model: {reply}')
    reply, got = ort.run(rt, inputs={in_name: x})
    if not reply.get('ok'):
        raise RuntimeError(f'ORT on the round-tripped model: {reply}')
    d_rt = scaled_diff(ref[0], got[0])
    line = f'{name}: nn->tosa->nn diff {d_rt:.2e} ({t_convert:.1f} s)'
    ok = d_rt <= args.tol
    if args.llvm:
        t0 = time.time()
        y = run_llvm(tosa, work, x, ref[0].ndim)
        d_llvm = scaled_diff(ref[0], y) if y.shape == ref[0].shape else float('inf')
        line += f'; tosa->llvm diff {d_llvm:.2e} ({time.time() - t0:.1f} s)'
        ok = ok and d_llvm <= args.tol
    return ok, line


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--llvm', action='store_true')
    ap.add_argument('--prune', type=float, default=0)
    ap.add_argument('--tol', type=float, default=1e-4)
    ap.add_argument('--keep-bn', action='store_true',
                    help='do not fold BatchNormalization first: convert it to mul + add')
    ap.add_argument('models', nargs='+')
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    passed = failed = 0
    with ortlib.OrtServer() as ort:
        for spec in args.models:
            try:
                ok, line = check_model(spec, args, ort)
            except Exception as e:  # one line per model, then the next
                ok, line = False, f'{spec}: {e}'
            print(('PASS ' if ok else 'FAIL ') + line, flush=True)
            passed += ok
            failed += not ok
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
