#!/usr/bin/env python3
"""Cross-check the lossless round-trip with Python's protobuf (run with /usr/bin/python3,
which has python3-onnx): for every model.onnx of the ONNX backend suite and every
.onnx under the given directories, `onnx-opt optimize --passes none` must write a
model that compares equal (ModelProto ==) to the original.
Usage: tools/roundtrip_check.py [--onnx-opt ./onnx-opt] [DIR...]"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import onnx

ap = argparse.ArgumentParser()
ap.add_argument("--onnx-opt", default="./onnx-opt")
ap.add_argument("dirs", nargs="*", default=["/usr/share/libonnx-testdata/data"])
args = ap.parse_args()
files = sorted(f for d in args.dirs for f in glob.glob(os.path.join(d, "**", "*.onnx"), recursive=True))
same = differ = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for f in files:
        # Written beside the original so that external data references stay valid.
        out = os.path.join(os.path.dirname(f) if os.access(os.path.dirname(f), os.W_OK) else tmp,
                           ".rt-" + os.path.basename(f))
        r = subprocess.run([args.onnx_opt, "optimize", f, "-o", out, "--passes", "none"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            failed += 1
            print("FAILED", f, r.stderr.strip())
            continue
        a = onnx.load(f, load_external_data=False)
        b = onnx.load(out, load_external_data=False)
        os.unlink(out)
        if a == b:
            same += 1
        else:
            differ += 1
            print("DIFFERS", f)
print(f"{same} equal, {differ} differ, {failed} failed, of {len(files)} models")
sys.exit(0 if differ == failed == 0 else 1)
