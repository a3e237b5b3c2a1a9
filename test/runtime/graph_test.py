#!/usr/bin/python3
"""Small graphs through sp-run against numpy, for what the ONNX conformance
data does not reach:
- the plan-time fusions (lib/runtime/fuse.c) in the forms torch.onnx writes
  before opset 17: LayerNorm as ReduceMean..Add, exact GELU as
  Div/Erf/Add/Mul/Mul, a MatMul's bias and residual Adds, SiLU and HardSwish
  as Sigmoid/Mul and HardSigmoid/Mul after a Conv, a Relu after a
  BatchNormalization; the 3x3 convs sp-run gives the direct kernel on AVX-512
  with bias, residual and Relu, and the deep-K 1x1 conv it gives OpenBLAS. --profile=nodes shows which nodes ran, so a pattern that stops
  fusing (or fuses where an intermediate has another consumer) fails;
- kernel fast paths: constant Pad (cropping, a fill value, int64); Dropout in
  training mode with ratio 0 (the identity); Transpose reading 16 rows at a
  time (ViT's key transpose, with a tail of rows); Softmax rows in 16 lanes
  (shorter, equal and longer rows with tails); 3x3 stride-2 MaxPool rows in
  chunks of 256 outputs (odd and wide rows).

  graph_test.py --sp-run build/tools/sp-run [--isa generic|avx2|avx512]

--isa runs every case on that kernel set (SP_ISA); exit 77 (skipped) when the
CPU cannot run it.
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import ortlib  # noqa: E402

ROWS, COLS, HID = 5, 24, 40
rng = np.random.default_rng(7)


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr, np.float32), name)


def layernorm_nodes(x, out, prefix, affine=True, axes=(-1,)):
    p = prefix
    nodes = [
        helper.make_node('ReduceMean', [x], [p + 'mean'], axes=list(axes)),
        helper.make_node('Sub', [x, p + 'mean'], [p + 'd']),
        helper.make_node('Pow', [p + 'd', p + 'two'], [p + 'd2']),
        helper.make_node('ReduceMean', [p + 'd2'], [p + 'var'], axes=list(axes)),
        helper.make_node('Add', [p + 'var', p + 'eps'], [p + 've']),
        helper.make_node('Sqrt', [p + 've'], [p + 'sd']),
        helper.make_node('Div', [p + 'd', p + 'sd'], [p + 'q' if affine else out]),
    ]
    inits = [const(p + 'two', 2.0), const(p + 'eps', 1e-5)]
    if affine:
        nodes += [helper.make_node('Mul', [p + 'q', p + 'gamma'], [p + 'scaled']),
                  helper.make_node('Add', [p + 'beta', p + 'scaled'], [out])]
        inits += [const(p + 'gamma', rng.uniform(0.5, 1.5, COLS)),
                  const(p + 'beta', rng.uniform(-1, 1, COLS))]
    return nodes, inits


def layernorm_ref(x, gamma=None, beta=None):
    m = x.mean(-1, keepdims=True)
    y = (x - m) / np.sqrt(((x - m) ** 2).mean(-1, keepdims=True) + 1e-5)
    return y * gamma + beta if gamma is not None else y


def gelu_ref(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2))).astype(np.float32)


def build_block(prefix_extra_use=False):
    """x -> LN -> MatMul+bias -> GELU -> MatMul+bias -> + x (a transformer MLP)."""
    nodes, inits = layernorm_nodes('x', 'ln', 'ln_')
    w1, b1 = rng.normal(0, 0.2, (COLS, HID)), rng.normal(0, 0.1, HID)
    w2, b2 = rng.normal(0, 0.2, (HID, COLS)), rng.normal(0, 0.1, COLS)
    inits += [const('w1', w1), const('b1', b1), const('w2', w2), const('b2', b2),
              const('sqrt2', math.sqrt(2)), const('one', 1.0), const('half', 0.5)]
    nodes += [
        helper.make_node('MatMul', ['ln', 'w1'], ['h0']),
        helper.make_node('Add', ['b1', 'h0'], ['h']),
        helper.make_node('Div', ['h', 'sqrt2'], ['hs']),
        helper.make_node('Erf', ['hs'], ['he']),
        helper.make_node('Add', ['he', 'one'], ['he1']),
        helper.make_node('Mul', ['h', 'he1'], ['hm']),
        helper.make_node('Mul', ['hm', 'half'], ['g']),
        helper.make_node('MatMul', ['g', 'w2'], ['o0']),
        helper.make_node('Add', ['o0', 'b2'], ['o1']),
        helper.make_node('Add', ['x', 'o1'], ['y']),
    ]
    outputs = [helper.make_tensor_value_info('y', TP.FLOAT, [ROWS, COLS])]
    if prefix_extra_use:  # the LN's centred input and GELU's erf are outputs too
        outputs += [helper.make_tensor_value_info('ln_d', TP.FLOAT, [ROWS, COLS]),
                    helper.make_tensor_value_info('he', TP.FLOAT, [ROWS, HID])]
    g = helper.make_graph(nodes, 'mlp_block',
                          [helper.make_tensor_value_info('x', TP.FLOAT, [ROWS, COLS])],
                          outputs, inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)])
    weights = {i.name: numpy_helper.to_array(i) for i in inits}

    def ref(x):
        ln = layernorm_ref(x, weights['ln_gamma'], weights['ln_beta'])
        h = ln @ w1.astype(np.float32) + b1.astype(np.float32)
        y = x + (gelu_ref(h) @ w2.astype(np.float32) + b2.astype(np.float32))
        outs = [y]
        if prefix_extra_use:
            outs += [x - x.mean(-1, keepdims=True),
                     np.vectorize(math.erf)(h / math.sqrt(2)).astype(np.float32)]
        return outs
    return model, ref


def build_plain_layernorm():
    """LayerNorm without scale and bias, axes given as [1] (the last of rank 2)."""
    nodes, inits = layernorm_nodes('x', 'y', 'p_', affine=False, axes=(1,))
    g = helper.make_graph(nodes, 'plain_ln',
                          [helper.make_tensor_value_info('x', TP.FLOAT, [ROWS, COLS])],
                          [helper.make_tensor_value_info('y', TP.FLOAT, [ROWS, COLS])],
                          inits)
    return (helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]),
            lambda x: [layernorm_ref(x)])


def build_not_last_axis():
    """ReduceMean over axis 0: not a LayerNorm over the last axis, no fusion."""
    nodes, inits = layernorm_nodes('x', 'y', 'a_', affine=False, axes=(0,))
    g = helper.make_graph(nodes, 'axis0',
                          [helper.make_tensor_value_info('x', TP.FLOAT, [ROWS, COLS])],
                          [helper.make_tensor_value_info('y', TP.FLOAT, [ROWS, COLS])],
                          inits)

    def ref(x):
        m = x.mean(0, keepdims=True)
        return [(x - m) / np.sqrt(((x - m) ** 2).mean(0, keepdims=True) + 1e-5)]
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), ref


def build_conv_gate(sigmoid_is_output=False, hard=False):
    """x (1,4,6,6) -> Conv 3x3 (8 channels, bias) -> x * Sigmoid(x) (EfficientNet's
    SiLU) or x * HardSigmoid(x) (MobileNetV3's HardSwish as torch exports it)."""
    w, b = rng.normal(0, 0.3, (8, 4, 3, 3)), rng.normal(0, 0.1, 8)
    gate = (helper.make_node('HardSigmoid', ['c'], ['s'], alpha=1 / 6, beta=0.5) if hard
            else helper.make_node('Sigmoid', ['c'], ['s']))
    nodes = [helper.make_node('Conv', ['x', 'w', 'b'], ['c'], pads=[1, 1, 1, 1]),
             gate, helper.make_node('Mul', ['s', 'c'], ['y'])]
    outputs = [helper.make_tensor_value_info('y', TP.FLOAT, [1, 8, 6, 6])]
    if sigmoid_is_output:
        outputs.append(helper.make_tensor_value_info('s', TP.FLOAT, [1, 8, 6, 6]))
    g = helper.make_graph(nodes, 'conv_silu',
                          [helper.make_tensor_value_info('x', TP.FLOAT, [1, 4, 6, 6])],
                          outputs, [const('w', w), const('b', b)])

    def ref(x):
        x = x.reshape(1, 4, 6, 6)
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        c = np.zeros((1, 8, 6, 6), np.float32)
        for i in range(6):
            for j in range(6):
                c[0, :, i, j] = np.tensordot(w, xp[0, :, i:i + 3, j:j + 3], 3) + b
        s = np.clip(c / 6 + 0.5, 0, 1) if hard else 1 / (1 + np.exp(-c))
        return [c * s, s] if sigmoid_is_output else [c * s]
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), ref


