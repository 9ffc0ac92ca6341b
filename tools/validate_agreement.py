#!/usr/bin/python3
"""Compare `onnx-opt validate --full` with onnx.checker.check_model(full_check=True).

Runs both on every model of the ONNX backend suite (libonnx-testdata), the repo's
examples/*.onnx and tests/models/*.onnx, and tests/invalid/*.onnx; prints a table of
verdicts (valid / not valid) per set and every disagreement with both messages and,
where the rule is one where onnx-opt differs on purpose (docs/validate.md), why.

Usage: /usr/bin/python3 tools/validate_agreement.py [--onnx-opt PATH] [--jobs N]
           [--exports MODEL...] [MODEL...]
  --exports adds a set of further models (e.g. PyTorch exports kept outside the repo);
  MODEL... replaces the default sets with the given models.
Exit status 0 when every disagreement is an explained one, 1 otherwise.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
import onnx  # noqa: E402
import onnx.checker  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = "/usr/share/libonnx-testdata/data"

# Rules where onnx-opt differs from onnx 1.12's checker on purpose, by our code name.
# The key is the first error code onnx-opt reports for the model.
EXPLAINED = {
    "undefined-value": "a graph output (or node input) names a value nothing defines; onnx 1.12's "
                       "checker does not look at graph outputs, but no runtime can produce them",
    "tensor-data-size": "tensor data does not match its shape and dtype; onnx 1.12's checker counts "
                        "fields, not bytes, so raw_data of the wrong length passes it",
    "opset-version-invalid": "the opset version is one no ONNX release defines; onnx 1.12 resolves "
                             "ops at the newest schema instead of refusing",
    "ir-version-unknown": "IR versions 9-13 are defined by onnx 1.14-1.20; 1.12 refuses anything "
                          "newer than 8, onnx-opt knows them",
    "dtype-unknown": "element type newer than the IR version the model declares",
}
# Models the python checker refuses where onnx-opt's verdict "valid" is deliberate, by
# the checker's message.
EXPLAINED_PY = {
    "No opset import for domain 'ai.onnx'": "'ai.onnx' and '' both name ONNX's default domain "
                                           "(IR spec; accepted by onnx >= 1.13 and ONNX Runtime)",
    "No opset import for domain ''": "'ai.onnx' and '' both name ONNX's default domain",
    "ir_version is higher than the checker's": "IR versions 9-13 exist (onnx 1.14-1.20); "
                                               "the 1.12 checker predates them",
}
# Single models, by path relative to the repository.
EXPLAINED_FILE = {
    "tests/models/format_extras.onnx": "a sparse initializer [4,4] feeds MatMul; onnx 1.12's shape "
                                       "inference gives sparse initializers rank 0, so its MatMul "
                                       "rank error is the checker's, not the model's",
}


def python_verdict(path):
    try:
        onnx.checker.check_model(path, full_check=True)
        return True, ""
    except Exception as e:  # the checker raises several exception types
        msg = str(e).strip().replace("\n", " ")
        return False, msg[:300]


def ours(onnx_opt, paths, jobs):
    res = {}
    # Batches keep the command line short; order in the output is the input order.
    for i in range(0, len(paths), 200):
        batch = paths[i:i + 200]
        p = subprocess.run([onnx_opt, "validate", "--full", "--format", "json", "--jobs", str(jobs)]
                           + batch, capture_output=True, text=True)
        if p.returncode not in (0, 1, 2) or not p.stdout.strip():
            sys.exit("onnx-opt failed (%d): %s" % (p.returncode, p.stderr[:500]))
        for m in json.loads(p.stdout)["models"]:
            errs = [x for x in m["issues"] if x["severity"] == "error"]
            res[m["file"]] = (m["status"] == "valid",
                              "; ".join("%s %s: %s" % (x["code"], x["name"], x["message"]) for x in errs[:3]),
                              errs[0]["name"] if errs else "")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-opt", default=os.path.join(HERE, "onnx-opt"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--exports", nargs="+", default=[])
    ap.add_argument("models", nargs="*")
    a = ap.parse_args()
    if a.models:
        sets = {"given": a.models}
    else:
        sets = {
            "suite": sorted(glob.glob(SUITE + "/*/*/model.onnx")),
            "examples+tests/models": sorted(glob.glob(HERE + "/examples/*.onnx") +
                                            glob.glob(HERE + "/tests/models/*.onnx")),
            "tests/invalid": sorted(glob.glob(HERE + "/tests/invalid/*.onnx")),
        }
        if a.exports:
            sets["exports"] = [os.path.abspath(p) for p in a.exports]
    allpaths = [p for s in sets.values() for p in s]
    our = ours(a.onnx_opt, allpaths, a.jobs)
    unexplained = 0
    print("%-24s %6s %8s %10s %10s %10s" % ("set", "models", "agree", "both-ok", "both-bad", "disagree"))
    rows = []
    for name, paths in sets.items():
        agree = both_ok = both_bad = 0
        dis = []
        for p in paths:
            pv, pm = python_verdict(p)
            ov, om, ocode = our[p]
            if pv == ov:
                agree += 1
                both_ok += pv
                both_bad += not pv
            else:
                why = EXPLAINED_FILE.get(os.path.relpath(p, HERE))
                if why:
                    pass
                elif not ov:
                    why = EXPLAINED.get(ocode)
                else:
                    for k, v in EXPLAINED_PY.items():
                        if k in pm:
                            why = v
                dis.append((p, pv, pm, ov, om, why))
        rows.append((name, dis))
        print("%-24s %6d %8d %10d %10d %10d" % (name, len(paths), agree, both_ok, both_bad, len(dis)))
    for name, dis in rows:
        for p, pv, pm, ov, om, why in dis:
            print("\n[%s] %s" % (name, os.path.relpath(p, HERE) if p.startswith(HERE) else p))
            print("  onnx.checker: %s%s" % ("valid" if pv else "invalid", "" if pv else ": " + pm))
            print("  onnx-opt:     %s%s" % ("valid" if ov else "invalid", "" if ov else ": " + om))
            print("  why:          %s" % (why or "UNEXPLAINED"))
            unexplained += why is None
    print("\nunexplained disagreements: %d" % unexplained)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
