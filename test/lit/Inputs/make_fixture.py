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


FIXTURES = {f.__name__: f for f in [conv_relu_gemm, custom_ops, unsorted, missing_input,
                                     matmul_stats, wrong_value_info, conv_channel_mismatch,
                                     future_ir, cycle, big_weights, if_capture, residual_mlp,
                                     residual_mlp_scatter]}
# Data, not models: make_fixture.py NAME OUT_DIR.
DATA = {f.__name__: f for f in [residual_mlp_calibration]}

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
