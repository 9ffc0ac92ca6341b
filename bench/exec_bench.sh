#!/bin/sh
# The executor's speed and memory targets (issue 4), measured side by side with
# ONNX Runtime 1.30 in one run.
#
#   bench/exec_bench.sh [ITERS]        (run from the top of a built tree; default 50)
#
# Speed: median latency of ResNet-18, MobileNetV2 and the BERT-like 4-layer encoder
# (bench/export_zoo.py writes them to $ZOO, default /tmp/onnx-opt-zoo; they are
# exported first when missing) at 1 and 2 threads: ours is
# `onnx-opt run MODEL --benchmark N --threads T`, ORT's is
# `node bench.js MODEL --threads T --iters N` in a copy of ../shared/tools/ort.
# The two run one after the other for each cell, so they see the same machine load,
# ROUNDS times (default 3) alternately; each side's figure is the median of its
# rounds' medians. MODES (default "asis unset") picks the environment modes below.
# Everything runs twice: with the environment as it is, and with OPENBLAS_CORETYPE
# and OPENBLAS_L2_SIZE unset in our benchmark command alone (the kernel OpenBLAS
# picks in each case is printed, from OPENBLAS_VERBOSE=2).
#
# Memory: peak RSS (/usr/bin/time -f %M) of `onnx-opt run` on ResNet-50 ($R50,
# default $ZOO/resnet50.onnx, from bench/export_zoo.py), the same for `onnx-opt info` (the load
# alone), the highest RSS sampled while the timed runs go on (after the load), the
# model size and the largest activation working set (bench/activation_peak.py).
#
# Environment: SKIP_SPEED=1 (memory part only), ZOO, R50, ORT_HARNESS (an installed copy of the harness; made in a
# temporary directory with `npm install --ignore-scripts` otherwise), PY (python
# with torch and onnx, default /usr/bin/python3). The load average is printed: the
# machine has 2 cores and is shared, so compare ratios, not absolute times.
set -eu

ITERS=${1:-50}
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-asis unset}
ZOO=${ZOO:-/tmp/onnx-opt-zoo}
R50=${R50:-$ZOO/resnet50.onnx}
PY=${PY:-/usr/bin/python3}
TOP=$(pwd)
OX="$TOP/onnx-opt"
[ -x "$OX" ] || { echo "exec_bench: build first (no ./onnx-opt)" >&2; exit 2; }

SKIP_SPEED=${SKIP_SPEED:-0}
for m in resnet18 mobilenet_v2 bert4; do
	[ "$SKIP_SPEED" = 1 ] && break
	if [ ! -f "$ZOO/$m.onnx" ]; then
		"$PY" "$TOP/bench/export_zoo.py" "$ZOO" --only resnet18,mobilenet_v2,bert4
		break
	fi
done

if [ "$SKIP_SPEED" != 1 ] && [ -z "${ORT_HARNESS:-}" ]; then
	ORT_HARNESS=$(mktemp -d)/ort
	cp -r "$TOP/../shared/tools/ort" "$ORT_HARNESS" 2>/dev/null ||
		cp -r /work/shared/tools/ort "$ORT_HARNESS"
	(cd "$ORT_HARNESS" && npm install --ignore-scripts >/dev/null 2>&1)
fi

shapes() {
	case "$1" in
	bert4) echo "--shape input_ids=1x128 --shape attention_mask=1x128" ;;
	*) echo "--shape input=1x3x224x224" ;;
	esac
}

median_ours() { # MODEL THREADS ENVMODE
	# shellcheck disable=SC2046
	if [ "$3" = unset ]; then
		env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$OX" run "$1" $(shapes "$(basename "$1" .onnx)") \
			--benchmark "$ITERS" --threads "$2"
	else
		"$OX" run "$1" $(shapes "$(basename "$1" .onnx)") --benchmark "$ITERS" --threads "$2"
	fi | sed -n 's/.*"median_ms": \([0-9.]*\).*/\1/p'
}

