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


FIXTURES = {f.__name__: f for f in [conv_relu_gemm, custom_ops, unsorted, missing_input,
                                     matmul_stats, wrong_value_info, conv_channel_mismatch,
                                     future_ir, cycle, big_weights, if_capture]}

if __name__ == "__main__":
    model = FIXTURES[sys.argv[1]]()
    external = len(sys.argv) > 3 and sys.argv[3] == "--external"
    # The checker would refuse the deliberately broken fixtures: save raw.
    onnx.save(model, sys.argv[2], save_as_external_data=external,
              location=os.path.basename(sys.argv[2]) + ".data" if external else None,
              size_threshold=1024)
