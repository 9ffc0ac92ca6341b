#!/bin/sh
# CLI tests of `onnx-opt check` on tests/models/check (tools/make_check_models.py):
# verdicts and exit codes, --localize naming the changed node, the JSON report of
# docs/check-json.md, --expect on stored outputs, and `run` still reading -i after
# the input code moved to src/inputs.c. Prints "N passed, N failed" last.
set -u
OX=${ONNX_OPT:-./onnx-opt}
SRC=${srcdir:-.}
M=$SRC/tests/models/check
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect STATUS CMD...: the command exits with STATUS (stdout in $T/out).
expect() {
	want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "exit $got, wanted $want: $*"; sed 's/^/  /' "$T/err" | head -5; fi
}

# has PATTERN WHAT: the last output matches PATTERN.
has() {
	if grep -q -- "$1" "$T/out"; then ok; else bad "$2"; sed 's/^/  /' "$T/out" | head -10; fi
}

PY=
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# --- usage ---
expect 0 $OX check --help
has 'floats uniform in \[-1, 1)' "--help does not give the random ranges"
expect 2 $OX check --no-such-option
expect 2 $OX check "$M/base.onnx"
expect 2 $OX check "$M/base.onnx" "$M/base.onnx" "$M/base.onnx"
expect 2 $OX check "$M/base.onnx" "$M/base.onnx" --rtol abc
expect 2 $OX check "$M/base.onnx" "$M/base.onnx" --max-ulp -3
expect 2 $OX check "$M/base.onnx" "$M/base.onnx" -n 0
expect 2 $OX check "$M/base.onnx" "$T/missing.onnx"
expect 2 $OX check "$M/base.onnx" --expect "$M/data" --localize
expect 2 $OX check "$M/base.onnx" "$M/base.onnx" -i nosuch="$M/data/input_0.pb"
expect 2 $OX check "$SRC/examples/tinycnn.onnx" "$SRC/examples/tinycnn.onnx"
if grep -q 'give --shape input=' "$T/err"; then ok; else bad "a dynamic input without --shape is not explained"; fi

# --- verdicts ---
expect 0 $OX check "$M/base.onnx" "$M/base.onnx" -n 3
has '^PASS  y  float\[1,4\]  max_abs 0  max_rel 0  max_ulp 0  bad 0/12' "a model against itself is not exact"
has 'on 3 input sets' "-n 3 did not run 3 sets"
# one weight (conv2's) scaled by 1.001
expect 1 $OX check "$M/base.onnx" "$M/w1001.onnx"
has '^FAIL  y' "a weight scaled by 1.001 passes"
# ... passes when its ULP distance (22484 measured) is allowed, or with rtol 1e-2
expect 0 $OX check "$M/base.onnx" "$M/w1001.onnx" --max-ulp 100000
expect 0 $OX check "$M/base.onnx" "$M/w1001.onnx" --rtol 1e-2
# renamed input and output pair up by position
expect 0 $OX check "$M/base.onnx" "$M/renamed.onnx" --by-position
has 'PASS  y (B: scores)' "--by-position did not pair y with scores"
# given inputs are fed to both
expect 1 $OX check "$M/base.onnx" "$M/w1001.onnx" -i "$M/data/input_0.pb"
expect 0 $OX check "$M/base.onnx" "$M/base.onnx" -i x="$M/data/input_0.pb"
has 'on 1 input set' "given inputs should make one set"
# a model and its optimized copy
expect 0 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/tinycnn.opt.onnx"
expect 0 $OX check "$SRC/examples/tinycnn.onnx" "$T/tinycnn.opt.onnx" --shape input=2x3x32x32 -n 2

# --- localize ---
expect 1 $OX check "$M/base.onnx" "$M/w1001.onnx" --localize
has "first divergence: 'conv2_out'" "--localize does not name conv2's output"
has "A: node 'conv2' (Conv)" "--localize does not name the perturbed node"
expect 1 $OX check "$M/base.onnx" "$M/broken.onnx" --localize
has "A: node 'relu2' (Relu)" "--localize does not name the broken node in A"
has "B: node 'relu2' (Sigmoid)" "--localize does not name the broken node in B"

