#!/usr/bin/python3
"""Prints every BatchNormalization's running mean and variance of an ONNX
model, one line per node in graph order: bn_stats.py MODEL.onnx
  NAME mean M0 M1 ... var V0 V1 ...   (float32 values, %.9g)"""
import sys

import onnx
from onnx import numpy_helper

model = onnx.load(sys.argv[1])
inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
for node in model.graph.node:
    if node.op_type == "BatchNormalization":
        mean, var = inits[node.input[3]], inits[node.input[4]]
        print(f"{node.name} mean {' '.join(f'{v:.9g}' for v in mean)}"
              f" var {' '.join(f'{v:.9g}' for v in var)}")
