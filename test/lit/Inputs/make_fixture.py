#!/usr/bin/python3
"""Writes small hand-made ONNX models for the lit tests: make_fixture.py NAME OUT.onnx."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def weights(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def conv_relu_gemm():
    """A tiny classifier with a symbolic batch, metadata and value_info."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 8, 8])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])
    nodes = [
        helper.make_node("Conv", ["input", "conv.w", "conv.b"], ["c"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("BatchNormalization", ["c", "bn.s", "bn.b", "bn.m", "bn.v"], ["n"],
                         name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["n"], ["r"], name="relu1"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    inits = [weights("conv.w", 4, 3, 3, 3), weights("conv.b", 4), weights("bn.s", 4),
             weights("bn.b", 4), weights("bn.m", 4),
             numpy_helper.from_array(np.abs(rng.standard_normal(4)).astype(np.float32) + 0.5, "bn.v"),
             weights("fc.w", 10, 4), weights("fc.b", 10)]
    g = helper.make_graph(nodes, "tiny", [x], [y], inits,
                          value_info=[helper.make_tensor_value_info("r", TensorProto.FLOAT,
                                                                    ["batch", 4, 8, 8])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="sp-lit", producer_version="1.0", doc_string="a tiny CNN")
    m.model_version = 7
    helper.set_model_props(m, {"author": "sp", "license": "MIT"})
    return m


def custom_ops():
    """Ops sp has no op for, in another domain, with every attribute kind."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    body = helper.make_graph([helper.make_node("Identity", ["x"], ["z"])], "body", [],
                             [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 3])])
    node = helper.make_node(
        "FancyOp", ["x", "", "x"], ["t", ""], name="fancy", domain="com.example",
        i=3, f=0.5, s="hello", ints=[1, -2, 3], floats=[0.25, 1.5], strings=["a", "bc"],
        t=numpy_helper.from_array(np.arange(6, dtype=np.int64).reshape(2, 3)), g=body)
    relu = helper.make_node("Relu", ["t"], ["y"])  # unnamed node
    g = helper.make_graph([node, relu], "custom", [x], [y])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                               helper.make_opsetid("com.example", 1)])


def unsorted():
    """Nodes listed out of topological order (allowed by some exporters)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Neg", ["a"], ["y"], name="second"),
             helper.make_node("Relu", ["x"], ["a"], name="first")]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                             opset_imports=[helper.make_opsetid("", 13)])


def missing_input():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Add", ["x", "nowhere"], ["y"], name="add_bad")]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                             opset_imports=[helper.make_opsetid("", 13)])


def matmul_stats():
    """Known MAC count: 2x(4x8 @ 8x16) = 2*4*16*8 = 1024 MACs; params 8*16."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 16])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y], [weights("w", 8, 16)]),
                             opset_imports=[helper.make_opsetid("", 13)])


def wrong_value_info():
    """value_info that contradicts what the ops compute (Relu keeps 1x4)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="relu"),
             helper.make_node("Neg", ["a"], ["y"], name="neg")]
    vi = [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 5])]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y], value_info=vi),
                             opset_imports=[helper.make_opsetid("", 13)])


def conv_channel_mismatch():
    """A Conv whose weight expects 4 input channels on a 3-channel input."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="bad_conv", kernel_shape=[3, 3])]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y], [weights("w", 2, 4, 3, 3)]),
                             opset_imports=[helper.make_opsetid("", 13)])


def future_ir():
    m = matmul_stats()
    m.ir_version = 99
    return m


def cycle():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="add_a"),
             helper.make_node("Relu", ["a"], ["b"], name="relu_b"),
             helper.make_node("Neg", ["a"], ["y"], name="neg")]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                             opset_imports=[helper.make_opsetid("", 13)])


def big_weights():
    """A 64 KiB weight, saved with external data by the caller."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 128])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 128])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y], [weights("w", 128, 128)]),
                             opset_imports=[helper.make_opsetid("", 13)])


