#!/usr/bin/python3
"""Write the models and data that `onnx-opt check` is tested on, into tests/models/check/.

base.onnx      a small residual CNN: conv1 -> relu1 -> conv2 -> relu2 -> add -> gap ->
               flatten -> fc, fixed input 1x3x8x8, weights from a fixed numpy seed
w1001.onnx     the same with conv2's weight scaled by 1.001 (one weight perturbed)
broken.onnx    the same with relu2 turned into a Sigmoid (node name kept): a
               deliberately broken model whose first wrong value is relu2's output
renamed.onnx   the same with the input and output renamed (for --by-position)
data/          input_0.pb and output_0.pb of base.onnx, the output computed here with
               numpy in float64 (an evaluator independent of onnx-opt), in the layout
               of the ONNX test data sets

Run from the repository root: /usr/bin/python3 tools/make_check_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join("tests", "models", "check")


def weights():
    rng = np.random.default_rng(20240509)
    f = lambda *s: (rng.standard_normal(s) * 0.3).astype(np.float32)
    return {
        "conv1.weight": f(8, 3, 3, 3), "conv1.bias": f(8),
        "conv2.weight": f(8, 8, 3, 3), "conv2.bias": f(8),
        "fc.weight": f(4, 8), "fc.bias": f(4),
    }


def build(w, relu2="Relu", inp="x", out="y"):
    nodes = [
        helper.make_node("Conv", [inp, "conv1.weight", "conv1.bias"], ["conv1_out"], name="conv1",
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1_out"], ["relu1_out"], name="relu1"),
        helper.make_node("Conv", ["relu1_out", "conv2.weight", "conv2.bias"], ["conv2_out"], name="conv2",
                         pads=[1, 1, 1, 1]),
        helper.make_node(relu2, ["conv2_out"], ["relu2_out"], name="relu2"),
        helper.make_node("Add", ["relu1_out", "relu2_out"], ["add_out"], name="add"),
        helper.make_node("GlobalAveragePool", ["add_out"], ["gap_out"], name="gap"),
        helper.make_node("Flatten", ["gap_out"], ["flat_out"], name="flatten"),
        helper.make_node("Gemm", ["flat_out", "fc.weight", "fc.bias"], [out], name="fc", transB=1),
    ]
    g = helper.make_graph(
        nodes, "check_base",
        [helper.make_tensor_value_info(inp, TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 4])],
        [numpy_helper.from_array(v, k) for k, v in w.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_check_models.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def conv(x, w, b):
    """3x3 convolution, stride 1, pad 1, NCHW, in float64."""
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.zeros((n, w.shape[0], h, wd))
    for i in range(3):
        for j in range(3):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j])
    return y + b[None, :, None, None]


def reference(w, x):
    d = {k: v.astype(np.float64) for k, v in w.items()}
    r1 = np.maximum(conv(x.astype(np.float64), d["conv1.weight"], d["conv1.bias"]), 0)
    r2 = np.maximum(conv(r1, d["conv2.weight"], d["conv2.bias"]), 0)
    g = (r1 + r2).mean(axis=(2, 3))
    return (g @ d["fc.weight"].T + d["fc.bias"]).astype(np.float32)


def main():
    os.makedirs(os.path.join(OUT, "data"), exist_ok=True)
    w = weights()
    onnx.save(build(w), os.path.join(OUT, "base.onnx"))
    p = dict(w)
    p["conv2.weight"] = (w["conv2.weight"] * np.float32(1.001)).astype(np.float32)
    onnx.save(build(p), os.path.join(OUT, "w1001.onnx"))
    onnx.save(build(w, relu2="Sigmoid"), os.path.join(OUT, "broken.onnx"))
    onnx.save(build(w, inp="image", out="scores"), os.path.join(OUT, "renamed.onnx"))
    x = np.random.default_rng(7).uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
    for name, arr, tname in (("input_0.pb", x, "x"), ("output_0.pb", reference(w, x), "y")):
        with open(os.path.join(OUT, "data", name), "wb") as f:
            f.write(numpy_helper.from_array(arr, tname).SerializeToString())


if __name__ == "__main__":
    main()
