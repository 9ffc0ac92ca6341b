#!/bin/sh
# CLI tests: run onnx-opt as a user would, on good and on broken input.
# Every broken input must give exit status 2, exactly one line on stderr that names
# the file, no output file (and no temporary left behind), an existing output file
# untouched, and, under valgrind when it is installed, no memory error or leak.
# Prints "N passed, N failed" last; exits 1 when anything failed.
set -u
OX=${ONNX_OPT:-./onnx-opt}
SRC=${srcdir:-.}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# valgrind, unless the binary is built with AddressSanitizer (tests/valgrind.sh). The
# full bad-model matrix under valgrind takes a long time: each model goes through one
# subcommand under it (in turn, so every subcommand is covered), and the rest run
# natively; OX_VALGRIND_ALL=1 runs everything under valgrind.
. "$SRC/tests/valgrind.sh"

# expect STATUS CMD...: the command exits with STATUS.
expect() {
	want=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "exit $got, wanted $want: $*"; sed 's/^/  /' "$T/err" | head -5; fi
}

# refuse FILE: every model-reading subcommand refuses FILE cleanly. validate reports
# on standard output instead: exit 1 (invalid) or 2 (unreadable), naming the file.
nref=0
refuse() {
	f=$1
	nref=$((nref + 1))
	k=0
	for cmd in info "info --shapes" "optimize -o $T/res/out.onnx" "infer -o $T/res/out.onnx" \
		"convert --opset 13 -o $T/res/out.onnx" "run -O $T/res" "check $f" \
		"audit --target ort-cpu" "audit --target ort-cpu --format sarif -o $T/res/out.sarif" \
		"dot -o $T/res/out.svg" validate; do
		k=$((k + 1))
		rm -rf "$T/res"
		mkdir -p "$T/res"
		printf keep >"$T/res/keep.onnx"
		vg=
		if [ -n "${OX_VALGRIND_ALL:-}" ] || [ $(((nref + k) % 11)) -eq 0 ]; then vg=$VG; fi
		# shellcheck disable=SC2086
		$vg $OX $cmd "$f" >"$T/out" 2>"$T/err"
		rc=$?
		if [ "$cmd" = validate ]; then
			if [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] && grep -qF "$f" "$T/out" && [ ! -s "$T/err" ]; then
				ok
			else
				bad "validate $f: exit $rc, wanted 1 or 2 with a report naming the file"
				sed 's/^/  /' "$T/err" | head -5
			fi
			continue
		fi
		lines=$(wc -l <"$T/err")
		if [ "$rc" -ne 2 ]; then
			bad "$cmd $f: exit $rc, wanted 2"; sed 's/^/  /' "$T/err" | head -5; continue
		fi
		if [ "$lines" -ne 1 ]; then
			bad "$cmd $f: $lines lines on stderr, wanted 1"; sed 's/^/  /' "$T/err" | head -5; continue
		fi
		if ! grep -qF "$f" "$T/err"; then
			bad "$cmd $f: the error does not name the file: $(cat "$T/err")"; continue
		fi
		if [ "$(ls "$T/res")" != keep.onnx ]; then
			bad "$cmd $f: left files behind: $(ls "$T/res" | tr '\n' ' ')"; continue
		fi
		ok
	done
	# An existing output file stays as it was.
	printf keep >"$T/res/keep.onnx"
	$OX optimize "$f" -o "$T/res/keep.onnx" 2>/dev/null
	if [ "$(cat "$T/res/keep.onnx")" = keep ]; then ok; else bad "optimize $f overwrote an existing output"; fi
}

# --- usage ---
expect 0 $OX --version
expect 0 $OX --help
expect 2 $OX
expect 2 $OX frobnicate
for cmd in info optimize infer audit targets passes; do
	expect 0 $OX $cmd --help
	expect 2 $OX $cmd --no-such-option
done
expect 2 $OX info
expect 2 $OX optimize "$SRC/examples/tinycnn.onnx"
expect 2 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/x.onnx" --passes no_such_pass
expect 2 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/x.onnx" --external-data-threshold 12Q