def build_conv_direct(C, M, H, stride, residual):
    """x (1,C,H,H) -> Conv 3x3 pad 1 (M channels, bias) [-> Add x] -> Relu: the
    shapes sp-run gives the direct 3x3 kernel on AVX-512 (stride 2 to at
    most 14x14, maps of at most 8x8; kernels/direct3x3.c
    direct3x3_preferred), with the epilogue's bias, residual and relu."""
    w, b = rng.normal(0, 0.1, (M, C, 3, 3)), rng.normal(0, 0.1, M)
    oh = (H - 1) // stride + 1
    nodes = [helper.make_node('Conv', ['x', 'w', 'b'], ['c'], pads=[1, 1, 1, 1],
                              strides=[stride, stride])]
    if residual:
        nodes.append(helper.make_node('Add', ['c', 'x'], ['a']))
    nodes.append(helper.make_node('Relu', ['a' if residual else 'c'], ['y']))
    g = helper.make_graph(nodes, 'conv_direct',
                          [helper.make_tensor_value_info('x', TP.FLOAT, [1, C, H, H])],
                          [helper.make_tensor_value_info('y', TP.FLOAT, [1, M, oh, oh])],
                          [const('w', w), const('b', b)])

    def ref(x):
        x = x.reshape(1, C, H, H).astype(np.float64)
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        c = np.zeros((1, M, oh, oh))
        for i in range(oh):
            for j in range(oh):
                c[0, :, i, j] = np.tensordot(
                    w, xp[0, :, stride * i:stride * i + 3, stride * j:stride * j + 3], 3) + b
        return [np.maximum(c + x if residual else c, 0).astype(np.float32)]
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), ref