# --- JSON ---
expect 1 $OX check "$M/base.onnx" "$M/w1001.onnx" --localize --json "$T/r.json"
has '^FAIL  y' "--json FILE should still print the table"
if [ -n "$PY" ]; then
	if $PY - "$T/r.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema_version"] == 1, r["schema_version"]
assert r["pass"] is False and r["first_failing_set"] == 0 and r["sets_run"] == 1
assert r["options"]["rtol"] == 1e-4 and r["options"]["atol"] == 1e-5 and r["options"]["max_ulp"] is None
o = r["outputs"][0]
assert o["name"] == "y" and o["name_b"] == "y" and o["pass"] is False
assert o["dtype_a"] == "float" and o["shape_a"] == [1, 4] and o["shape_b"] == [1, 4]
assert o["count"] == 4 and 0 < o["mismatches"] <= 4 and o["first_mismatch"] is not None
assert o["max_abs"] > 1e-4 and o["max_ulp"] > 0 and o["nan_mismatches"] == 0
l = r["localize"]
assert l["found"] and l["value"] == "conv2_out" and l["compared_values"] == 8
assert l["node_a"] == {"name": "conv2", "op": "Conv"} and l["node_b"]["op"] == "Conv"
keys = {"schema_version", "a", "b", "expect", "options", "pass", "sets_run",
        "first_failing_set", "outputs", "extra_outputs_b", "localize"}
assert set(r) == keys, set(r) ^ keys
PYEOF
	then ok; else bad "the JSON report does not match docs/check-json.md"; fi
	expect 0 $OX check "$M/base.onnx" "$M/base.onnx" --json -
	if $PY -c 'import json,sys; r=json.load(sys.stdin); assert r["pass"] and r["localize"] is None and r["outputs"][0]["max_abs"] == 0' <"$T/out"; then ok; else bad "--json - is not JSON alone"; fi
else
	if grep -q '"schema_version": 1' "$T/r.json" && grep -q '"value": "conv2_out"' "$T/r.json"; then ok; else bad "JSON report lacks fields"; fi
fi
expect 2 $OX check "$M/base.onnx" "$M/base.onnx" --json "$T/no/such/dir/r.json"

# --- --expect (outputs computed by numpy in float64) ---
expect 0 $OX check "$M/base.onnx" --expect "$M/data"
has '^PASS  y' "base.onnx does not reproduce its stored output"
expect 1 $OX check "$M/w1001.onnx" --expect "$M/data"
expect 2 $OX check "$M/base.onnx" --expect "$T/nonexistent"
mkdir -p "$T/noin" && cp "$M/data/output_0.pb" "$T/noin/"
expect 2 $OX check "$M/base.onnx" --expect "$T/noin"
expect 0 $OX check "$M/base.onnx" --expect "$T/noin" -i "$M/data/input_0.pb"

# --- run shares the input code ---
expect 0 $OX run "$M/base.onnx" -i "$M/data/input_0.pb"
has '^y  float\[1,4\]' "run does not print its output"
expect 2 $OX run "$M/base.onnx" -i "$M/data/input_0.pb" -i "$M/data/input_0.pb"
if grep -q "run: more -i files than graph inputs (1)" "$T/err"; then ok; else bad "run's -i usage message changed"; fi
expect 2 $OX run "$M/base.onnx" -i nosuch="$M/data/input_0.pb"
if grep -q "run: the graph has no input 'nosuch'" "$T/err"; then ok; else bad "run's -i NAME message changed"; fi

# --- no leak or memory error, when valgrind is there ---
. "$SRC/tests/valgrind.sh"
if [ -n "$VG" ]; then
	expect 1 $VG $OX check "$M/base.onnx" "$M/broken.onnx" --localize --json "$T/v.json"
	expect 2 $VG $OX check "$M/base.onnx" --expect "$T/noin"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
