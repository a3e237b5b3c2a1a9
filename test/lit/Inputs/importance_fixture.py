#!/usr/bin/python3
"""Fixtures of the gradient-criteria lit test (importance-gradients.test).

  importance_fixture.py mlp OUT.onnx       x (batch, 2) -> fc1 (3) -> Relu -> fc2 (2 classes)
  importance_fixture.py cal DIR            input_0.pb (4, 2) + label_0.pb, input_1.pb (2, 2) + label_1.pb
  importance_fixture.py cal_inputs DIR     the same inputs without label files
  importance_fixture.py expected BATCH [pseudo]
                                           taylor-weight, fisher, hessian-diag and taylor scores
                                           of fc1's 3 units by PyTorch autograd (what the test's
                                           CHECK lines hold); pseudo: against the arg-max of the
                                           MLP's own logits instead of the labels
  importance_fixture.py convbn OUT.onnx    conv (4) -> BN -> Relu -> GAP -> fc (3 classes)
  importance_fixture.py convbn_cal DIR     its 6 labelled (2, 5, 5) samples, as 3 + 3
  importance_fixture.py convbn_expected BATCH  its taylor scores by PyTorch autograd
  importance_fixture.py act_cal DIR        test_data_set_0/1 of one (1, 2, 4, 4) input each for importance-criteria.mlir's @main
  importance_fixture.py act_expected       its activation and apoz scores by numpy
  importance_fixture.py heads_cal DIR      one (1, 5, 6) input for importance-criteria-heads.mlir
  importance_fixture.py heads_expected     its activation scores per head by numpy
  importance_fixture.py idx_as_pb IDXDIR N MEAN STD OUT
                                           the first N train-* IDX images as (p/255-mean)/std
                                           in OUT/input_0.pb with OUT/label_0.pb
"""
import gzip
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W1 = np.array([[1.0, -2.0], [0.5, 1.5], [-1.0, 0.25]], np.float32)
B1 = np.array([0.5, -0.25, 1.0], np.float32)
W2 = np.array([[2.0, -1.0, 0.5], [-1.5, 1.0, 2.0]], np.float32)
B2 = np.array([0.1, -0.1], np.float32)
X = np.array([[1.0, 0.5], [-0.5, 2.0], [2.0, -1.0], [0.25, 0.75], [-1.0, -1.5], [1.5, 1.0]],
             np.float32)
LABELS = np.array([0, 1, 1, 0, 1, 0], np.int64)


