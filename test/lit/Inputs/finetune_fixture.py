#!/usr/bin/python3
"""Fixtures of the sp-finetune lit test.

  finetune_fixture.py model OUT.onnx       a tiny CNN on (batch, 1, 8, 8), 3 classes
  finetune_fixture.py model_sin OUT.onnx   the same with a Sin (no backward kernel)
  finetune_fixture.py model_nan OUT.onnx   the same with an Inf in fc.b (the loss is NaN)
  finetune_fixture.py data DIR             IDX files (gzip) in Fashion-MNIST's names:
                                           96 training and 48 test images of three
                                           textures (horizontal/vertical stripes, checks)
  finetune_fixture.py bad_labels DIR       the same with a training label 7
  finetune_fixture.py diff A.onnx B.onnx   per initializer 'changed NAME' or 'same NAME'
                                           (graph order), then 'graph: same' when nodes,
                                           inputs, outputs and initializer shapes agree
"""
import gzip
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def tensor(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def model(with_sin=False, with_inf=False):
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 8, 8])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])
    conv_out = "c"
    nodes = [helper.make_node("Conv", ["image", "conv.w", "conv.b"], ["c"], name="conv",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
    if with_sin:
        nodes.append(helper.make_node("Sin", ["c"], ["s"], name="sin"))
        conv_out = "s"
    nodes += [
        helper.make_node("BatchNormalization", [conv_out, "bn.s", "bn.b", "bn.m", "bn.v"],
                         ["n"], name="bn", epsilon=1e-5, momentum=0.9),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    inits = [tensor("conv.w", 0.5 * rng.standard_normal((6, 1, 3, 3))),
             tensor("conv.b", np.zeros(6)), tensor("bn.s", np.ones(6)),
             tensor("bn.b", np.zeros(6)), tensor("bn.m", np.zeros(6)), tensor("bn.v", np.ones(6)),
             tensor("fc.w", 0.5 * rng.standard_normal((3, 6))), tensor("fc.b", [np.inf if with_inf else 0, 0, 0])]
    g = helper.make_graph(nodes, "tiny_texture", [x], [y], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                             producer_name="sp-lit")


def textures(n, seed):
    """n 8x8 uint8 images, label i % 3: 0 horizontal stripes, 1 vertical, 2 checks;
    random phase and contrast, plus noise."""
    r = np.random.default_rng(seed)
    images = np.zeros((n, 8, 8), np.uint8)
    labels = np.arange(n) % 3
    ii, jj = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    for k in range(n):
        phase = r.integers(2)
        pattern = [(ii + phase) % 2, (jj + phase) % 2, (ii + jj + phase) % 2][labels[k]]
        contrast = r.uniform(120, 230)
        img = 10 + contrast * pattern + r.normal(0, 12, (8, 8))
        images[k] = np.clip(img, 0, 255).astype(np.uint8)
    return images, labels.astype(np.uint8)


def write_idx(directory, split, images, labels):
    os.makedirs(directory, exist_ok=True)
    with gzip.open(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">iiii", 2051, *images.shape) + images.tobytes())
    with gzip.open(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">ii", 2049, len(labels)) + labels.tobytes())


def data(directory, bad_label=False):
    images, labels = textures(96, 1)
    if bad_label:
        labels[5] = 7
    write_idx(directory, "train", images, labels)
    write_idx(directory, "t10k", *textures(48, 2))


def other_formats(directory):
    """data()'s samples as .npy (uint8 images, read as p/255 like IDX) and as
    input_N.pb/label_N.pb folders (float p/255 in batches of 40)."""
    os.makedirs(directory, exist_ok=True)
    for split, (images, labels) in [("train", textures(96, 1)), ("val", textures(48, 2))]:
        np.save(os.path.join(directory, f"{split}_x.npy"), images[:, None])
        np.save(os.path.join(directory, f"{split}_y.npy"), labels.astype(np.int64))
        pb = os.path.join(directory, f"{split}_pb")
        os.makedirs(pb, exist_ok=True)
        x = images[:, None].astype(np.float32) / np.float32(255)
        for i, first in enumerate(range(0, len(x), 40)):
            with open(os.path.join(pb, f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(x[first:first + 40], "x").SerializeToString())
            with open(os.path.join(pb, f"label_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(labels[first:first + 40].astype(np.int64),
                                                "y").SerializeToString())


def diff(a_path, b_path):
    a, b = onnx.load(a_path).graph, onnx.load(b_path).graph
    tb = {t.name: numpy_helper.to_array(t) for t in b.initializer}
    shapes_same = True
    for t in a.initializer:
        va = numpy_helper.to_array(t)
        vb = tb.get(t.name)
        shapes_same &= vb is not None and va.shape == vb.shape and va.dtype == vb.dtype
        print(("same " if vb is not None and va.tobytes() == vb.tobytes() else "changed ") + t.name)
    nodes = lambda g: [(n.op_type, n.name, list(n.input), list(n.output),
                        [helper.printable_attribute(x) for x in n.attribute]) for n in g.node]
    io = lambda g: [v.SerializeToString() for v in list(g.input) + list(g.output)]
    same = shapes_same and len(a.initializer) == len(b.initializer) and \
        nodes(a) == nodes(b) and io(a) == io(b)
    print("graph: " + ("same" if same else "DIFFERENT"))


if __name__ == "__main__":
    what = sys.argv[1]
    if what in ("model", "model_sin", "model_nan"):
        onnx.save(model(with_sin=what == "model_sin", with_inf=what == "model_nan"), sys.argv[2])
    elif what == "data":
        data(sys.argv[2])
    elif what == "other_formats":
        other_formats(sys.argv[2])
    elif what == "bad_labels":
        data(sys.argv[2], bad_label=True)
    elif what == "diff":
        diff(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"finetune_fixture.py: unknown fixture {what!r}")