def if_capture():
    """An If whose branches read 'r' from the enclosing graph by name only."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    c = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    out = helper.make_tensor_value_info("o", TensorProto.FLOAT, [1, 4])
    then_g = helper.make_graph([helper.make_node("Neg", ["r"], ["o"])], "then", [], [out])
    else_g = helper.make_graph([helper.make_node("Identity", ["r"], ["o"])], "else", [], [out])
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu"),
             helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g,
                              else_branch=else_g)]
    return helper.make_model(helper.make_graph(nodes, "g", [x, c], [y]),
                             opset_imports=[helper.make_opsetid("", 13)])


def residual_mlp(tail=None):
    """Three residual blocks y = x + x @ W on (N, 8) where calibration and the
    weight-based fallback disagree. Calibration data lives in dims 0..3:
      block_a: W = 10 on rows 4..7 only: huge weights (gain 200) that the data
               never reaches (the block is the identity on it, influence 0);
      block_b: W = 0.5 R, R a 90-degree rotation of dims 0..3 (gain 0.125,
               cos = 1/sqrt(1.25), influence 0.106);
      block_c: W = 2 R (gain 2, cos = 1/sqrt(5), influence 0.553).
    Weights drop b first, then c; calibration drops a first, then b."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8])
    rot = np.zeros((8, 8), np.float32)
    for i, j in [(0, 1), (2, 3)]:  # x @ rot maps (x_i, x_j) to (-x_j, x_i)
        rot[j, i], rot[i, j] = -1, 1
    wa = np.zeros((8, 8), np.float32)
    wa[4:, :4] = 10
    inits = [numpy_helper.from_array(wa, "wa"), numpy_helper.from_array(0.5 * rot, "wb"),
             numpy_helper.from_array(2 * rot, "wc")]
    nodes, prev = [], "x"
    for b in "abc":
        nodes += [helper.make_node("MatMul", [prev, f"w{b}"], [f"f{b}"], name=f"block_{b}_mm"),
                  helper.make_node("Add", [prev, f"f{b}"], [f"y{b}"], name=f"block_{b}_add")]
        prev = f"y{b}"
    nodes[-1].output[0] = "y" if tail is None else "yc"
    if tail == "scatter":  # an op the runtime has no kernel for, after the blocks
        inits += [numpy_helper.from_array(np.zeros((1, 8), np.int64), "idx"),
                  numpy_helper.from_array(np.zeros((1, 8), np.float32), "upd")]
        nodes.append(helper.make_node("ScatterElements", ["yc", "idx", "upd"], ["y"],
                                      name="scatter"))
    return helper.make_model(helper.make_graph(nodes, "residual_mlp", [x], [y], inits),
                             opset_imports=[helper.make_opsetid("", 13)])


def residual_mlp_scatter():
    """residual_mlp followed by ScatterElements (no runtime kernel)."""
    return residual_mlp("scatter")


def residual_mlp_calibration(out):
    """Calibration directories for residual_mlp under out: sets/ (two
    test_data_set_* of batch 3 and 2), flat/ (input_0.pb), and broken ones:
    empty/, wrong_shape/ (N x 5), extra/ (input_1.pb), no_input/ (a set
    without input_0.pb)."""
    def write(d, name, arr, tensor_name="x"):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(numpy_helper.from_array(arr, tensor_name).SerializeToString())

    def data(n):
        arr = np.zeros((n, 8), np.float32)
        arr[:, :4] = rng.standard_normal((n, 4))
        return arr
    write(os.path.join(out, "sets", "test_data_set_0"), "input_0.pb", data(3))
    write(os.path.join(out, "sets", "test_data_set_1"), "input_0.pb", data(2))
    write(os.path.join(out, "flat"), "input_0.pb", data(4))
    os.makedirs(os.path.join(out, "empty"), exist_ok=True)
    write(os.path.join(out, "wrong_shape"), "input_0.pb", np.zeros((2, 5), np.float32))
    write(os.path.join(out, "extra"), "input_0.pb", data(1))
    write(os.path.join(out, "extra"), "input_1.pb", data(1), "")
    os.makedirs(os.path.join(out, "no_input", "test_data_set_0"), exist_ok=True)


