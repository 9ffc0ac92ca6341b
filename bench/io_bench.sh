#!/bin/sh
# Load/save cost of the format layer next to a plain copy of the same file.
# Usage: bench/io_bench.sh [DIR]   (DIR holds resnet50.onnx and huge.onnx from
# bench/gen_big_model.py; default /tmp/onnx-opt-bench; generated when missing)
# Prints, per command, the best wall time of 5 runs and the peak RSS (GNU time).
set -eu
OX=${ONNX_OPT:-./onnx-opt}
DIR=${1:-/tmp/onnx-opt-bench}
if [ ! -f "$DIR/resnet50.onnx" ]; then
	/usr/bin/python3 "$(dirname "$0")/gen_big_model.py" "$DIR"
fi
M=$DIR/resnet50.onnx
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

measure() {
	label=$1
	shift
	best=
	rss=
	for _ in 1 2 3 4 5; do
		/usr/bin/time -f '%e %M' -o "$OUT/t" "$@" >/dev/null
		set -- "$@"
		read -r t r <"$OUT/t"
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
		rss=$r
	done
	printf '%-44s %8s s %10s KB peak RSS\n' "$label" "$best" "$rss"
}

printf 'model: %s (%s bytes)\n' "$M" "$(wc -c <"$M")"
measure "cp" cp "$M" "$OUT/copy.onnx"
measure "onnx-opt info" "$OX" info "$M"
measure "onnx-opt optimize --passes none" "$OX" optimize "$M" -o "$OUT/out.onnx" --passes none
measure "onnx-opt optimize --external-data" "$OX" optimize "$M" -o "$OUT/ext.onnx" --external-data
if [ -f "$DIR/huge.onnx" ]; then
	printf 'model: %s (+ %s bytes of external data)\n' "$DIR/huge.onnx" "$(wc -c <"$DIR/huge.data")"
	measure "onnx-opt info (huge)" "$OX" info "$DIR/huge.onnx"
	measure "onnx-opt optimize --external-data (huge)" "$OX" optimize "$DIR/huge.onnx" -o "$OUT/huge.onnx" --external-data
	"$OX" info "$OUT/huge.onnx" | grep parameters
fi
