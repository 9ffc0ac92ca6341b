#!/bin/sh
# Validate `onnx-opt audit` reports against real JSON Schemas: --format sarif against
# the SARIF 2.1.0 schema (OASIS, as the npm package @microsoft/jest-sarif ships it;
# not kept in this tree) and --format json against reports/audit.schema.json, with
# Ajv. tools/setup.sh installs both into tools/schema-check/node_modules; without
# that directory the test is skipped (77), except in CI where it must be there.
# Reports cover a supported model, unsupported ops, partly supported ops, and a
# batch in which one model fails to load.
SRC=${srcdir:-.}
OX=${ONNX_OPT:-./onnx-opt}
CHK=$SRC/tools/schema-check
if ! command -v node >/dev/null 2>&1 || [ ! -d "$CHK/node_modules/ajv-draft-04" ] ||
	[ ! -d "$CHK/node_modules/@microsoft/jest-sarif" ]; then
	if [ -n "${CI:-}" ]; then
		echo "FAIL: no validators in $CHK/node_modules (tools/setup.sh installs them)"
		exit 1
	fi
	echo "SKIP: no validators in $CHK/node_modules (run tools/setup.sh)"
	exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

head -c 3000 "$SRC/examples/tinycnn.onnx" >"$T/truncated.onnx"
# name  want-exit  target  models...
while read -r name want target models; do
	for fmt in sarif json; do
		# shellcheck disable=SC2086
		$OX audit --format $fmt --target "$target" -o "$T/$name.$fmt" $models 2>"$T/err"
		rc=$?
		if [ "$rc" -ne "$want" ]; then bad "$name $fmt: exit $rc, wanted $want"; sed 's/^/  /' "$T/err"; fi
	done
	if node "$CHK/validate.js" sarif "$T/$name.sarif"; then ok; else bad "$name: SARIF invalid"; fi
	if node "$CHK/validate.js" schema "$SRC/reports/audit.schema.json" "$T/$name.json"; then ok; else bad "$name: JSON invalid"; fi
done <<EOF2
supported 0 ort-cpu $SRC/examples/tinycnn.onnx
unsupported 1 opset:11 $SRC/examples/tinybert.onnx
partial 1 onnx-mlir-cpu $SRC/tests/models/control_flow.onnx
batch 2 tensorrt $SRC/examples/tinycnn.onnx $T/truncated.onnx $SRC/examples/tinybert.onnx
EOF2
# The reports hold what the cases are about, so a valid but empty report fails.
if grep -q '"level": "error"' "$T/unsupported.sarif"; then ok; else bad "unsupported: no error result"; fi
if grep -q '"partial"' "$T/partial.json"; then ok; else bad "partial: no partial verdict"; fi
if grep -q 'truncated.onnx' "$T/batch.sarif" && grep -q 'tinybert.onnx' "$T/batch.sarif"; then ok; else bad "batch: a model is missing from the SARIF"; fi
# The validators can fail: a SARIF run without its tool driver is refused.
echo '{"version": "2.1.0", "runs": [{"tool": {}}]}' >"$T/broken.sarif"
if node "$CHK/validate.js" sarif "$T/broken.sarif" >/dev/null; then bad "a broken SARIF passed"; else ok; fi
echo '{"schema_version": 1}' >"$T/broken.json"
if node "$CHK/validate.js" schema "$SRC/reports/audit.schema.json" "$T/broken.json" >/dev/null; then bad "a broken JSON report passed"; else ok; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