def residual_mlp_depth_width(out):
    """residual_mlp_calibration's sets/ plus out/expected_kl.txt: for 2 and 3
    blocks dropped (calibration order a, b, c), the mean over the 5 samples of
    KL(softmax(y) || softmax(y_k)), y the full model's output."""
    residual_mlp_calibration(out)
    model = residual_mlp()
    w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    x = np.concatenate([numpy_helper.to_array(onnx.load_tensor(
        os.path.join(out, "sets", s, "input_0.pb"))) for s in ("test_data_set_0",
                                                                "test_data_set_1")]).astype(np.float64)

    def run(blocks):
        for b in blocks:
            x_ = run.x
            run.x = x_ + x_ @ w["w" + b]
        return run.x

    def log_softmax(z):
        z = z - z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))

    run.x = x
    full = log_softmax(run("abc"))
    with open(os.path.join(out, "expected_kl.txt"), "w") as f:
        for k, kept in [(2, "c"), (3, "")]:
            run.x = x
            yk = log_softmax(run(kept))
            kl = (np.exp(full) * (full - yk)).sum(1).mean()
            f.write(f"{k} {kl:.6g}\n")


def bn_chain(tail=None):
    """Conv -> BN -> Relu -> Conv -> BN on (N, 2, 1, 2) with wrong running
    statistics (bn1: mean 0, var 1; bn2: mean 5, var 9) and epsilon 0, so
    that on bn_chain_calibration's data every value is a small dyadic
    rational and the recalibrated statistics are exact in float32:
      conv1 = diag(1, 2), bias (0, 1); bn1 scale (1, 2), bias (0, 0.5);
      conv2 = [[1, 1], [1, -1]], no bias; bn2 scale 1, bias 0."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 1, 2])
    f = np.float32
    inits = [numpy_helper.from_array(np.diag([1, 2]).astype(f).reshape(2, 2, 1, 1), "w1"),
             numpy_helper.from_array(np.array([0, 1], f), "b1"),
             numpy_helper.from_array(np.array([1, 2], f), "bn1_scale"),
             numpy_helper.from_array(np.array([0, 0.5], f), "bn1_bias"),
             numpy_helper.from_array(np.array([0, 0], f), "bn1_mean"),
             numpy_helper.from_array(np.array([1, 1], f), "bn1_var"),
             numpy_helper.from_array(np.array([[1, 1], [1, -1]], f).reshape(2, 2, 1, 1), "w2"),
             numpy_helper.from_array(np.array([1, 1], f), "bn2_scale"),
             numpy_helper.from_array(np.array([0, 0], f), "bn2_bias"),
             numpy_helper.from_array(np.array([5, 5], f), "bn2_mean"),
             numpy_helper.from_array(np.array([9, 9], f), "bn2_var")]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["a"], name="conv1"),
             helper.make_node("BatchNormalization", ["a", "bn1_scale", "bn1_bias", "bn1_mean",
                                                     "bn1_var"], ["n"], name="bn1", epsilon=0.0),
             helper.make_node("Relu", ["n"], ["r"], name="relu"),
             helper.make_node("Conv", ["r", "w2"], ["b"], name="conv2"),
             helper.make_node("BatchNormalization", ["b", "bn2_scale", "bn2_bias", "bn2_mean",
                                                     "bn2_var"], ["y"], name="bn2", epsilon=0.0)]
    if tail == "scatter":  # an op the runtime has no kernel for, after the BNs
        nodes[-1].output[0] = "yb"
        inits += [numpy_helper.from_array(np.zeros((1, 2, 1, 2), np.int64), "idx"),
                  numpy_helper.from_array(np.zeros((1, 2, 1, 2), f), "upd")]
        nodes.append(helper.make_node("ScatterElements", ["yb", "idx", "upd"], ["y"],
                                      name="scatter"))
    return helper.make_model(helper.make_graph(nodes, "bn_chain", [x], [y], inits),
                             opset_imports=[helper.make_opsetid("", 13)])


def bn_chain_scatter():
    """bn_chain followed by ScatterElements (no runtime kernel)."""
    return bn_chain("scatter")


def bn_skipped():
    """BNs sp-recalibrate-bn leaves alone: bn_const (running mean from a
    Constant node) and bn_train (training_mode=1, opset 15)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 2, 2])
    ones, zeros = np.ones(2, np.float32), np.zeros(2, np.float32)
    inits = [numpy_helper.from_array(ones, "scale"), numpy_helper.from_array(zeros, "bias"),
             numpy_helper.from_array(zeros, "mean"), numpy_helper.from_array(ones, "var")]
    nodes = [helper.make_node("Constant", [], ["cmean"], name="cmean",
                              value=numpy_helper.from_array(zeros, "cmean")),
             helper.make_node("BatchNormalization", ["x", "scale", "bias", "cmean", "var"],
                              ["h"], name="bn_const"),
             helper.make_node("BatchNormalization", ["h", "scale", "bias", "mean", "var"],
                              ["y"], name="bn_train", training_mode=1)]
    return helper.make_model(helper.make_graph(nodes, "bn_skipped", [x], [y], inits),
                             opset_imports=[helper.make_opsetid("", 15)])