# --- info ---
expect 0 $OX info "$SRC/examples/tinycnn.onnx"
if grep -q 'BatchNormalization  *2' "$T/out" && grep -q 'input  *float\[batch,3,32,32\]' "$T/out"; then ok; else bad "info text lacks ops or shapes"; cat "$T/out"; fi
expect 0 $OX info --json "$SRC/examples/tinybert.onnx"
if grep -q '"schema_version": 1' "$T/out" && grep -q '"op": "MatMul"' "$T/out"; then ok; else bad "info --json lacks fields"; fi
expect 0 $OX info "$SRC/tests/models/control_flow.onnx"
if grep -q 'subgraphs' "$T/out"; then ok; else bad "info does not count subgraphs"; fi

# --- optimize --passes none ---
expect 0 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/a.onnx" --passes none --verify
expect 0 $OX info "$T/a.onnx"
cp "$SRC/examples/tinycnn.onnx" "$T/same.onnx"
expect 0 $OX optimize "$T/same.onnx" -o "$T/same.onnx" --passes none
if cmp -s "$T/same.onnx" "$T/a.onnx"; then ok; else bad "in-place optimize differs from a fresh one"; fi
if [ -z "$(ls "$T" | grep tmp-)" ]; then ok; else bad "temporary files left: $(ls "$T")"; fi

# --- passes (default pipeline) ---
expect 0 $OX passes
if grep -q 'fuse_bn_into_conv' "$T/out" && grep -q 'fold_constants' "$T/out"; then ok; else bad "passes list lacks passes"; fi
expect 0 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/opt.onnx" --verify --report "$T/report.json"
$OX info "$T/opt.onnx" >"$T/out"
# BatchNormalization folds into the Convs and MatMul+Add (if any) into Gemm
if ! grep -q BatchNormalization "$T/out" && grep -q '^nodes  *9$' "$T/out"; then ok; else bad "default pipeline did not fuse BN"; cat "$T/out"; fi
if grep -q '"fuse_bn_into_conv"' "$T/report.json"; then ok; else bad "--report lacks per-pass rows"; fi
expect 2 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/x.onnx" --skip no_such_pass
# --check: the result computes the same; a zero tolerance catches float round-off
expect 0 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/chk.onnx" --check=2 --shape input=2x3x32x32
expect 1 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/chk0.onnx" --check --rtol 0 --atol 0 --shape input=1x3x32x32
if [ ! -e "$T/chk0.onnx" ] && grep -q "differs after optimization" "$T/err"; then ok; else bad "--check failure wrote a file or said nothing"; fi

# --- optimize --target-opset: convert, then optimize at the target (under valgrind) ---
expect 0 $VG $OX optimize "$SRC/examples/tinybert.onnx" -o "$T/tb20.onnx" --target-opset 20 --check \
	--shape input_ids=2x8 --shape attention_mask=2x8 --report "$T/tb20.json"
$OX info "$T/tb20.onnx" >"$T/out"
# at 20 the decomposed GELU and LayerNorm patterns fuse, and --check ran Gelu
if grep -q 'ai.onnx 20' "$T/out" && grep -q '"Gelu"' "$T/tb20.json" && grep -q '"LayerNormalization"' "$T/tb20.json" &&
   grep -q '"complete": true' "$T/tb20.json"; then ok; else bad "--target-opset 20 did not convert and fuse"; fi
expect 0 $VG $OX optimize "$SRC/examples/tinybert.onnx" -o "$T/tb11.onnx" --target-opset 11 --check \
	--shape input_ids=2x8 --shape attention_mask=2x8
$OX info "$T/tb11.onnx" >"$T/out"
if grep -q 'ai.onnx 11' "$T/out"; then ok; else bad "--target-opset 11 did not set the opset"; fi
# Erf has no opset-7 form: listed, exit 1, no output, the report says why
expect 1 $VG $OX optimize "$SRC/examples/tinybert.onnx" -o "$T/tb7.onnx" --target-opset 7 --report "$T/tb7.json"
if [ ! -e "$T/tb7.onnx" ] && grep -q "Erf does not exist before opset 9" "$T/err" &&
   grep -q '"complete": false' "$T/tb7.json"; then ok; else bad "--target-opset 7 refusal wrong"; fi