def build_conv1x1_deep():
    """x (1,1024,14,14) -> Conv 1x1 (8 channels, bias) -> Relu: K >= 1024 over
    196 positions, which sp-run on AVX-512 at one thread gives OpenBLAS
    (kernels/pointwise.c pointwise_blas_preferred) with the epilogue after."""
    C, M, H = 1024, 8, 14
    w, b = rng.normal(0, 0.05, (M, C, 1, 1)), rng.normal(0, 0.1, M)
    nodes = [helper.make_node('Conv', ['x', 'w', 'b'], ['c']),
             helper.make_node('Relu', ['c'], ['y'])]
    g = helper.make_graph(nodes, 'conv1x1_deep',
                          [helper.make_tensor_value_info('x', TP.FLOAT, [1, C, H, H])],
                          [helper.make_tensor_value_info('y', TP.FLOAT, [1, M, H, H])],
                          [const('w', w), const('b', b)])

    def ref(x):
        x = x.reshape(C, H * H).astype(np.float64)
        c = w.reshape(M, C) @ x + b[:, None]
        return [np.maximum(c, 0).reshape(1, M, H, H).astype(np.float32)]
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), ref


def build_bn_relu():
    """x (1,3,4,5) -> BatchNormalization -> Relu (DenseNet's pre-activation)."""
    scale, bias = rng.uniform(0.5, 2, 3), rng.normal(0, 1, 3)
    mean, var = rng.normal(0, 0.5, 3), rng.uniform(0.5, 2, 3)
    nodes = [helper.make_node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['n'],
                              epsilon=1e-3),
             helper.make_node('Relu', ['n'], ['y'])]
    g = helper.make_graph(nodes, 'bn_relu',
                          [helper.make_tensor_value_info('x', TP.FLOAT, [1, 3, 4, 5])],
                          [helper.make_tensor_value_info('y', TP.FLOAT, [1, 3, 4, 5])],
                          [const('s', scale), const('b', bias), const('m', mean),
                           const('v', var)])

    def ref(x):
        c = (slice(None), None, None)
        y = (x - mean[c]) / np.sqrt(var[c] + 1e-3) * scale[c] + bias[c]
        return [np.maximum(y, 0).astype(np.float32)]
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), ref


