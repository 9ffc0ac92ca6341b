#!/usr/bin/python3
"""Generate the large models used by the onnx-opt benchmarks (never committed).

    /usr/bin/python3 bench/gen_big_model.py OUTDIR [--huge] [--no-resnet]

OUTDIR/resnet50.onnx
    torchvision resnet50, random weights (seeded, nothing downloaded), exported with
    torch.onnx.export at opset 13, input "input" [batch, 3, 224, 224]; about 100 MB.
    The "real PyTorch model" for timing `info` and `optimize --passes none` against cp.

OUTDIR/huge.onnx + OUTDIR/huge.data            (only with --huge)
    Y = X + W0 + W1 + ... + W8, each W a float32 [8192, 8192] initializer of 256 MiB
    stored as external data in huge.data (2.25 GiB in total, past protobuf's 2 GiB
    limit).  The tensors are written in 16 MiB chunks, so the generator itself never
    holds a whole tensor in memory.  For the loading benchmark.

Needs python3-torch, python3-torchvision and python3-onnx (the Debian packages, so run
it with /usr/bin/python3).  Refuses to write inside the source tree.
"""

import argparse
import io
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

SEED = 20240601
CHUNK_BYTES = 16 << 20


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def inside(path, root):
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root + os.sep)


def report(path, t0):
    m = onnx.load(path, load_external_data=False)
    onnx.checker.check_model(path)
    size = os.path.getsize(path)
    ext = {}
    for t in m.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            for kv in t.external_data:
                if kv.key == "location":
                    ext[kv.value] = os.path.getsize(
                        os.path.join(os.path.dirname(path), kv.value))
    extra = "".join(f" +{k} {v} B" for k, v in sorted(ext.items()))
    opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in m.opset_import)
    print(f"{path}: {size} B{extra}  nodes={len(m.graph.node)}  "
          f"initializers={len(m.graph.initializer)}  opset={opsets}  "
          f"({time.time() - t0:.1f} s)", flush=True)


def gen_resnet50(outdir):
    import torch
    import torchvision

    t0 = time.time()
    torch.manual_seed(SEED)
    try:
        model = torchvision.models.resnet50(weights=None)
    except TypeError:           # torchvision before 0.13
        model = torchvision.models.resnet50(pretrained=False)
    model.eval()
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), buf,
                          opset_version=13, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    m = onnx.load_from_string(buf.getvalue())
    del buf
    for n in m.graph.node:          # drop source locations, if any
        n.doc_string = ""
    path = os.path.join(outdir, "resnet50.onnx")
    onnx.save_model(m, path)
    del m
    report(path, t0)


def gen_huge(outdir, count, rows, cols):
    t0 = time.time()
    data_name = "huge.data"
    row_bytes = cols * 4
    rows_per_chunk = max(1, CHUNK_BYTES // row_bytes)
    inits = []
    offset = 0
    with open(os.path.join(outdir, data_name), "wb") as f:
        for i in range(count):
            rng = np.random.default_rng(SEED + i)
            for r in range(0, rows, rows_per_chunk):
                n = min(rows_per_chunk, rows - r)
                chunk = rng.random((n, cols), dtype=np.float32)
                chunk *= 2.0
                chunk -= 1.0
                f.write(chunk.astype("<f4", copy=False).tobytes())
            length = rows * row_bytes
            t = TensorProto()
            t.name = f"W{i}"
            t.data_type = TensorProto.FLOAT
            t.dims.extend([rows, cols])
            t.data_location = TensorProto.EXTERNAL
            for k, v in (("location", data_name), ("offset", str(offset)),
                         ("length", str(length))):
                e = t.external_data.add()
                e.key, e.value = k, v
            inits.append(t)
            offset += length
    nodes = []
    prev = "X"
    for i in range(count):
        out = "Y" if i == count - 1 else f"s{i}"
        nodes.append(helper.make_node("Add", [prev, f"W{i}"], [out], name=f"add{i}"))
        prev = out
    graph = helper.make_graph(
        nodes, "huge",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [rows, cols])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [rows, cols])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="onnx-opt bench/gen_big_model.py")
    model.ir_version = 8
    path = os.path.join(outdir, "huge.onnx")
    onnx.save_model(model, path)
    report(path, t0)


def main():
    ap = argparse.ArgumentParser(description="Generate large benchmark models.")
    ap.add_argument("outdir", help="directory to write into (outside the source tree)")
    ap.add_argument("--huge", action="store_true",
                    help="also write huge.onnx + huge.data (2.25 GiB of external data)")
    ap.add_argument("--no-resnet", action="store_true", help="skip resnet50.onnx")
    ap.add_argument("--huge-count", type=int, default=9,
                    help="number of initializers in huge.onnx (default %(default)s)")
    ap.add_argument("--huge-rows", type=int, default=8192,
                    help="rows (and columns) of each initializer (default %(default)s,"
                         " i.e. 256 MiB of float32)")
    opts = ap.parse_args()
    if inside(opts.outdir, repo_root()):
        ap.error(f"{opts.outdir} is inside the source tree {repo_root()}; "
                 "generated models must not be committed")
    os.makedirs(opts.outdir, exist_ok=True)
    if not opts.no_resnet:
        gen_resnet50(opts.outdir)
    if opts.huge:
        gen_huge(opts.outdir, opts.huge_count, opts.huge_rows, opts.huge_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