def mlp():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])
    nodes = [helper.make_node("Gemm", ["x", "fc1.w", "fc1.b"], ["h"], name="fc1", transB=1),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Gemm", ["r", "fc2.w", "fc2.b"], ["logits"], name="fc2", transB=1)]
    inits = [numpy_helper.from_array(a, n) for n, a in
             [("fc1.w", W1), ("fc1.b", B1), ("fc2.w", W2), ("fc2.b", B2)]]
    g = helper.make_graph(nodes, "mlp", [x], [y], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="sp-lit")


def write(path, array, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def expected(batch, pseudo):
    import torch
    w1, b1, w2, b2 = (torch.tensor(a, dtype=torch.float64, requires_grad=True)
                      for a in (W1, B1, W2, B2))
    params = [w1, b1, w2, b2]
    Y = LABELS
    if pseudo:  # the model's own most likely class, as labels=model takes
        x = torch.tensor(X, dtype=torch.float64)
        Y = (torch.relu(x @ w1.T + b1) @ w2.T + b2).argmax(1).numpy()
        print("pseudo-labels", Y.tolist(), "data labels", LABELS.tolist())
    # hessian-diag: the empirical Fisher from every sample's own gradient
    g2_each = [torch.zeros_like(p) for p in params]
    for n in range(len(X)):
        x = torch.tensor(X[n:n + 1], dtype=torch.float64)
        logits = torch.relu(x @ w1.T + b1) @ w2.T + b2
        grads = torch.autograd.grad(
            torch.nn.functional.cross_entropy(logits, torch.tensor(Y[n:n + 1])), params)
        for i, g in enumerate(grads):
            g2_each[i] += g * g
    hessian = [0.5 * p * p * g2 / len(X) for p, g2 in zip(params, g2_each)]
    g_sum = [torch.zeros_like(p) for p in params]
    g2_sum = [torch.zeros_like(p) for p in params]
    batches = 0
    for first in range(0, len(X), batch):
        x = torch.tensor(X[first:first + batch], dtype=torch.float64)
        y = torch.tensor(Y[first:first + batch])
        logits = torch.relu(x @ w1.T + b1) @ w2.T + b2
        grads = torch.autograd.grad(torch.nn.functional.cross_entropy(logits, y), params)
        for i, g in enumerate(grads):
            g_sum[i] += g
            g2_sum[i] += g * g
        batches += 1
    for name, sal in [("taylor-weight", [(p * g / batches).abs() for p, g in zip(params, g_sum)]),
                      ("fisher", [0.5 * p * p * g2 / batches for p, g2 in zip(params, g2_sum)]),
                      ("hessian-diag", hessian)]:
        s1, sb, s2 = sal[0].detach(), sal[1].detach(), sal[2].detach()
        # unit u: fc1.w row u, fc1.b[u], fc2.w column u; mean over the three slices
        score = (s1.sum(1) + sb + s2.sum(0)) / 3
        print(name, " ".join("%.6g" % v for v in score.tolist()))
    # taylor: |sum over the batch of h * dL/dh| per unit of fc1's output h,
    # the activation gradient itself (retain_grad), mean over batches
    taylor = torch.zeros(3, dtype=torch.float64)
    for first in range(0, len(X), batch):
        x = torch.tensor(X[first:first + batch], dtype=torch.float64)
        y = torch.tensor(Y[first:first + batch])
        h = x @ w1.T + b1
        h.retain_grad()
        torch.nn.functional.cross_entropy(torch.relu(h) @ w2.T + b2, y).backward()
        taylor += (h * h.grad).sum(0).abs().detach()
    print("taylor", " ".join("%.6g" % v for v in (taylor / batches).tolist()))


# convbn: x (batch, 2, 5, 5) -> conv (4 ch, 3x3, pad 1, bias) -> BN (training
# statistics) -> Relu -> GlobalAveragePool -> Flatten -> fc (3 classes)
CW = (np.arange(72, dtype=np.float32).reshape(4, 2, 3, 3) % 7 - 3) / np.float32(4)
CB = np.array([0.1, -0.2, 0.3, 0.0], np.float32)
GAMMA = np.array([1.0, -0.5, 2.0, 0.25], np.float32)
BETA = np.array([0.2, 0.1, -0.3, 0.5], np.float32)
FW = (np.arange(12, dtype=np.float32).reshape(3, 4) % 5 - 2) / np.float32(2)
FB = np.array([0.0, 0.1, -0.1], np.float32)
CX = (np.arange(6 * 50, dtype=np.float32).reshape(6, 2, 5, 5) * np.float32(0.37) % 3 - 1.5)
CY = np.array([0, 1, 2, 2, 1, 0], np.int64)


def convbn():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, 5, 5])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])
    nodes = [helper.make_node("Conv", ["x", "conv.w", "conv.b"], ["c"], name="conv",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "bn.g", "bn.b", "bn.m", "bn.v"], ["n"],
                              name="bn"),
             helper.make_node("Relu", ["n"], ["r"], name="relu"),
             helper.make_node("GlobalAveragePool", ["r"], ["p"], name="gap"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc", transB=1)]
    inits = [numpy_helper.from_array(a, n) for n, a in
             [("conv.w", CW), ("conv.b", CB), ("bn.g", GAMMA), ("bn.b", BETA),
              ("bn.m", np.zeros(4, np.float32)), ("bn.v", np.ones(4, np.float32)),
              ("fc.w", FW), ("fc.b", FB)]]
    g = helper.make_graph(nodes, "convbn", [x], [y], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="sp-lit")


def convbn_expected(batch):
    import torch
    t = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)
    taylor = torch.zeros(4, dtype=torch.float64)
    batches = 0
    for first in range(0, len(CX), batch):
        x, y = t(CX[first:first + batch]), torch.tensor(CY[first:first + batch])
        c = torch.nn.functional.conv2d(x, t(CW), t(CB), padding=1)
        n = torch.nn.functional.batch_norm(c, None, None, t(GAMMA), t(BETA), training=True)
        n.retain_grad()
        logits = torch.relu(n).mean((2, 3)) @ t(FW).T + t(FB)
        torch.nn.functional.cross_entropy(logits, y).backward()
        taylor += (n * n.grad).sum((0, 2, 3)).abs().detach()
        batches += 1
    print("taylor", " ".join("%.6g" % v for v in (taylor / batches).tolist()))


