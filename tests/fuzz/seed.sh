#!/bin/sh
# tests/fuzz/seed.sh: a seed corpus for the fuzz harnesses from the test suite.
# Usage: tests/fuzz/seed.sh OUTDIR [SRCDIR]
# Copies the hand-made bad models, the invalid models of validate, the suite's own
# models and every third model of the ONNX backend test data (the small ones: the
# fuzzer mutates better below 64 KiB). Minimize afterwards with
#   tests/fuzz/fuzz_load -merge=1 MINDIR OUTDIR
set -e
out=${1:?usage: seed.sh OUTDIR [SRCDIR]}
srcdir=${2:-$(dirname "$0")/../..}
data=${ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
mkdir -p "$out"
n=0
add() {
	[ -f "$1" ] || return 0
	[ "$(wc -c <"$1")" -le 65536 ] || return 0
	cp "$1" "$out/$(echo "$1" | sed 's|^.*/data/||; s|^[./]*||; s|/|_|g')"
	n=$((n + 1))
}
for f in "$srcdir"/tests/bad/*.onnx "$srcdir"/tests/bad/fuzz/* "$srcdir"/tests/invalid/*.onnx \
	"$srcdir"/tests/models/*.onnx "$srcdir"/tests/models/check/*.onnx "$srcdir"/examples/*.onnx; do
	add "$f"
done
i=0
for f in "$data"/node/*/model.onnx "$data"/simple/*/model.onnx "$data"/pytorch-*/*/model.onnx; do
	i=$((i + 1))
	[ $((i % 3)) -eq 0 ] && add "$f"
done
echo "seed.sh: $n models in $out"
