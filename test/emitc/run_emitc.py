#!/usr/bin/python3
"""emit-c test: `sp-translate --emit-c` on real models, the generated C compiled with
gcc -Wall -Wextra -Werror -std=c99, linked with examples/emit_c/main.c, run on the
model's input, and output 0 compared with ONNX Runtime (|diff| <= 1e-4 * max|ref|).

Cases: examples/fashion_resnet.onnx (default target, --freestanding (also built and run
under ASan/UBSan), --weights=external and --tune), zoo resnet18, mobilenet_v2 and vit_b_16 (default target; resnet18
also --freestanding), and resnet18 pruned by sp-opt at ratios 0.3 and 0.7 (emitted from the
.mlir sp-opt writes, so the MLIR path is covered too).

  /usr/bin/python3 test/emitc/run_emitc.py --sp-translate BIN --sp-opt BIN
      --kernels-dir DIR --include DIR --zoo DIR --work DIR [--only LABEL,..]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'test', 'tools'))
import ortlib  # noqa: E402

RTOL = 1e-4
CFLAGS = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=c99']
PRUNE = "builtin.module(sp-importance{criterion=l2},sp-prune{ratio=%s})"


def run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: "
                           f"{(p.stderr or p.stdout).strip()[-600:]}")
    return p.stdout


def build(args, model, out_dir, extra, sanitize=False):
    """Emits model into out_dir (--name model), builds libmodel.a with its Makefile
    and links the example program (both under ASan/UBSan when sanitize); returns the
    program's path."""
    shutil.rmtree(out_dir, ignore_errors=True)
    run([args.sp_translate, '--emit-c', model, '-o', out_dir, '--name', 'model'] + extra)
    freestanding = '--freestanding' in extra
    san = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'] if sanitize else []
    cflags = CFLAGS + san + ([] if freestanding else ['-fopenmp'])
    run(['make', '-s', 'CC=gcc', 'CFLAGS=' + ' '.join(cflags), f'KERNELS_DIR={args.kernels_dir}',
         f'SP_INCLUDE={args.include}'], cwd=out_dir)
    libs = ['-lm'] if freestanding else [f'-L{args.kernels_dir}', '-lsp_kernels',
                                         '-lopenblas', '-fopenmp', '-lm']  # no protobuf-c
    if shutil.which('clang-19'):  # the generated C is clean under clang too
        run(['clang-19', '-fsyntax-only', f'-I{args.include}'] + CFLAGS +
            [os.path.join(out_dir, 'model.c')], cwd=out_dir)
    exe = os.path.join(out_dir, 'classify')
    run(['gcc', '-O2', '-Wall', '-Wextra', '-Werror'] + san + ['-I', out_dir,
         os.path.join(ROOT, 'examples', 'emit_c', 'main.c'), os.path.join(out_dir, 'libmodel.a'),
         '-o', exe] + libs)
    return exe


# Symbols of the interpreter and the ONNX layer: none may be in libsp_kernels.a.
INTERPRETER_SYMBOL = re.compile(r'protobuf|onnx|\brt_(node|op_find|kernel_set|conv|gemm|matmul)\b'
                                r'|\bsp_(runtime|tensor|error)_|RT_KERNEL')


def check_pure_kernels(kernels_dir):
    """libsp_kernels.a holds the kernels and their dispatch only: no symbol (defined or
    undefined) of protobuf-c, the ONNX layer or the interpreter."""
    nm = subprocess.run(['nm', os.path.join(kernels_dir, 'libsp_kernels.a')],
                        capture_output=True, text=True, check=True).stdout
    bad = sorted({line.split()[-1] for line in nm.splitlines()
                  if line.strip() and not line.endswith(':') and INTERPRETER_SYMBOL.search(line)})
    if bad:
        raise RuntimeError('libsp_kernels.a holds interpreter/ONNX symbols: ' + ', '.join(bad[:8]))
    if 'sp_kernels' not in nm.split():
        raise RuntimeError('libsp_kernels.a does not define sp_kernels')