median_ort() { # MODEL THREADS
	# shellcheck disable=SC2046
	(cd "$ORT_HARNESS" && node bench.js "$1" --threads "$2" --iters "$ITERS" \
		$(shapes "$(basename "$1" .onnx)") --json) |
		sed -n 's/.*"medianMs": *\([0-9.]*\).*/\1/p' | head -1
}

mid() { # the median of the arguments
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

core() { # ENVMODE
	if [ "$1" = unset ]; then
		env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_VERBOSE=2 "$OX" run "$ZOO/resnet18.onnx" \
			--shape input=1x3x224x224 2>&1 >/dev/null | grep -i core | head -1
	else
		OPENBLAS_VERBOSE=2 "$OX" run "$ZOO/resnet18.onnx" --shape input=1x3x224x224 2>&1 >/dev/null |
			grep -i core | head -1
	fi
}

echo "# onnx-opt executor vs ONNX Runtime 1.30, median ms over $ITERS runs, median of $ROUNDS alternating rounds ($(date -u +%FT%TZ))"
echo "# $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in $MODES; do
	[ "${SKIP_SPEED:-0}" = 1 ] && break
	if [ "$mode" = asis ]; then
		echo "## environment as it is (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}," \
		     "OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}); OpenBLAS: $(core asis)"
	else
		echo "## OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in our command; OpenBLAS: $(core unset)"
	fi
	printf '%-14s %7s %10s %10s %8s %s\n' model threads ours_ms ort_ms ratio load1
	for m in resnet18 mobilenet_v2 bert4; do
		for t in 1 2; do
			# ROUNDS alternations of ours and ORT; the median of each side's medians
			o_all='' r_all=''
			for _ in $(seq "$ROUNDS"); do
				o_all="$o_all $(median_ours "$ZOO/$m.onnx" "$t" "$mode")"
				r_all="$r_all $(median_ort "$ZOO/$m.onnx" "$t")"
			done
			ours=$(mid $o_all)
			ort=$(mid $r_all)
			printf '%-14s %7s %10s %10s %8s %s\n' "$m" "$t" "$ours" "$ort" \
				"$(awk -v a="$ours" -v b="$ort" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')" \
				"$(cut -d' ' -f1 /proc/loadavg)"
		done
	done
done

if [ -f "$R50" ]; then
	echo "## peak RSS, ResNet-50 ($R50)"
	size=$(stat -c %s "$R50")
	act=$("$PY" "$TOP/bench/activation_peak.py" "$R50" --shape input=1x3x224x224 --json |
		sed -n 's/.*"peak_bytes": \([0-9]*\).*/\1/p')
	load_kb=$( { /usr/bin/time -f '%M' "$OX" info "$R50" >/dev/null; } 2>&1 | tail -1)
	run_kb=$( { /usr/bin/time -f '%M' "$OX" run "$R50" --shape input=1x3x224x224 --threads 1 >/dev/null; } 2>&1 | tail -1)
	# The highest RSS while timed runs go on, sampled after the model is loaded.
	"$OX" run "$R50" --shape input=1x3x224x224 --threads 1 --benchmark 20 >/dev/null &
	pid=$!
	steady=0 prev=0
	while kill -0 "$pid" 2>/dev/null; do
		kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
		kb=${kb:-0}
		# the load is over once RSS stops growing by more than 1 MiB between samples
		if [ "$prev" -gt 0 ] && [ "$kb" -le $((prev + 1024)) ] && [ "$kb" -gt "$steady" ]; then
			steady=$kb
		fi
		prev=$kb
		sleep 0.05
	done
	wait "$pid" || true
	echo "model size:                         $((size / 1024)) KiB"
	echo "largest activation working set:     $((act / 1024)) KiB (bench/activation_peak.py)"
	echo "target (model + 2 x working set):   $(((size + 2 * act) / 1024)) KiB"
	echo "peak RSS, onnx-opt run (1 run):     $run_kb KiB"
	echo "peak RSS, onnx-opt info (load only): $load_kb KiB"
	echo "highest RSS sampled during 20 timed runs (after the load): $steady KiB"
fi
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
