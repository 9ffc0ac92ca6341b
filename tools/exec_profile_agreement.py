#!/usr/bin/env python3
"""Check the `onnx-opt` target profile against the executor it describes.

For every model of the ONNX backend suite (libonnx-testdata), the audit verdict
`onnx-opt audit --target onnx-opt MODEL` (exit 0: supported) is compared with
whether `onnx-opt run MODEL` (fed the case's own input_*.pb) fails for want of a
kernel ("no kernel for ..." on stderr). A run that fails for another reason (a dtype
or attribute a kernel does not handle, sequence inputs) is not a missing kernel and
counts as "runs" here: the profile only claims which ops have kernels. A run that
cannot start because `onnx-opt run` reads only tensors and the case feeds a
sequence or optional ("has no tensor type") decides nothing: such cases are listed
apart, outside the matrix.

Prints the confusion matrix and every disagreement; exit 0 when there is none.

    tools/exec_profile_agreement.py [--onnx-opt ./onnx-opt]
        [--data /usr/share/libonnx-testdata/data] [--jobs 2]
"""
import argparse
import concurrent.futures
import glob
import os
import subprocess
import sys


def case(ox, model):
    audit = subprocess.run([ox, "audit", "--target", "onnx-opt", model],
                           capture_output=True, text=True)
    if audit.returncode not in (0, 1):
        return model, None, None, audit.stderr.strip()
    inputs = sorted(glob.glob(os.path.join(os.path.dirname(model), "test_data_set_0",
                                           "input_*.pb")),
                    key=lambda p: int(p.rsplit("_", 1)[1].split(".")[0]))
    cmd = [ox, "run", model]
    for p in inputs:
        cmd += ["-i", p]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        err = run.stderr
    except subprocess.TimeoutExpired:
        err = "timeout"
    if "has no tensor type" in err:
        return model, audit.returncode == 0, None, err.strip().splitlines()[-1:]
    no_kernel = "no kernel for" in err
    return model, audit.returncode == 0, not no_kernel, err.strip().splitlines()[-1:] if err else []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--onnx-opt", default="./onnx-opt")
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    models = sorted(glob.glob(os.path.join(a.data, "*", "*", "model.onnx")))
    m = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    odd, errors, undecided = [], [], []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for model, said, ran, msg in ex.map(lambda p: case(a.onnx_opt, p), models):
            if said is None:
                errors.append((model, msg))
                continue
            if ran is None:
                undecided.append((model, said))
                continue
            m[(said, ran)] += 1
            if said != ran:
                odd.append((model, said, msg))
    n = sum(m.values())
    print("%d suite models (%d the audit could not read, %d the run cannot start: "
          "non-tensor inputs)" % (len(models), len(errors), len(undecided)))
    print("                       run: has kernels   run: no kernel")
    print("audit: supported       %16d %16d" % (m[(True, True)], m[(True, False)]))
    print("audit: unsupported     %16d %16d" % (m[(False, True)], m[(False, False)]))
    print("agreement: %d of %d (%.2f%%)" % (m[(True, True)] + m[(False, False)], n,
                                          100.0 * (m[(True, True)] + m[(False, False)]) / max(n, 1)))
    for model, said, msg in odd:
        print("DISAGREE %s: audit %s; run: %s" % (os.path.relpath(model, a.data),
                                                  "supported" if said else "unsupported",
                                                  " ".join(msg) or "ok"))
    for model, said in undecided:
        print("UNDECIDED %s: audit %s; run cannot feed its inputs" % (
            os.path.relpath(model, a.data), "supported" if said else "unsupported"))
    for model, msg in errors:
        print("AUDIT ERROR %s: %s" % (os.path.relpath(model, a.data), msg))
    return 0 if not odd else 1


if __name__ == "__main__":
    sys.exit(main())