expect 1 $VG $OX optimize "$SRC/examples/tinybert.onnx" -o "$T/tb7.onnx" --target-opset 7 --allow-partial
if [ -s "$T/tb7.onnx" ]; then ok; else bad "--allow-partial wrote nothing"; fi
expect 2 $OX optimize "$SRC/examples/tinybert.onnx" -o "$T/x.onnx" --target-opset 6
expect 2 $OX optimize "$SRC/examples/tinybert.onnx" -o "$T/x.onnx" --allow-partial

# --- infer ---
expect 0 $OX infer "$SRC/examples/tinybert.onnx" -o "$T/bert.inf.onnx"
expect 0 $OX info --shapes "$T/bert.inf.onnx"
# every intermediate value is typed, and the hidden size resolves to 64
if ! grep -q '  ?$' "$T/out" && grep -q 'last_hidden_state  *float\[batch,sequence,64\]' "$T/out"; then ok; else bad "infer left values untyped"; grep -E '  \?$|last_hidden' "$T/out" | head; fi
expect 0 $OX info --shapes "$SRC/examples/tinycnn.onnx"
if grep -q '/pool/MaxPool_output_0  *float\[batch,16,16,16\]' "$T/out"; then ok; else bad "info --shapes lacks the pooled shape"; fi

# --- audit ---
expect 0 $OX targets
if grep -q '^tensorrt ' "$T/out" && grep -q '^ort-cpu ' "$T/out"; then ok; else bad "targets lacks profiles"; fi
expect 0 $OX audit --target ort-cpu "$SRC/examples/tinycnn.onnx"
# opset 14 ops are not in opset 11: a finding, exit 1, JSON names the op and the fix
expect 1 $OX audit --target opset:11 --format json "$SRC/examples/tinybert.onnx"
if grep -q '"unsupported"' "$T/out" && grep -q 'convert' "$T/out"; then ok; else bad "audit JSON lacks verdicts or suggestions"; fi
expect 0 $OX audit --target opset:11 --fail-on never "$SRC/examples/tinybert.onnx"
expect 0 $OX audit --format sarif -o "$T/a.sarif" --target ort-cpu "$SRC/examples/tinycnn.onnx"
if grep -q '"version": "2.1.0"' "$T/a.sarif"; then ok; else bad "SARIF lacks its version"; fi
# a batch with a broken model still reports every model, the broken one included
expect 2 $OX audit --format sarif -o "$T/b.sarif" --target ort-cpu "$SRC/tests/bad/cycle.onnx" "$SRC/examples/tinycnn.onnx"
if grep -q 'cycle.onnx' "$T/b.sarif" && grep -q 'tinycnn.onnx' "$T/b.sarif"; then ok; else bad "batch SARIF lacks a model"; fi
expect 2 $OX audit --target no-such-target "$SRC/examples/tinycnn.onnx"

# --- dot ---
# tinybert has 221 nodes in two identical encoder layers: over --max-nodes the
# second layer becomes one box; below what that reaches, one line and exit 2.
# (SVG output stays outside valgrind: Pango and fontconfig keep caches to the end.)
expect 0 $VG $OX dot "$SRC/examples/tinybert.onnx" --max-nodes 200 --shapes -o "$T/tb.dot"
if grep -q '&#215;1 repeated' "$T/tb.dot"; then ok; else bad "dot --max-nodes did not collapse the second layer"; fi
expect 0 $OX dot "$SRC/examples/tinybert.onnx" --max-nodes 200 --shapes -o "$T/tb.svg"
if grep -q '×1 repeated' "$T/tb.svg" && [ "$(grep -c 'class="node"' "$T/tb.svg")" -eq 134 ]; then ok; else bad "dot --max-nodes SVG lacks the box or has other nodes"; fi
expect 2 $VG $OX dot "$SRC/examples/tinybert.onnx" --max-nodes 100 -o "$T/tb2.svg"
if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q 'tinybert.onnx: 221 nodes, still 131 .*--max-nodes 100' "$T/err" &&
	[ ! -e "$T/tb2.svg" ]; then ok; else bad "dot over --max-nodes: $(cat "$T/err")"; fi
