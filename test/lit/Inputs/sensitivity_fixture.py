#!/usr/bin/python3
"""Fixtures and checks of the sp-sensitivity lit test.

  sensitivity_fixture.py model OUT.onnx   two branches on (batch, 1, 8, 8), 3 classes:
      image -> Conv 'live' (6 ch, random) -> Relu -> GAP -> Gemm \\
      image -> Conv 'dead' (4 ch, all-zero weights and bias) -> Relu -> GAP -> Gemm -> Add
      so pruning 'dead' never changes the outputs and pruning 'live' does.
  sensitivity_fixture.py data DIR         48 t10k (and 48 train) IDX images of three textures
  sensitivity_fixture.py pbdir DIR        the same 48 test images as input_0.pb (48, 1, 8, 8),
                                          p / 255) and label_0.pb (48) int64
  sensitivity_fixture.py same A.json B.json  'same' when the groups' metrics agree exactly
  sensitivity_fixture.py check JSON SVG RATIOS METRIC
      checks the table and the plot (see check()), prints 'ok' or fails
  sensitivity_fixture.py channels MODEL   'NAME OUT_CHANNELS' of every Conv weight
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from finetune_fixture import textures, write_idx  # noqa: E402

rng = np.random.default_rng(3)


def tensor(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def features(w, b, images):
    """GlobalAveragePool(Relu(Conv(images, w, b))) with pads 1, in numpy: (n, channels)."""
    x = np.pad(images.astype(np.float64) / 255, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((len(images), len(w)))
    for c in range(len(w)):
        acc = np.full((len(images), 8, 8), b[c], np.float64)
        for di in range(3):
            for dj in range(3):
                acc += w[c, 0, di, dj] * x[:, di:di + 8, dj:dj + 8]
        out[:, c] = np.maximum(acc, 0).mean(axis=(1, 2))
    return out


def live_branch():
    """Stripe detectors (both signs of a second difference across rows and across
    columns) and two random filters; the classifier fitted on the training textures
    by softmax regression, so the live branch scores well above chance."""
    h = np.array([[1, 1, 1], [-2, -2, -2], [1, 1, 1]]) / 3.0
    w = np.stack([h, -h, h.T, -h.T, 0.3 * rng.standard_normal((3, 3)),
                  0.3 * rng.standard_normal((3, 3))])[:, None]
    b = np.zeros(6)
    images, labels = textures(96, 1)
    f = features(w, b, images)
    f = np.hstack([f, np.ones((len(f), 1))])
    theta = np.zeros((7, 3))
    for _ in range(2000):
        z = f @ theta
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        theta -= 0.5 * f.T @ p / len(labels)
    return w, b, theta[:6].T, theta[6]


def model():
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 8, 8])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])
    nodes, inits = [], []
    live = live_branch()
    dead = (np.zeros((4, 1, 3, 3)), np.zeros(4), rng.standard_normal((3, 4)),
            0.1 * rng.standard_normal(3))
    for branch, (w, b, fc_w, fc_b) in (("live", live), ("dead", dead)):
        nodes += [
            helper.make_node("Conv", ["image", f"{branch}.w", f"{branch}.b"], [f"{branch}.c"],
                             name=f"{branch}.conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", [f"{branch}.c"], [f"{branch}.r"], name=f"{branch}.relu"),
            helper.make_node("GlobalAveragePool", [f"{branch}.r"], [f"{branch}.p"],
                             name=f"{branch}.pool"),
            helper.make_node("Flatten", [f"{branch}.p"], [f"{branch}.f"], name=f"{branch}.flat",
                             axis=1),
            helper.make_node("Gemm", [f"{branch}.f", f"{branch}.fc.w", f"{branch}.fc.b"],
                             [f"{branch}.y"], name=f"{branch}.fc", transB=1),
        ]
        inits += [tensor(f"{branch}.w", w), tensor(f"{branch}.b", b),
                  tensor(f"{branch}.fc.w", fc_w), tensor(f"{branch}.fc.b", fc_b)]
    nodes.append(helper.make_node("Add", ["live.y", "dead.y"], ["logits"], name="add"))
    g = helper.make_graph(nodes, "two_branches", [x], [y], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                             producer_name="sp-lit")


def check(json_path, svg_path, ratios, metric):
    t = json.load(open(json_path))
    ratios = [float(r) for r in ratios.split(",")]
    assert t["metric"] == metric, t["metric"]
    assert t["ratios"] == ratios, t["ratios"]
    assert t["samples"] == 48, t["samples"]
    groups = {g["name"]: g for g in t["groups"]}
    assert sorted(groups) == ["dead.w", "live.w"], sorted(groups)
    base = t["baseline"]
    assert base == 0 if metric == "kl" else base > 0.8, base  # top-1 well above chance
    for g in t["groups"]:
        assert len(g["metric"]) == len(ratios) == len(g["loss"]) == len(g["dropped"])
        units = {"dead.w": 4, "live.w": 6}[g["name"]]
        assert g["units"] == units, g
        assert g["dropped"] == [min(int(r * units + 1e-9), units - 1) for r in ratios], g
        for r, m, loss in zip(ratios, g["metric"], g["loss"]):
            assert abs(loss - (m if metric == "kl" else base - m)) < 1e-6, g
            if r == 0:  # nothing pruned: the unpruned model's metric
                assert m == base, (g["name"], m, base)
    # All-zero channels: the outputs do not change at any ratio.
    assert all(m == base for m in groups["dead.w"]["metric"]), groups["dead.w"]
    # The live branch matters once half of it is gone.
    assert any(m != base for m in groups["live.w"]["metric"]), groups["live.w"]
    if metric == "kl":
        assert all(m > 1e-4 for r, m in zip(ratios, groups["live.w"]["metric"]) if r >= 0.5)

    # The plot: well-formed SVG, one <path> per group with one point per ratio,
    # a legend entry per group, no scripts.
    root = ET.parse(svg_path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg", root.tag
    assert not list(root.iter(ns + "script"))
    paths = list(root.iter(ns + "path"))
    assert len(paths) == len(t["groups"]), len(paths)
    for p in paths:
        # From the unpruned point at ratio 0 through one point per ratio.
        assert p.get("d").count("L") == len(ratios) - (ratios[0] == 0), p.get("d")
    texts = " ".join(x.text or "" for x in root.iter(ns + "text"))
    for name in groups:
        assert name in texts, name
    print("ok")


def channels(path):
    for t in onnx.load(path).graph.initializer:
        if len(t.dims) == 4:
            print(t.name, t.dims[0])


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "model":
        onnx.save(model(), sys.argv[2])
    elif what == "data":
        write_idx(sys.argv[2], "train", *textures(96, 1))
        write_idx(sys.argv[2], "t10k", *textures(48, 2))
    elif what == "pbdir":
        os.makedirs(sys.argv[2], exist_ok=True)
        images, labels = textures(48, 2)
        x = (images.astype(np.float32) / 255)[:, None]
        for name, array in (("input_0.pb", numpy_helper.from_array(x, "image")),
                            ("label_0.pb", numpy_helper.from_array(labels.astype(np.int64)))):
            with open(os.path.join(sys.argv[2], name), "wb") as f:
                f.write(array.SerializeToString())
    elif what == "same":
        a, b = (json.load(open(p)) for p in sys.argv[2:4])
        key = lambda t: (t["baseline"], [(g["id"], g["metric"]) for g in t["groups"]])
        print("same" if key(a) == key(b) else f"DIFFERENT {key(a)} {key(b)}")
    elif what == "check":
        check(*sys.argv[2:6])
    elif what == "channels":
        channels(sys.argv[2])
    else:
        sys.exit(f"sensitivity_fixture.py: unknown fixture {what!r}")