def main():
    ap = argparse.ArgumentParser()
    for flag in ('--sp-translate', '--sp-opt', '--kernels-dir', '--include', '--zoo', '--work'):
        ap.add_argument(flag, required=True)
    ap.add_argument('--only', default='')
    args = ap.parse_args()
    for key in ('sp_translate', 'sp_opt', 'kernels_dir', 'include', 'zoo', 'work'):
        setattr(args, key, os.path.abspath(getattr(args, key)))
    os.makedirs(args.work, exist_ok=True)
    check_pure_kernels(args.kernels_dir)
    print('ok   libsp_kernels.a: no protobuf, ONNX or interpreter symbols')
    fashion = os.path.join(ROOT, 'examples', 'fashion_resnet.onnx')
    rng = np.random.default_rng(0)
    fashion_in = os.path.join(args.work, 'fashion.input_0.pb')
    ortlib.save_pb(rng.random((1, 1, 28, 28), dtype=np.float32), fashion_in, 'image')
    zoo = lambda n: (os.path.join(args.zoo, n + '.onnx'),  # noqa: E731
                     os.path.join(args.zoo, n + '.input_0.pb'))
    cases = [('fashion', fashion, fashion_in, []),
             ('fashion.freestanding', fashion, fashion_in, ['--freestanding']),
             ('fashion.external', fashion, fashion_in, ['--weights=external']),
             ('fashion.freestanding.asan', fashion, fashion_in, ['--freestanding']),
             ('fashion.tune', fashion, fashion_in, ['--tune']),
             ('resnet18', *zoo('resnet18'), []),
             ('resnet18.freestanding', *zoo('resnet18'), ['--freestanding']),
             ('mobilenet_v2', *zoo('mobilenet_v2'), []),
             ('vit_b_16', *zoo('vit_b_16'), []),
             ('resnet18.pruned0.3', None, zoo('resnet18')[1], []),
             ('resnet18.pruned0.7', None, zoo('resnet18')[1], [])]
    only = [s for s in args.only.split(',') if s]
    failures = []
    with ortlib.OrtServer(threads=1) as ort:
        for label, model, input_pb, extra in cases:
            if only and label not in only:
                continue
            t0 = time.time()
            case_dir = os.path.join(args.work, label)
            try:
                if model is None:  # pruned: sp-opt writes MLIR, emit-c reads it
                    ratio = label.rsplit('pruned', 1)[1]
                    model = os.path.join(args.work, f'resnet18.pruned{ratio}.mlir')
                    run([args.sp_opt, zoo('resnet18')[0], '--pass-pipeline=' + PRUNE % ratio,
                         '-o', model])
                    onnx_model = model[:-5] + '.onnx'
                    run([args.sp_translate, '--export-onnx', model, '-o', onnx_model])
                else:
                    onnx_model = model
                exe = build(args, model, case_dir, extra, sanitize=label.endswith('.asan'))
                dump = os.path.join(case_dir, 'out.bin')
                if extra == ['--weights=external']:  # model_load reads the blob
                    os.environ['MODEL_WEIGHTS'] = os.path.join(case_dir, 'model.weights')
                top = run([exe, input_pb, '--dump', dump])
                data_set = os.path.join(case_dir, 'ort_in')
                os.makedirs(data_set, exist_ok=True)
                shutil.copy(input_pb, os.path.join(data_set, 'input_0.pb'))
                reply = ort.request({'op': 'run', 'model': onnx_model, 'test_data_set': data_set,
                                     'outputs_dir': os.path.join(case_dir, 'ort_out')})
                if not reply.get('ok'):
                    raise RuntimeError('ORT: ' + reply.get('error', '?'))
                ref = ortlib.load_pb(reply['outputs'][0]['file']).astype(np.float32)
                got = np.fromfile(dump, dtype=np.float32).reshape(ref.shape)
                err = float(np.abs(got - ref).max() / max(float(np.abs(ref).max()), 1e-30))
                if not err <= RTOL:
                    raise RuntimeError(f'output differs from ORT: max |diff| / max |ref| = '
                                       f'{err:.3g} > {RTOL:g}')
                if int(top.split()[0]) != int(np.argmax(ref)):
                    raise RuntimeError(f'top-1 {top.split()[0]} != ORT {int(np.argmax(ref))}')
                print(f'ok   {label}: rel err {err:.2g} ({time.time() - t0:.1f}s)')
                shutil.rmtree(case_dir)  # vit_b_16's blob, object and archive: 1 GB
            except (RuntimeError, OSError, ValueError) as e:
                failures.append(label)
                print(f'FAIL {label}: {e}')
    if failures:
        print(f'{len(failures)} failed: {", ".join(failures)}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
