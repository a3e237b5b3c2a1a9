"""Writes the seed corpus of fuzz_onnx_reader: tiny models that reach every
part of the reader (typed fields, external data, subgraphs, odd types).

  make_onnx_seeds.py OUT_DIR
"""
import os
import sys

import numpy as np
from onnx import StringStringEntryProto, TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits, ir=8):
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = ir
    return m


def vi(name, t=TensorProto.FLOAT, shape=None):
    return helper.make_tensor_value_info(name, t, shape)


def mlp():
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3), "W")
    b = helper.make_tensor("b", TensorProto.FLOAT, [3], [0.5, -1, 2])  # float_data
    return model([helper.make_node("MatMul", ["x", "W"], ["xw"], name="mm"),
                  helper.make_node("Add", ["xw", "b"], ["z"], name="add"),
                  helper.make_node("Relu", ["z"], ["y"])],
                 [vi("x", shape=[1, 4])], [vi("y", shape=[1, 3])], [w, b])


def typed():
    inits = [
        helper.make_tensor("i8", TensorProto.INT8, [3], [-1, 2, 3]),
        helper.make_tensor("u16", TensorProto.UINT16, [2], [1, 65535]),
        helper.make_tensor("f16", TensorProto.FLOAT16, [1], [np.float16(1.0)]),
        helper.make_tensor("bf16", TensorProto.BFLOAT16, [1], [1.0]),
        helper.make_tensor("bool", TensorProto.BOOL, [2], [True, False]),
        helper.make_tensor("i64", TensorProto.INT64, [2], [1, -2]),
        helper.make_tensor("f64", TensorProto.DOUBLE, [1], [0.5]),
        helper.make_tensor("u32", TensorProto.UINT32, [1], [7]),
        helper.make_tensor("c64", TensorProto.COMPLEX64, [1], [1 + 2j]),
        helper.make_tensor("s", TensorProto.STRING, [1], [b"hi"]),
        helper.make_tensor("empty", TensorProto.FLOAT, [0], []),
    ]
    # Raw int4 (type 22) and float8 (17): newer than the system schema.
    int4 = helper.make_tensor("int4", TensorProto.UINT8, [3], [0x21, 0x03, 0])
    int4.data_type, int4.dims[:] = 22, [3]
    del int4.int32_data[2:]
    inits.append(int4)
    return model([helper.make_node("Identity", ["i8"], ["y"])], [],
                 [vi("y", TensorProto.INT8)], inits, ir=10)


def bare(name, data_type, dims):
    t = TensorProto(name=name, data_type=data_type)
    t.dims.extend(dims)
    return t


def external():
    w = bare("W", TensorProto.FLOAT, [4, 3])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "w.bin"), ("offset", "64"), ("length", "48")):
        w.external_data.append(StringStringEntryProto(key=k, value=v))
    odd = bare("odd", TensorProto.INT32, [2])
    odd.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "w.bin"), ("offset", "3")):
        odd.external_data.append(StringStringEntryProto(key=k, value=v))
    return model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm"),
                  helper.make_node("Add", ["odd", "odd"], ["o"], name="add")],
                 [vi("x", shape=[1, 4])], [vi("y"), vi("o", TensorProto.INT32)],
                 [w, odd])


def subgraph():
    then_g = helper.make_graph([helper.make_node("Relu", ["late"], ["t"])],
                               "then", [], [vi("t")])
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["e"])],
                               "else", [], [vi("e")])
    body = helper.make_graph(
        [helper.make_node("Add", ["v", "x"], ["v2"]),
         helper.make_node("Identity", ["c"], ["c2"])],
        "body", [vi("i", TensorProto.INT64), vi("c", TensorProto.BOOL), vi("v")],
        [vi("c2", TensorProto.BOOL), vi("v2")])
    n = helper.make_tensor("n", TensorProto.INT64, [], [3])
    return model(
        [helper.make_node("If", ["cond"], ["y"], name="if1",
                          then_branch=then_g, else_branch=else_g),
         helper.make_node("Relu", ["x"], ["late"], name="late"),
         helper.make_node("Loop", ["n", "", "x"], ["loop_out"], name="loop",
                          body=body),
         helper.make_node("Constant", [], ["k"], name="const",
                          value=helper.make_tensor("kv", TensorProto.FLOAT, [2],
                                                   [1, 2]))],
        [vi("cond", TensorProto.BOOL), vi("x")],
        [vi("y"), vi("loop_out"), vi("k")], [n])


def unsorted():
    return model([helper.make_node("Relu", ["b"], ["y"], name="last"),
                  helper.make_node("Relu", ["x"], ["b"], name="first")],
                 [vi("x")], [vi("y")], [])


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, build in (("mlp", mlp), ("typed", typed), ("external", external),
                        ("subgraph", subgraph), ("unsorted", unsorted)):
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(build().SerializeToString())