expect 0 $OX dot "$SRC/examples/tinybert.onnx" --max-nodes 0 -o "$T/tb3.dot"
if ! grep -q 'repeated' "$T/tb3.dot"; then ok; else bad "dot --max-nodes 0 collapsed"; fi

# --- legalize ---
# tinybert imports opset 14: converted down to 11, checked equal, written
mkdir -p "$T/lg"
expect 0 $VG $OX legalize "$SRC/examples/tinybert.onnx" --target opset:11 -o "$T/lg/bert11.onnx" \
	--report "$T/lg/rep.json"
if grep -q '"strategy": "convert"' "$T/lg/rep.json" && grep -q '"pass": true' "$T/lg/rep.json"; then ok; else bad "legalize report lacks the conversion or the check"; fi
expect 0 $OX audit --target opset:11 "$T/lg/bert11.onnx"
# audit --fix is the same command
expect 0 $VG $OX audit "$SRC/examples/tinycnn.onnx" --fix --target opset:11 -o "$T/lg/cnn11.onnx"
if [ -s "$T/lg/cnn11.onnx" ]; then ok; else bad "audit --fix wrote no model"; fi
# the function body of LayerNormalization (Mean output requested: partial on TensorRT)
LN=/usr/share/libonnx-testdata/data/node/test_layer_normalization_4d_axis1
if [ -d "$LN" ]; then
	expect 0 $VG $OX legalize "$LN/model.onnx" --target tensorrt -o "$T/lg/ln.onnx" \
		-i "$LN/test_data_set_0/input_0.pb" -i "$LN/test_data_set_0/input_1.pb" \
		-i "$LN/test_data_set_0/input_2.pb"
	if grep -q 'function.*LayerNormalization-17' "$T/out"; then ok; else bad "LayerNormalization not inlined"; fi
	expect 0 $OX check "$LN/model.onnx" "$T/lg/ln.onnx"
fi
# an op nothing can rewrite: exit 1, no output unless --allow-partial
DQ=/usr/share/libonnx-testdata/data/node/test_dynamicquantizelinear
if [ -d "$DQ" ]; then
	expect 1 $OX legalize "$DQ/model.onnx" --target tensorrt -o "$T/lg/dq.onnx"
	if [ ! -e "$T/lg/dq.onnx" ]; then ok; else bad "legalize wrote a partial result without --allow-partial"; fi
	expect 1 $OX legalize "$DQ/model.onnx" --target tensorrt -o "$T/lg/dq.onnx" --allow-partial
	if [ -s "$T/lg/dq.onnx" ]; then ok; else bad "--allow-partial wrote nothing"; fi
fi
expect 2 $OX legalize "$SRC/examples/tinycnn.onnx" -o "$T/lg/x.onnx"
expect 2 $OX legalize "$SRC/examples/tinycnn.onnx" --target nosuchruntime -o "$T/lg/x.onnx"
expect 2 $VG $OX legalize "$SRC/tests/bad/cycle.onnx" --target opset:11 -o "$T/lg/x.onnx"
if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q cycle.onnx "$T/err" && [ ! -e "$T/lg/x.onnx" ]; then ok; else bad "legalize on a broken model: $(cat "$T/err")"; fi