def bn_shared():
    """bnA -> Add(h, h) -> bnB on bn_chain's input, both BNs reading one
    initializer "mv" as running mean and variance: recalibration must give
    each its own copy (bnA: x's statistics; bnB: mean 0, var 4)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 1, 2])
    f = np.float32
    inits = [numpy_helper.from_array(np.ones(2, f), "s"),
             numpy_helper.from_array(np.zeros(2, f), "b"),
             numpy_helper.from_array(np.zeros(2, f), "mv")]
    nodes = [helper.make_node("BatchNormalization", ["x", "s", "b", "mv", "mv"], ["h"],
                              name="bnA", epsilon=0.0),
             helper.make_node("Add", ["h", "h"], ["h2"], name="add"),
             helper.make_node("BatchNormalization", ["h2", "s", "b", "mv", "mv"], ["y"],
                              name="bnB", epsilon=0.0)]
    return helper.make_model(helper.make_graph(nodes, "bn_shared", [x], [y], inits),
                             opset_imports=[helper.make_opsetid("", 13)])


def bn_chain_reference(x, bn1_fixed):
    """(mean, var) per channel of bn1's and bn2's inputs in bn_chain on x
    (N, 2, 1, 2), population variance; bn1 normalises with its own recomputed
    statistics when bn1_fixed, else with the fixture's wrong ones."""
    x = x.astype(np.float64)
    a = np.stack([x[:, 0], 2 * x[:, 1] + 1], 1)
    stats = [(a.mean((0, 2, 3)), a.var((0, 2, 3)))]
    mean, var = stats[0] if bn1_fixed else (np.zeros(2), np.ones(2))
    n = (a - mean[None, :, None, None]) / np.sqrt(var)[None, :, None, None]
    r = np.maximum(n * np.array([1, 2])[None, :, None, None] +
                   np.array([0, 0.5])[None, :, None, None], 0)
    b = np.stack([r[:, 0] + r[:, 1], r[:, 0] - r[:, 1]], 1)
    stats.append((b.mean((0, 2, 3)), b.var((0, 2, 3))))
    return stats