def build_dropout_p0():
    """Dropout with training_mode true and ratio 0 (torch's attention dropout
    with p = 0 in Swin): the identity, not random."""
    nodes = [helper.make_node('Dropout', ['x', 'ratio', 'training'], ['y'])]
    inits = [const('ratio', 0.0), numpy_helper.from_array(np.array(True), 'training')]
    g = helper.make_graph(nodes, 'dropout_p0',
                          [helper.make_tensor_value_info('x', TP.FLOAT, [ROWS, COLS])],
                          [helper.make_tensor_value_info('y', TP.FLOAT, [ROWS, COLS])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), lambda x: [x]


def build_pad(dtype, pads, value):
    """Pad (constant mode, opset 13) of a (2,3,4,5) input; negative pads crop."""
    tp = TP.FLOAT if dtype == np.float32 else TP.INT64
    nodes = [helper.make_node('Pad', ['x', 'pads', 'value'], ['y'], mode='constant')]
    inits = [numpy_helper.from_array(np.array(pads, np.int64), 'pads'),
             numpy_helper.from_array(np.array(value, dtype), 'value')]
    shape = [2, 3, 4, 5]
    out = [shape[i] + pads[i] + pads[i + 4] for i in range(4)]
    g = helper.make_graph(nodes, 'pad', [helper.make_tensor_value_info('x', tp, shape)],
                          [helper.make_tensor_value_info('y', tp, out)], inits)

    def ref(x):
        x = x.astype(dtype)
        lo, hi = pads[:4], pads[4:]
        crop = tuple(slice(max(0, -a), x.shape[i] - max(0, -b))
                     for i, (a, b) in enumerate(zip(lo, hi)))
        return [np.pad(x[crop], [(max(0, a), max(0, b)) for a, b in zip(lo, hi)],
                       constant_values=value)]
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), ref


def build_transpose(shape, perm):
    """Transpose of a float tensor (perm [1, 2, 0] of (20, 3, 18): the source
    is contiguous along the output's second-last dim, 16 rows + a tail of 2)."""
    out = [shape[p] for p in perm]
    nodes = [helper.make_node('Transpose', ['x'], ['y'], perm=perm)]
    g = helper.make_graph(nodes, 'transpose', [helper.make_tensor_value_info('x', TP.FLOAT, shape)],
                          [helper.make_tensor_value_info('y', TP.FLOAT, out)])
    return (helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]),
            lambda x: [np.transpose(x, perm)])


def build_softmax(shape):
    """Softmax over the last axis (contiguous rows)."""
    nodes = [helper.make_node('Softmax', ['x'], ['y'], axis=-1)]
    g = helper.make_graph(nodes, 'softmax', [helper.make_tensor_value_info('x', TP.FLOAT, shape)],
                          [helper.make_tensor_value_info('y', TP.FLOAT, shape)])

    def ref(x):
        e = np.exp(x.astype(np.float64) - x.max(axis=-1, keepdims=True))
        return [(e / e.sum(axis=-1, keepdims=True)).astype(np.float32)]
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), ref


def build_maxpool_k3s2(shape, pad):
    """MaxPool 3x3, stride 2, padding pad (ResNet's stem pool when pad is 1)."""
    oh, ow = [(d + 2 * pad - 3) // 2 + 1 for d in shape[2:]]
    nodes = [helper.make_node('MaxPool', ['x'], ['y'], kernel_shape=[3, 3], strides=[2, 2],
                              pads=[pad] * 4)]
    g = helper.make_graph(nodes, 'maxpool', [helper.make_tensor_value_info('x', TP.FLOAT, shape)],
                          [helper.make_tensor_value_info('y', TP.FLOAT, shape[:2] + [oh, ow])])

    def ref(x):
        xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=-np.inf)
        y = np.full(shape[:2] + [oh, ow], -np.inf, np.float32)
        for i in range(3):
            for j in range(3):
                y = np.maximum(y, xp[:, :, i:i + 2 * oh:2, j:j + 2 * ow:2])
        return [y]
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), ref