# --- external data ---
mkdir -p "$T/ext"
expect 0 $OX optimize "$SRC/tests/models/external_data.onnx" -o "$T/ext/moved.onnx"
if [ -s "$T/ext/moved.onnx.data" ]; then ok; else bad "external tensors were not written beside the moved model"; fi
expect 0 $OX info "$T/ext/moved.onnx"
$OX info "$SRC/tests/models/external_data.onnx" | grep parameters >"$T/p1"
$OX info "$T/ext/moved.onnx" | grep parameters >"$T/p2"
if cmp -s "$T/p1" "$T/p2"; then ok; else bad "moved external model has other parameters"; fi
expect 0 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/ext/big.onnx" --external-data --external-data-threshold 256
if [ -s "$T/ext/big.onnx.data" ] && [ "$(wc -c <"$T/ext/big.onnx")" -lt 8000 ]; then ok; else bad "--external-data did not move tensors out"; fi
expect 0 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/ext/named.onnx" --passes none --external-data=w.bin --external-data-threshold 0
if [ -s "$T/ext/w.bin" ]; then ok; else bad "--external-data=FILE did not write FILE"; fi
$OX info "$SRC/examples/tinycnn.onnx" | grep parameters >"$T/p1"
$OX info "$T/ext/named.onnx" | grep parameters >"$T/p2"
if cmp -s "$T/p1" "$T/p2"; then ok; else bad "external-data model has other parameters"; fi
expect 2 $OX optimize "$SRC/examples/tinycnn.onnx" -o "$T/ext/x.onnx" --external-data=../escape.bin

# --- atomic output: on failure an existing output stays as it was, and no temporary
# file is left beside it ---
mkdir -p "$T/atomic"
A=$T/atomic
for cmd in "optimize -o $A/keep" "infer -o $A/keep" "convert --opset 13 -o $A/keep" "dot -o $A/keep" \
	"optimize --report $A/keep -o $A/x.onnx" "check $SRC/tests/bad/cycle.onnx --json $A/keep"; do
	printf keep >"$A/keep"
	# shellcheck disable=SC2086
	$OX $cmd "$SRC/tests/bad/cycle.onnx" >/dev/null 2>&1
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(cat "$A/keep")" = keep ] && [ "$(ls "$A")" = keep ]; then ok; else bad "$cmd: exit $rc or output touched: $(ls "$A" | tr '\n' ' ')"; fi
done
mkdir -p "$A/run" && printf keep >"$A/run/output_0.pb"
$OX run "$SRC/tests/bad/cycle.onnx" -O "$A/run" >/dev/null 2>&1
if [ "$(cat "$A/run/output_0.pb")" = keep ] && [ "$(ls "$A/run")" = output_0.pb ]; then ok; else bad "run -O touched an existing output"; fi
# A write that fails at the rename (the target is a directory): nothing left behind.
rm -rf "$A" && mkdir -p "$A/dir.json"
for cmd in "check $SRC/examples/tinycnn.onnx --shape input=1x3x32x32 --json $A/dir.json" \
	"optimize --report $A/dir.json -o $A/x.onnx" "audit --target ort-cpu --format json -o $A/dir.json"; do
	# shellcheck disable=SC2086
	$OX $cmd "$SRC/examples/tinycnn.onnx" >/dev/null 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ -d "$A/dir.json" ] && [ -z "$(ls "$A" | grep -v -e '^dir.json$' -e '^x.onnx$')" ]; then ok; else
		bad "$cmd: exit $rc with a directory as output, or left: $(ls "$A" | tr '\n' ' ')"; fi
done

# --- broken input ---
: >"$T/empty.onnx"
echo "this is not a model" >"$T/text.onnx"
head -c 5000 "$SRC/examples/tinycnn.onnx" >"$T/truncated.onnx"
mkdir -p "$T/dir.onnx"
for f in "$T/missing.onnx" "$T/empty.onnx" "$T/text.onnx" "$T/truncated.onnx" "$T/dir.onnx" \
	"$SRC"/tests/bad/*.onnx; do
	refuse "$f"
done

# Inputs the fuzzers found (tests/bad/fuzz): whatever they are now, loading and
# optimizing them ends in exit 0 or 2, with no crash, sanitizer or valgrind report.
for f in "$SRC"/tests/bad/fuzz/*; do
	[ -f "$f" ] || continue
	for cmd in info "optimize --verify -o $T/fz.onnx"; do
		# shellcheck disable=SC2086
		$VG $OX $cmd "$f" >"$T/out" 2>"$T/err"
		rc=$?
		if [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; then ok; else bad "$cmd $f: exit $rc"; sed 's/^/  /' "$T/err" | head -5; fi
	done
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
