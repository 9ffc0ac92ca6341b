#!/bin/sh
# tools/convert_pytorch_eval.sh: `onnx-opt convert` on PyTorch exports, every opset to
# every other (issue 6).
#
# The zoo's resnet18_opsetN.onnx (N = 9 11 13 14 16 17; bench/export_zoo.py) are each
# converted to the five other opsets. Each result is run by ONNX Runtime next to the
# original on the same seeded inputs (compare.js) and by our executor (`onnx-opt check`,
# 2 seeded input sets). A cell of the matrix reads ORT/ours:
#   ok     the outputs agree (default tolerances of each tool)
#   FAIL   they differ, or the converted model does not run
#   REF    onnx-opt refused the conversion (the reasons are printed below the matrix)
#   ERR    onnx-opt failed (exit 2)
# Exit status 1 when any cell is FAIL or ERR.
#
# Usage: tools/convert_pytorch_eval.sh ORT_HARNESS_DIR [OPSET...]
#   ZOO: directory of the exports (default /tmp/onnx-opt-zoo)
#   ONNX_OPT: the binary (default ./onnx-opt at the top of the tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
ort=$(cd "${1:?usage: convert_pytorch_eval.sh ORT_HARNESS_DIR [OPSET...]}" && pwd)
shift
zoo=${ZOO:-/tmp/onnx-opt-zoo}
opt=${ONNX_OPT:-$here/onnx-opt}
[ $# -gt 0 ] || set -- 9 11 13 14 16 17
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shape="--shape input=1x3x224x224"
bad=0 ok=0 ref=0

printf '%-8s' 'from\to'
for t in "$@"; do printf ' %-10s' "$t"; done
printf '\n'
for s in "$@"; do
	in="$zoo/resnet18_opset$s.onnx"
	if [ ! -f "$in" ]; then
		echo "$in missing (run /usr/bin/python3 bench/export_zoo.py)" >&2
		bad=1
		continue
	fi
	printf '%-8s' "$s"
	for t in "$@"; do
		if [ "$s" = "$t" ]; then
			printf ' %-10s' -
			continue
		fi
		out="$work/$s-$t.onnx"
		rc=0
		"$opt" convert "$in" --opset "$t" -o "$out" -q --report "$work/$s-$t.json" \
			>/dev/null 2>"$work/$s-$t.err" || rc=$?
		if [ $rc -eq 1 ]; then
			cell=REF
			ref=$((ref + 1))
		elif [ $rc -ne 0 ]; then
			cell=ERR
			bad=1
		else
			# shellcheck disable=SC2086
			if node "$ort/compare.js" "$in" "$out" $shape >"$work/$s-$t.ort" 2>&1; then o=ok; else o=FAIL; fi
			# shellcheck disable=SC2086
			if "$opt" check "$in" "$out" --sets 2 $shape >"$work/$s-$t.chk" 2>&1; then e=ok; else e=FAIL; fi
			cell="$o/$e"
			if [ $o = ok ] && [ $e = ok ]; then ok=$((ok + 1)); else bad=1; fi
		fi
		printf ' %-10s' "$cell"
	done
	printf '\n'
done
echo "pairs: $ok agree (ORT and ours), $ref refused"
for f in "$work"/*.err; do
	[ -s "$f" ] || continue
	b=$(basename "$f" .err)
	sed "s|^|  $b: |" "$f" | head -5
done
for f in "$work"/*.ort "$work"/*.chk; do
	[ -f "$f" ] || continue
	if grep -q 'FAIL\|error\|differ' "$f"; then
		echo "  $(basename "$f"):"
		sed 's/^/    /' "$f" | head -8
	fi
done
exit $bad
