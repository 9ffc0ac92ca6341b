#!/usr/bin/env python3
"""Measure `onnx-opt audit --target ort-cpu` against what ONNX Runtime really does.

For every case of the ONNX backend suite (libonnx-testdata), our verdict
(the model is supported on ort-cpu: no node partial or unsupported) is compared
with whether ONNX Runtime 1.30 creates a session for the model, as the team's
reference harness reports it (`node node-tests.js --level disabled --out X.tsv`
in ../shared/tools/ort: status load-fail = not supported, any other status that
got past session creation = supported).

The harness skips cases whose graph I/O is a sequence/optional/map
(`skipped-nontensor`) before it creates a session, so it says nothing about them.
With --ort-dir (a directory where the harness was `npm install`ed) this script
asks ONNX Runtime directly for those cases; without it they are left out.

Prints the confusion matrix, the agreement, and every disagreement with our
reason and ORT's message. Exit 0 when agreement >= --min-agreement, else 1.

    tools/audit_accuracy.py --ort-tsv results.tsv [--ort-dir DIR] \\
        [--onnx-opt ./onnx-opt] [--data /usr/share/libonnx-testdata/data] [--jobs 2]
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

LOAD_SNIPPET = r"""
const ort = require('onnxruntime-node');
(async () => {
  const out = {};
  for (const p of process.argv.slice(1)) {
    try {
      await ort.InferenceSession.create(p, {graphOptimizationLevel: 'disabled',
        intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
        executionProviders: ['cpu']});
      out[p] = 'loads';
    } catch (e) {
      out[p] = 'load-fail: ' + String(e.message || e).split('\n')[0];
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def read_ort(path):
    res = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            res[(row["category"], row["test"])] = (row["status"], row.get("message", ""))
    return res


def ort_direct(ort_dir, models):
    """ORT's own answer for models the harness skipped: {path: 'loads' | 'load-fail: ...'}."""
    if not models:
        return {}
    env = dict(os.environ)
    env["NODE_PATH"] = os.path.join(ort_dir, "node_modules")
    r = subprocess.run(["node", "-e", LOAD_SNIPPET] + models, env=env, cwd=ort_dir,
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ort-tsv", required=True, help="node-tests.js output (TSV)")
    ap.add_argument("--ort-dir", help="harness copy with node_modules, to ask ORT about skipped cases")
    ap.add_argument("--onnx-opt", default=os.environ.get("ONNX_OPT", "./onnx-opt"))
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--target", default="ort-cpu")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--min-agreement", type=float, default=98.0)
    ap.add_argument("--json-out", help="keep the audit's JSON report here")
    a = ap.parse_args()

    models = sorted(glob.glob(os.path.join(a.data, "*", "*", "model.onnx")))
    if not models:
        sys.exit(f"no models under {a.data}")
    ort = read_ort(a.ort_tsv)

    out = a.json_out or tempfile.mkstemp(suffix=".json")[1]
    cmd = [a.onnx_opt, "audit", "--target", a.target, "--format", "json", "--jobs",
           str(a.jobs), "--fail-on", "never", "-o", out] + models
    t0 = time.monotonic()
    r = subprocess.run(cmd)
    secs = time.monotonic() - t0
    if r.returncode not in (0, 2):
        sys.exit(f"onnx-opt audit exited {r.returncode}")
    with open(out) as f:
        report = json.load(f)
    if not a.json_out:
        os.unlink(out)

    skipped = []
    truth = {}
    for m in models:
        test = os.path.basename(os.path.dirname(m))
        cat = os.path.basename(os.path.dirname(os.path.dirname(m)))
        st = ort.get((cat, test))
        if st is None or st[0] == "skipped-nontensor":
            skipped.append(m)
            continue
        truth[m] = (st[0] != "load-fail", f"{st[0]}: {st[1]}" if st[1] else st[0])
    asked = {}
    if a.ort_dir:
        asked = ort_direct(a.ort_dir, skipped)
        for m, ans in asked.items():
            truth[m] = (ans == "loads", "asked ORT directly: " + ans)
    left_out = [m for m in skipped if m not in truth]

    cm = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    dis = []
    load_errors = 0
    for mod in report["models"]:
        p = mod["path"]
        if p not in truth:
            continue
        if mod["status"] != "ok":
            ours, why = False, "onnx-opt cannot load it: " + (mod.get("error") or "")
            load_errors += 1
        else:
            ours = mod["summary"][a.target]["verdict"] == "supported"
            why = "; ".join(f"{f['op']}: {f['reason']}" for f in mod["findings"]
                            if f["target"] == a.target) or "all nodes supported"
        real, msg = truth[p]
        cm[(ours, real)] += 1
        if ours != real:
            dis.append((p, ours, real, why, msg))

    n = sum(cm.values())
    agree = cm[(True, True)] + cm[(False, False)]
    print(f"audit of {len(models)} models, target {a.target}, --jobs {a.jobs}: {secs:.2f} s")
    print(f"compared: {n} cases ({len(asked)} asked ORT directly, {len(left_out)} without a "
          f"ground truth left out, {load_errors} that onnx-opt could not load)")
    print()
    print("                       ORT loads   ORT load-fail")
    print(f"  audit: supported     {cm[(True, True)]:9d}   {cm[(True, False)]:13d}")
    print(f"  audit: not supported {cm[(False, True)]:9d}   {cm[(False, False)]:13d}")
    print()
    pct = 100.0 * agree / n if n else 0.0
    print(f"agreement: {agree}/{n} = {pct:.2f}%")
    if dis:
        print("\ndisagreements:")
        for p, ours, real, why, msg in dis:
            rel = os.path.relpath(p, a.data)
            print(f"- {rel}: audit says {'supported' if ours else 'not supported'}, "
                  f"ORT {'loads' if real else 'fails to load'}")
            print(f"    audit: {why[:300]}")
            print(f"    ORT:   {msg[:300]}")
    for m in left_out:
        print(f"left out (no ground truth): {os.path.relpath(m, a.data)}")
    return 0 if pct >= a.min_agreement else 1


if __name__ == "__main__":
    sys.exit(main())