def run(sp_run, model, ref, work, name):
    """Runs model under sp-run; returns the op kinds that ran (from the profile)."""
    path = os.path.join(work, name + '.onnx')
    onnx.checker.check_model(model)
    onnx.save(model, path)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = rng.normal(0, 1, dims).astype(np.float32)
    if model.graph.input[0].type.tensor_type.elem_type == TP.INT64:
        x = (x * 100).astype(np.int64)
    indir, outdir = os.path.join(work, name + '_in'), os.path.join(work, name + '_out')
    os.makedirs(indir, exist_ok=True)
    ortlib.save_pb(x, os.path.join(indir, 'input_0.pb'), 'x')
    p = subprocess.run([sp_run, path, '--input-dir', indir, '--output-dir', outdir,
                        '--threads', '1', '-q'], capture_output=True, text=True)
    if p.returncode:
        raise AssertionError(f'{name}: sp-run failed: {p.stderr.strip()}')
    for i, want in enumerate(ref(x)):
        got = ortlib.load_pb(os.path.join(outdir, f'output_{i}.pb'))
        err = float(np.max(np.abs(got - want) / (1 + np.abs(want))))
        if not err <= 1e-5:
            raise AssertionError(f'{name}: output {i} differs from numpy by {err:.3g}')
    p = subprocess.run([sp_run, path, '--random', '--bench', '1', '--threads', '1',
                        '--profile=nodes'], capture_output=True, text=True)
    kinds = re.findall(r'^\S+ \[([^\]]+)\]', p.stderr, re.M)
    return sorted(kinds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-run', required=True)
    ap.add_argument('--isa', help='kernel set to run on (SP_ISA)')
    args = ap.parse_args()
    if args.isa and not ortlib.use_kernel_set(args.sp_run, args.isa):
        return 77
    failures = 0
    cases = [
        # the whole MLP block: one LayerNorm and two MatMuls run, nothing else
        ('block', build_block(), ['LayerNorm (fused)', 'MatMul', 'MatMul']),
        # the LayerNorm's centred input and GELU's erf are graph outputs: both
        # chains run node by node; the MatMuls still take bias and residual
        ('block_outputs', build_block(prefix_extra_use=True),
         ['Add', 'Add', 'Add', 'Div', 'Div', 'Erf', 'MatMul', 'MatMul', 'Mul', 'Mul',
          'Mul', 'Pow', 'ReduceMean', 'ReduceMean', 'Sqrt', 'Sub']),
        ('plain_layernorm', build_plain_layernorm(), ['LayerNorm (fused)']),
        # SiLU joins the conv; not when the sigmoid is wanted as an output
        ('conv_silu', build_conv_gate(), ['Conv 3x3']),
        ('conv_silu_output', build_conv_gate(sigmoid_is_output=True),
         ['Conv 3x3', 'Mul', 'Sigmoid']),
        ('conv_hardswish', build_conv_gate(hard=True), ['Conv 3x3']),
        # direct 3x3 on AVX-512 (other sets: Winograd, im2col): stride 2 to
        # 14x14 and odd 7x7; stride 1 on 7x7 with the residual in the epilogue
        ('conv_direct_s2', build_conv_direct(16, 20, 28, 2, False), ['Conv 3x3']),
        ('conv_direct_s2_odd', build_conv_direct(24, 32, 13, 2, False), ['Conv 3x3']),
        ('conv_direct_7x7_residual', build_conv_direct(40, 40, 7, 1, True), ['Conv 3x3']),
        # 1x1 with K = 1024 over 14x14: OpenBLAS on AVX-512 at one thread
        ('conv1x1_deep_k', build_conv1x1_deep(), ['Conv 1x1']),
        ('bn_relu', build_bn_relu(), ['BatchNormalization']),
        # constant Pad: one copy per row between fills; crops, fill values, int64
        ('pad_zero', build_pad(np.float32, [0, 0, 1, 2, 0, 0, 3, 1], 0.0), ['Pad']),
        ('pad_crop_fill', build_pad(np.float32, [0, -1, 2, -2, 1, 0, -1, 3], 2.5), ['Pad']),
        ('pad_int64', build_pad(np.int64, [1, 0, 0, -3, 0, 2, 1, 0], 7), ['Pad']),
        ('dropout_p0', build_dropout_p0(), ['Dropout']),
        ('transpose_rows16', build_transpose([20, 3, 18], [1, 2, 0]), ['Transpose']),
        ('transpose_rank4', build_transpose([5, 2, 3, 9], [1, 2, 3, 0]), ['Transpose']),
        ('softmax_rows', build_softmax([3, 4, 37]), ['Softmax']),
        ('softmax_short', build_softmax([6, 5]), ['Softmax']),
        ('softmax_16', build_softmax([2, 16]), ['Softmax']),
        ('maxpool_k3s2_wide', build_maxpool_k3s2([1, 2, 9, 601], 1), ['MaxPool']),
        ('maxpool_k3s2_nopad', build_maxpool_k3s2([2, 3, 8, 11], 0), ['MaxPool']),
        ('not_last_axis', build_not_last_axis(),
         ['Add', 'Div', 'Pow', 'ReduceMean', 'ReduceMean', 'Sqrt', 'Sub']),
    ]
    with tempfile.TemporaryDirectory() as work:
        for name, (model, ref), want in cases:
            try:
                kinds = run(args.sp_run, model, ref, work, name)
                if kinds != sorted(want):
                    raise AssertionError(f'{name}: ran {kinds}, want {sorted(want)}')
                print(f'ok   {name}: {", ".join(kinds)}')
            except AssertionError as e:
                print(f'FAIL {e}')
                failures += 1
    print(f'{len(cases) - failures} passed, {failures} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