ACT = np.array([[[[1, -2, 0.5, 3], [0, 1, -1, 2], [2, 2, -3, 0.25], [-1, 0, 1, 1]],
                 [[0.5, 1, -1, 0], [2, -0.5, 1, 1], [0, 0, 1, -2], [1.5, -1, 0, 2]]]], np.float32)


def act_inputs():
    return [ACT, ACT[:, ::-1] * np.float32(-0.5)]


def act_expected():
    w1 = np.array([[3, 4], [1, 0], [-2, 2]], np.float64)
    gamma = np.array([0.5, -2, 1])
    w2 = np.array([[1, 2, 2], [0, 3, 4]], np.float64)
    r1s, r2s = [], []
    for x in act_inputs():
        x = x.astype(np.float64)[0].reshape(2, -1)
        c1 = w1 @ x
        r1 = np.maximum(gamma[:, None] * c1 / np.sqrt(1 + 1e-5), 0)
        r2 = np.maximum(w2 @ r1, 0)
        r1s.append(r1)
        r2s.append(r2)
    r1, r2 = np.concatenate(r1s, 1), np.concatenate(r2s, 1)
    print("activation", np.abs(r1).mean(1), np.abs(r2).mean(1))
    print("apoz", 1 - (r1 == 0).mean(1), 1 - (r2 == 0).mean(1))


def heads_weights():
    # the weights of importance-criteria-heads.mlir (its dense<> literals)
    rng = np.random.default_rng(0)
    return [rng.integers(-2, 3, (6, 6)).astype(np.float32) for _ in range(4)]


HX = (np.arange(30, dtype=np.float32).reshape(1, 5, 6) % 7 - 3) / np.float32(2)


def heads_expected():
    wq, wk, wv, _ = heads_weights()
    per = [np.abs(HX[0] @ w).reshape(5, 3, 2).mean((0, 2)) for w in (wq, wk, wv)]
    print("activation", sum(per) / 3)


def main():
    what = sys.argv[1]
    if what == "mlp":
        onnx.save(mlp(), sys.argv[2])
    elif what == "cal":
        d = sys.argv[2]
        os.makedirs(d, exist_ok=True)
        write(f"{d}/input_0.pb", X[:4], "x")
        write(f"{d}/label_0.pb", LABELS[:4], "y")
        write(f"{d}/input_1.pb", X[4:], "x")
        write(f"{d}/label_1.pb", LABELS[4:], "y")
    elif what == "cal_inputs":
        d = sys.argv[2]
        os.makedirs(d, exist_ok=True)
        write(f"{d}/input_0.pb", X[:4], "x")
        write(f"{d}/input_1.pb", X[4:], "x")
    elif what == "act_cal":
        d = sys.argv[2]
        os.makedirs(d, exist_ok=True)
        for i, x in enumerate(act_inputs()):
            os.makedirs(f"{d}/test_data_set_{i}", exist_ok=True)
            write(f"{d}/test_data_set_{i}/input_0.pb", np.ascontiguousarray(x), "x")
    elif what == "heads_cal":
        os.makedirs(sys.argv[2], exist_ok=True)
        write(f"{sys.argv[2]}/input_0.pb", HX, "x")
    elif what == "heads_expected":
        heads_expected()
    elif what == "act_expected":
        act_expected()
    elif what == "convbn":
        onnx.save(convbn(), sys.argv[2])
    elif what == "convbn_cal":
        d = sys.argv[2]
        os.makedirs(d, exist_ok=True)
        write(f"{d}/input_0.pb", CX[:3], "x")
        write(f"{d}/label_0.pb", CY[:3], "y")
        write(f"{d}/input_1.pb", CX[3:], "x")
        write(f"{d}/label_1.pb", CY[3:], "y")
    elif what == "convbn_expected":
        convbn_expected(int(sys.argv[2]))
    elif what == "expected":
        expected(int(sys.argv[2]), len(sys.argv) > 3 and sys.argv[3] == "pseudo")
    elif what == "idx_as_pb":
        src, n, mean, std, out = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
        raw = gzip.open(f"{src}/train-images-idx3-ubyte.gz").read()
        rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
        x = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 1, rows, cols)[:n]
        lab = np.frombuffer(gzip.open(f"{src}/train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)[:n]
        os.makedirs(out, exist_ok=True)
        write(f"{out}/input_0.pb", ((x / np.float32(255) - np.float32(mean)) / np.float32(std)).astype(np.float32), "image")
        write(f"{out}/label_0.pb", lab.astype(np.int64), "label")
    else:
        sys.exit(f"unknown fixture {what}")


if __name__ == "__main__":
    main()
