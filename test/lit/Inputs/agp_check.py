#!/usr/bin/python3
"""Checks of the sp-iterative-prune lit test.

  agp_check.py masks ORIG.onnx M.onnx   per sp.masks entry of M: its tensor, axis, masked
                                        indices, whether every masked element is +0.0 and
                                        whether the unmasked elements differ from ORIG's;
                                        'masks: none' when M has no sp.masks metadata
  agp_check.py shapes M.onnx            'NAME d0xd1...' per initializer
  agp_check.py model_sigmoid OUT.onnx   finetune_fixture.py's model with Sigmoid for Relu:
                                        a masked channel then outputs sigmoid(0) = 0.5,
                                        so the next layer's weights on it get gradients
                                        (after a Relu every masked weight's gradient is 0)
"""
import json
import sys

import os

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import finetune_fixture  # noqa: E402


def masks(orig_path, path):
    m = onnx.load(path)
    orig = {t.name: numpy_helper.to_array(t) for t in onnx.load(orig_path).graph.initializer}
    value = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    entry = [p.value for p in m.metadata_props if p.key == "sp.masks"]
    if not entry:
        print("masks: none")
        return
    for e in json.loads(entry[0])["masks"]:
        w = np.moveaxis(value[e["tensor"]], e["axis"], 0)
        o = np.moveaxis(orig[e["tensor"]], e["axis"], 0)
        idx = [i for a, b in e["zeroed"] for i in range(a, b)]
        kept = [i for i in range(w.shape[0]) if i not in idx]
        zero = all(np.all((w[i] == 0) & ~np.signbit(w[i])) for i in idx)
        changed = any(not np.array_equal(w[i], o[i]) for i in kept)
        print(f"{e['tensor']} axis {e['axis']}: {len(idx)} masked, "
              f"{'zero' if zero else 'NOT ZERO'}, kept {'changed' if changed else 'SAME'}")


def shapes(path):
    for t in onnx.load(path).graph.initializer:
        print(t.name + " " + "x".join(str(d) for d in t.dims))


def model_sigmoid(path):
    m = finetune_fixture.model()
    for n in m.graph.node:
        if n.op_type == "Relu":
            n.op_type, n.name = "Sigmoid", "sigmoid"
    onnx.checker.check_model(m)
    onnx.save(m, path)


if __name__ == "__main__":
    if sys.argv[1] == "model_sigmoid":
        model_sigmoid(sys.argv[2])
    elif sys.argv[1] == "masks":
        masks(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "shapes":
        shapes(sys.argv[2])
    else:
        sys.exit(f"agp_check.py: unknown check {sys.argv[1]!r}")
