#!/usr/bin/python3
"""Compare `onnx-opt infer` with onnx.shape_inference.infer_shapes.

Usage: /usr/bin/python3 tools/compare_shapes.py [--onnx-opt PATH] [-v] MODEL_OR_DIR...

Directories are searched for *.onnx files. For every node output (in every graph,
subgraphs included) where onnx infers an element type and a shape, our type is
classed as:
  agree     same dtype, rank and dims (generated symbols unk__N match any symbol)
  refined   same dtype and rank; some dim onnx leaves symbolic is a number in ours
  less      same dtype and rank; some dim onnx knows is a symbol in ours
  missing   we infer no dtype or no shape
  disagree  dtype, rank or a dim value differ
and values that only we type are counted as ours_only. Needs python3-onnx (1.12).
"""
import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from multiprocessing import Pool

import onnx
from onnx import shape_inference

SHOW_REFINED = False
ONNX_OPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "onnx-opt")


def tensor_type(vi):
    t = vi.type
    if t.WhichOneof("value") != "tensor_type":
        return None
    tt = t.tensor_type
    if not tt.elem_type or not tt.HasField("shape"):
        return (tt.elem_type, None)
    dims = []
    for d in tt.shape.dim:
        w = d.WhichOneof("value")
        dims.append(d.dim_value if w == "dim_value" else d.dim_param if w == "dim_param" else None)
    return (tt.elem_type, dims)


def collect(graph, prefix, out):
    """Node outputs of graph and its subgraphs -> (elem, dims) or None."""
    infos = {}
    for vi in list(graph.value_info) + list(graph.output):
        infos.setdefault(vi.name, vi)
    for node in graph.node:
        for o in node.output:
            if o:
                vi = infos.get(o)
                out[prefix + o] = tensor_type(vi) if vi is not None else None
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                collect(a.g, prefix + (node.name or node.op_type) + "/" + a.name + "/", out)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for i, g in enumerate(a.graphs):
                    collect(g, prefix + (node.name or node.op_type) + "/" + a.name + str(i) + "/", out)


def classify(ref, ours):
    if ours is None or ours[1] is None or not ours[0]:
        return "missing"
    if ref[0] != ours[0] or len(ref[1]) != len(ours[1]):
        return "disagree"
    cls = "agree"
    for a, b in zip(ref[1], ours[1]):
        if isinstance(a, int):
            if isinstance(b, int):
                if a != b:
                    return "disagree"
            else:
                cls = "less"
        elif isinstance(a, str) and not a.startswith("unk__"):
            if isinstance(b, int):
                cls = "refined" if cls == "agree" else cls
            elif b != a:
                cls = "less"
        else:
            if isinstance(b, int) and cls == "agree":
                cls = "refined"
    return cls


def fmt(t):
    if t is None:
        return "-"
    e, dims = t
    name = onnx.TensorProto.DataType.Name(e) if e else "?"
    if dims is None:
        return name.lower()
    return "%s[%s]" % (name.lower(), ",".join("?" if d is None else str(d) for d in dims))


def run_one(args):
    path, tool = args
    res = {"path": path, "counts": Counter(), "diffs": [], "error": None}
    try:
        model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 -- any load failure is reported, not fatal
        res["error"] = "onnx cannot load: %s" % e
        return res
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=False)
    except Exception as e:  # noqa: BLE001
        res["error"] = "onnx inference failed: %s" % str(e).splitlines()[0]
        inferred = model
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.onnx")
        p = subprocess.run([tool, "infer", path, "-o", out], capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(out):
            res["counts"]["tool_failed"] += 1
            res["diffs"].append(("(run)", "exit %d: %s" % (p.returncode, p.stderr.strip()[:300])))
            return res
        ours_model = onnx.load(out, load_external_data=False)
        if p.stderr.strip():
            res["diags"] = p.stderr.strip().splitlines()[:5]
    ref, ours = {}, {}
    collect(inferred.graph, "", ref)
    collect(ours_model.graph, "", ours)
    for name, ot in ours.items():
        rt = ref.get(name)
        ours_full = ot is not None and ot[0] and ot[1] is not None
        ref_full = rt is not None and rt[0] and rt[1] is not None
        if ref_full:
            cls = classify(rt, ot)
            res["counts"][cls] += 1
            if cls not in ("agree", "refined") or (cls == "refined" and SHOW_REFINED):
                res["diffs"].append((name, "%s: onnx %s, ours %s" % (cls, fmt(rt), fmt(ot))))
        elif ours_full:
            res["counts"]["ours_only"] += 1
        else:
            res["counts"]["neither"] += 1
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--onnx-opt", default=ONNX_OPT)
    ap.add_argument("-v", "--verbose", action="store_true", help="list every disagreement")
    ap.add_argument("--refined", action="store_true", help="list values where ours is more specific")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    a = ap.parse_args()
    global SHOW_REFINED
    SHOW_REFINED = a.refined
    models = []
    for p in a.paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                models += [os.path.join(root, f) for f in files if f.endswith(".onnx")]
        else:
            models.append(p)
    models.sort()
    total = Counter()
    bad_models = 0
    with Pool(a.jobs) as pool:
        for res in pool.imap(run_one, [(m, a.onnx_opt) for m in models]):
            total.update(res["counts"])
            if res["error"]:
                total["onnx_errors"] += 1
                if a.verbose:
                    print("%s: %s" % (res["path"], res["error"]))
            if res["diffs"]:
                bad_models += 1
                print(res["path"])
                for name, why in res["diffs"][: None if a.verbose else 5]:
                    print("  %s  %s" % (name, why))
                if not a.verbose and len(res["diffs"]) > 5:
                    print("  ... %d more" % (len(res["diffs"]) - 5))
    compared = sum(total[k] for k in ("agree", "refined", "less", "missing", "disagree"))
    print()
    print("models                 %d (%d with differences, %d where onnx inference raised)"
          % (len(models), bad_models, total["onnx_errors"]))
    print("values onnx types      %d" % compared)
    for k in ("agree", "refined", "less", "missing", "disagree"):
        print("  %-20s %d" % (k, total[k]))
    if compared:
        print("agreement              %.2f%% (agree + refined)"
              % (100.0 * (total["agree"] + total["refined"]) / compared))
    print("values only we type    %d" % total["ours_only"])
    print("values nobody types    %d" % total["neither"])
    ours = total["agree"] + total["refined"] + total["less"] + total["disagree"] + total["ours_only"]
    print("values we type         %d  (onnx: %d)" % (ours, compared))
    if total["tool_failed"]:
        print("onnx-opt failed on     %d models" % total["tool_failed"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
