#!/usr/bin/python3
"""legalize_eval.py: how many models does `onnx-opt legalize` make fit a target?

For each target (default: tensorrt, openvino, opset:11, opset:13) and each model
set (the ONNX backend suite, the PyTorch exports in tests/models, examples and
/tmp/onnx-opt-zoo when it exists), count the models the audit finds unsupported
(at least one node) before, and after `onnx-opt legalize`; every model legalize
rewrote is compared with its original (`--check`, on the suite case's own inputs
from test_data_set_0, random inputs for the exports). Prints one table row per
(target, set):

    /usr/bin/python3 tools/legalize_eval.py [--onnx-opt ./onnx-opt] [--jobs 2]
        [--target T]... [--limit N] [--details FILE]

Columns: models; unsupported before; partial-only before; unsupported after;
rewritten (legalize changed the model); check pass / fail (fail means the check
ran and found a difference: no output is written); errors (exit 2: the check could
not run, e.g. an op our executor lacks, or a load error).
"""

import argparse
import concurrent.futures as cf
import glob
import json
import os
import subprocess
import sys
import tempfile

SUITE = "/usr/share/libonnx-testdata/data"
ZOO = "/tmp/onnx-opt-zoo"


def suite_models():
    return sorted(glob.glob(os.path.join(SUITE, "*", "*", "model.onnx")))


def export_models(top):
    out = sorted(glob.glob(os.path.join(top, "tests", "models", "*.onnx")))
    out += sorted(glob.glob(os.path.join(top, "examples", "*.onnx")))
    if os.path.isdir(ZOO) and not os.path.exists(ZOO + ".lock"):
        out += sorted(glob.glob(os.path.join(ZOO, "*.onnx")))
    return out


def inputs_of(model):
    d = os.path.join(os.path.dirname(model), "test_data_set_0")
    files = glob.glob(os.path.join(d, "input_*.pb"))
    files.sort(key=lambda p: int(os.path.basename(p)[6:-3]))
    return files


def one(exe, model, target, tmp):
    base = os.path.join(tmp, "%d" % abs(hash((model, target))))
    a = subprocess.run([exe, "audit", "--target", target, "--format", "json",
                        "--fail-on", "partial", model], capture_output=True, text=True)
    res = {"model": model, "target": target, "before": "supported"}
    if a.returncode == 2:
        res["before"] = "error"
        return res
    if a.returncode == 0:
        return res
    try:
        doc = json.loads(a.stdout)
        s = doc["models"][0]["summary"][target]
        res["before"] = "unsupported" if s["unsupported"] else "partial"
    except (ValueError, KeyError, IndexError):
        res["before"] = "error"
        return res
    cmd = [exe, "legalize", model, "--target", target, "-o", base + ".onnx",
           "-r", base + ".json", "--allow-partial", "-q"]
    for f in inputs_of(model):
        cmd += ["-i", f]
    p = subprocess.run(cmd, capture_output=True, text=True)
    res["rc"] = p.returncode
    res["stderr"] = p.stderr.strip().splitlines()[-1:] if p.stderr.strip() else []
    if os.path.exists(base + ".json"):
        with open(base + ".json") as f:
            rep = json.load(f)
        res["after_unsupported"] = rep["after"]["unsupported"]
        res["after_partial"] = rep["after"]["partial"]
        res["rewrites"] = len(rep["rewrites"])
        res["check"] = None if rep["check"] is None else rep["check"]["pass"]
        res["left"] = sorted({u["op"] for u in rep["unsupported"] if u["verdict"] == "unsupported"})
        os.unlink(base + ".json")
    if os.path.exists(base + ".onnx"):
        os.unlink(base + ".onnx")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--onnx-opt", default="./onnx-opt")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--target", action="append")
    ap.add_argument("--limit", type=int, default=0, help="only the first N models per set")
    ap.add_argument("--details", help="write every result as JSON lines")
    args = ap.parse_args()
    targets = args.target or ["tensorrt", "openvino", "opset:11", "opset:13"]
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sets = [("suite", suite_models()), ("pytorch", export_models(top))]
    if args.limit:
        sets = [(n, m[:args.limit]) for n, m in sets]
    results = []
    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor(args.jobs) as ex:
        futs = [(name, ex.submit(one, args.onnx_opt, m, t, tmp))
                for t in targets for name, models in sets for m in models]
        for name, f in futs:
            r = f.result()
            r["set"] = name
            results.append(r)
    if args.details:
        with open(args.details, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")
    print("%-9s %-8s %6s %8s %8s %8s %9s %6s %6s %6s" % (
        "target", "set", "models", "unsup", "partial", "unsup", "rewritten", "check", "check", "errors"))
    print("%-9s %-8s %6s %8s %8s %8s %9s %6s %6s %6s" % (
        "", "", "", "before", "before", "after", "", "pass", "fail", ""))
    for t in targets:
        for name, models in sets:
            rs = [r for r in results if r["target"] == t and r["set"] == name]
            ub = sum(r["before"] == "unsupported" for r in rs)
            pb = sum(r["before"] == "partial" for r in rs)
            # Still unsupported: nodes left, or no result we can trust (the check
            # failed or could not run).
            ua = sum(r["before"] == "unsupported" and
                     (r.get("rc") == 2 or r.get("after_unsupported", 1) > 0 or
                      r.get("check") is False) for r in rs)
            rw = sum(r.get("rewrites", 0) > 0 for r in rs)
            cp = sum(r.get("check") is True for r in rs)
            cfail = sum(r.get("check") is False for r in rs)
            err = sum(r.get("rc") == 2 or r["before"] == "error" for r in rs)
            print("%-9s %-8s %6d %8d %8d %8d %9d %6d %6d %6d" % (
                t, name, len(rs), ub, pb, ua, rw, cp, cfail, err))


if __name__ == "__main__":
    sys.exit(main())
