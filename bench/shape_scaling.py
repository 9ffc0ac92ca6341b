#!/usr/bin/python3
"""Time `onnx-opt infer` and `onnx-opt optimize` on generated chain models of growing size.

Usage: /usr/bin/python3 bench/shape_scaling.py [--onnx-opt PATH] [--out DIR] [N ...]

Each model is a chain of N nodes on x: float[batch,64]: a repeating block of
Add (with a [64] initializer), Relu, Shape->Gather->Unsqueeze->Concat->Reshape (the
PyTorch shape idiom, so known-value propagation is timed too) and MatMul with a
[64,64] weight shared by all blocks. Defaults: 10000 and 100000 nodes. Models go to
--out (a temporary directory by default), never into the source tree.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BLOCK = 8  # nodes per block below


def build(n_nodes):
    nodes, inits = [], []
    inits.append(numpy_helper.from_array(np.zeros(64, np.float32), "bias"))
    inits.append(numpy_helper.from_array(np.eye(64, dtype=np.float32), "w"))
    inits.append(numpy_helper.from_array(np.array(0, np.int64), "zero"))
    inits.append(numpy_helper.from_array(np.array([0], np.int64), "axes0"))
    inits.append(numpy_helper.from_array(np.array([-1], np.int64), "minus1"))
    cur = "x"
    for b in range(n_nodes // BLOCK):
        p = "b%d_" % b
        nodes += [
            helper.make_node("Add", [cur, "bias"], [p + "add"]),
            helper.make_node("Relu", [p + "add"], [p + "relu"]),
            helper.make_node("Shape", [p + "relu"], [p + "shape"]),
            helper.make_node("Gather", [p + "shape", "zero"], [p + "n"], axis=0),
            helper.make_node("Unsqueeze", [p + "n", "axes0"], [p + "n1"]),
            helper.make_node("Concat", [p + "n1", "minus1"], [p + "target"], axis=0),
            helper.make_node("Reshape", [p + "relu", p + "target"], [p + "r"]),
            helper.make_node("MatMul", [p + "r", "w"], [p + "mm"]),
        ]
        cur = p + "mm"
    nodes.append(helper.make_node("Identity", [cur], ["y"]))
    g = helper.make_graph(nodes, "chain",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[10000, 100000])
    ap.add_argument("--onnx-opt", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "..", "onnx-opt"))
    ap.add_argument("--out")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="onnx-opt-shape-")
    os.makedirs(out, exist_ok=True)
    print("%10s %10s %14s %14s %12s %14s %12s %14s" % ("nodes", "value_info", "inference ms",
                                                      "us per node", "infer cmd s", "load+save s",
                                                      "optimize s", "opt us/node"))
    for n in a.sizes:
        path = os.path.join(out, "chain_%d.onnx" % n)
        if not os.path.exists(path):
            onnx.save(build(n), path)
        nn = len(onnx.load(path).graph.node)
        res = os.path.join(out, "chain_%d.inferred.onnx" % n)
        best_inf = best_io = best_ms = best_opt = None
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            p = subprocess.run([a.onnx_opt, "infer", "--time", path, "-o", res], check=True,
                               capture_output=True, text=True)
            t1 = time.perf_counter()
            ms = float(p.stderr.split(" in ")[1].split(" ms")[0])
            best_ms = min(best_ms or 1e9, ms)
            # the same load and save with no inference: what infer costs on top of I/O
            subprocess.run([a.onnx_opt, "optimize", "--passes", "none", path, "-o", res + ".noinf"],
                           check=True, stdout=subprocess.DEVNULL)
            t2 = time.perf_counter()
            # the default pass pipeline, to a fixed point (load and save included)
            subprocess.run([a.onnx_opt, "--quiet", "optimize", path, "-o", res + ".opt"],
                           check=True, stdout=subprocess.DEVNULL)
            t3 = time.perf_counter()
            best_inf = min(best_inf or 1e9, t1 - t0)
            best_io = min(best_io or 1e9, t2 - t1)
            best_opt = min(best_opt or 1e9, t3 - t2)
        vi = len(onnx.load(res).graph.value_info)
        print("%10d %10d %14.1f %14.2f %12.3f %14.3f %12.3f %14.2f" % (
            nn, vi, best_ms, 1e3 * best_ms / nn, best_inf, best_io, best_opt, 1e6 * best_opt / nn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