def bn_chain_calibration(out):
    """Calibration data for bn_chain under out: sets/ (test_data_set_0 of
    batch 3, test_data_set_1 of batch 1) where bn1's input takes (1, 3) and
    (1, 5) four times each per channel (mean (2, 3), var (1, 4)), empty_set/
    (a set of batch 0); and out/expected.txt, bn_chain_reference's statistics
    as bn_stats.py prints them, for dependency order (rounds=0) and for
    rounds=1 (bn2 measured before bn1 is corrected)."""
    order = np.random.default_rng(1).permutation(8)
    x = np.zeros((4, 2, 1, 2), np.float32)
    x[:, 0].flat[order] = [1, 3] * 4
    x[:, 1].flat[np.random.default_rng(2).permutation(8)] = [0, 2] * 4
    for i, part in enumerate([x[:3], x[3:]]):
        d = os.path.join(out, "sets", f"test_data_set_{i}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(part, "x").SerializeToString())
    os.makedirs(os.path.join(out, "empty_set"), exist_ok=True)
    with open(os.path.join(out, "empty_set", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(np.zeros((0, 2, 1, 2), np.float32), "x")
                .SerializeToString())
    for name, fixed in [("expected", True), ("expected_rounds1", False)]:
        with open(os.path.join(out, name + ".txt"), "w") as f:
            for bn, (mean, var) in zip(["bn1", "bn2"], bn_chain_reference(x, fixed)):
                f.write(f"{bn} mean {' '.join(f'{v:.9g}' for v in mean.astype(np.float32))}"
                        f" var {' '.join(f'{v:.9g}' for v in var.astype(np.float32))}\n")


def emitc_block(tail=None):
    """A residual block for --emit-c: Conv3x3+BN+Relu, Conv3x3+BN+Add(input)+Relu
    (both Winograd-sized: 16 channels, 8x8), GlobalAveragePool, Flatten, Gemm;
    tail adds one more node after the Gemm."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 16, 8, 8])
    out = "logits" if tail is None else "fc"
    nodes = [
        helper.make_node("Conv", ["input", "w1"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "s1", "b1", "m1", "v1"], ["n1"],
                         name="bn1"),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c2", "s2", "b2", "m2", "v2"], ["n2"],
                         name="bn2"),
        helper.make_node("Add", ["n2", "input"], ["a"], name="add"),
        helper.make_node("Relu", ["a"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], [out], name="fc", transB=1),
    ]
    if tail is not None:
        nodes.append(tail(out, "logits"))
    inits = [weights("fc.w", 10, 16), weights("fc.b", 10)]
    for i in (1, 2):
        inits += [weights(f"w{i}", 16, 16, 3, 3), weights(f"s{i}", 16), weights(f"b{i}", 16),
                  weights(f"m{i}", 16),
                  numpy_helper.from_array(np.abs(rng.standard_normal(16)).astype(np.float32)
                                          + 0.5, f"v{i}")]
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])
    g = helper.make_graph(nodes, "emitc_block", [x], [y], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def emitc_pool():
    """Conv3x3+Relu (16 channels, 8x8) then MaxPool 3x3 stride 2 pad 1 (resnet's stem
    pool) and a dilated MaxPool 2x2: --emit-c's clamped-window and general pools; and a
    second input and output, a stride-2 Conv3x3 from 20x20 to 10x10 (direct 3x3's
    phase planes, past the 8x8 outputs every stride takes)."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 16, 8, 8])
    nodes = [
        helper.make_node("Conv", ["input", "w1"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("MaxPool", ["p1"], ["q"], name="pool2", kernel_shape=[2, 2],
                         dilations=[2, 2]),
        helper.make_node("Conv", ["x2", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[2, 2]),
    ]
    x2 = helper.make_tensor_value_info("x2", TensorProto.FLOAT, [1, 16, 20, 20])
    y = helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, 16, 2, 2])
    y2 = helper.make_tensor_value_info("c2", TensorProto.FLOAT, [1, 16, 10, 10])
    g = helper.make_graph(nodes, "emitc_pool", [x, x2], [y, y2],
                          [weights("w1", 16, 16, 3, 3), weights("w2", 16, 16, 3, 3)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def emitc_unsupported():
    """emitc_block ending in Hardmax: sp-run has a kernel, --emit-c does not."""
    return emitc_block(lambda i, o: helper.make_node("Hardmax", [i], [o], name="hardmax1",
                                                     axis=1))


FIXTURES = {f.__name__: f for f in [emitc_block, emitc_pool, emitc_unsupported, conv_relu_gemm, custom_ops, unsorted, missing_input,
                                     matmul_stats, wrong_value_info, conv_channel_mismatch,
                                     future_ir, cycle, big_weights, if_capture, residual_mlp,
                                     residual_mlp_scatter, bn_chain, bn_chain_scatter,
                                     bn_skipped, bn_shared]}
# Data, not models: make_fixture.py NAME OUT_DIR.
DATA = {f.__name__: f for f in [residual_mlp_calibration, bn_chain_calibration,
                                residual_mlp_depth_width]}

if __name__ == "__main__":
    if sys.argv[1] in DATA:
        DATA[sys.argv[1]](sys.argv[2])
        sys.exit(0)
    model = FIXTURES[sys.argv[1]]()
    external = len(sys.argv) > 3 and sys.argv[3] == "--external"
    # The checker would refuse the deliberately broken fixtures: save raw.
    onnx.save(model, sys.argv[2], save_as_external_data=external,
              location=os.path.basename(sys.argv[2]) + ".data" if external else None,
              size_threshold=1024)
