#!/usr/bin/python3
"""The largest activation working set of a model, for the executor's memory target.

    /usr/bin/python3 bench/activation_peak.py MODEL.onnx [--shape NAME=1x3x224x224]... [--json]

Walks the graph's nodes in file order (exporters write them topologically, as the
executor runs them), with shapes from onnx.shape_inference after the dynamic input
dims are fixed (--shape, otherwise 1). While a node runs, its inputs and outputs
and every earlier value still to be read later are live; a value dies after its
last reader, as in src/exec.c. Initializers are not counted (they are the model
size); graph inputs and outputs are. Prints the peak in bytes, the node where it
happens and the largest single tensor. Values whose shape inference leaves unknown
are counted as 0 and listed, so a too-small figure says so.

Needs python3-onnx (1.12): run it with /usr/bin/python3.
"""

import argparse
import json
import sys

import onnx
from onnx import shape_inference

ELEM_BYTES = {
    onnx.TensorProto.FLOAT: 4, onnx.TensorProto.DOUBLE: 8, onnx.TensorProto.FLOAT16: 2,
    onnx.TensorProto.BFLOAT16: 2, onnx.TensorProto.INT8: 1, onnx.TensorProto.UINT8: 1,
    onnx.TensorProto.INT16: 2, onnx.TensorProto.UINT16: 2, onnx.TensorProto.INT32: 4,
    onnx.TensorProto.UINT32: 4, onnx.TensorProto.INT64: 8, onnx.TensorProto.UINT64: 8,
    onnx.TensorProto.BOOL: 1,
}


def parse_shapes(specs):
    shapes = {}
    for spec in specs:
        name, _, dims = spec.partition("=")
        shapes[name] = [int(d) for d in dims.split("x")]
    return shapes


def fix_inputs(model, shapes):
    inits = {t.name for t in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        dims = inp.type.tensor_type.shape.dim
        want = shapes.get(inp.name)
        for i, d in enumerate(dims):
            value = want[i] if want else (d.dim_value if d.HasField("dim_value") else 1)
            d.Clear()
            d.dim_value = value


def value_bytes(vi):
    tt = vi.type.tensor_type
    if tt.elem_type not in ELEM_BYTES:
        return None
    n = 1
    for d in tt.shape.dim:
        if not d.HasField("dim_value"):
            return None
        n *= d.dim_value
    return n * ELEM_BYTES[tt.elem_type]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--shape", action="append", default=[])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    model = onnx.load(args.model, load_external_data=False)
    fix_inputs(model, parse_shapes(args.shape))
    model = shape_inference.infer_shapes(model)
    g = model.graph
    inits = {t.name for t in g.initializer}
    sizes, unknown = {}, []
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        if vi.name in inits:
            continue
        b = value_bytes(vi)
        if b is None:
            unknown.append(vi.name)
        sizes[vi.name] = b or 0

    outputs = {o.name for o in g.output}
    last = {}
    for i, node in enumerate(g.node):
        for name in node.input:
            if name:
                last[name] = i
    live = {inp.name for inp in g.input if inp.name not in inits}
    peak, peak_at, biggest = 0, None, (0, None)
    for i, node in enumerate(g.node):
        for name in node.output:
            if name:
                live.add(name)
        total = sum(sizes.get(v, 0) for v in live)
        if total > peak:
            peak, peak_at = total, f"{node.op_type} {node.name or '#%d' % i}"
        for v in live:
            if sizes.get(v, 0) > biggest[0]:
                biggest = (sizes[v], v)
        for name in set(node.input) | set(node.output):
            if name in live and name not in outputs and last.get(name, -1) <= i:
                live.discard(name)

    res = {"model": args.model, "peak_bytes": peak, "peak_at": peak_at,
           "largest_tensor_bytes": biggest[0], "largest_tensor": biggest[1],
           "unknown_shapes": len(unknown)}
    if args.json:
        print(json.dumps(res))
    else:
        print(f"{args.model}: largest activation working set {peak} bytes "
              f"({peak / 2**20:.1f} MiB) at {peak_at}; largest tensor {biggest[1]} "
              f"{biggest[0]} bytes; {len(unknown)} values of unknown shape")
        if unknown:
            print("  unknown: " + ", ".join(unknown[:10]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
