#!/bin/sh
# bench/passes_table.sh: `onnx-opt optimize` against ONNX Runtime's graph optimizer on
# the zoo's _nofold exports (issue 5's table).
#
# Per model: node count before (subgraphs included, as onnx-opt info counts them),
# after `onnx-opt optimize` (default pipeline), after ORT's basic and extended levels
# (optimize.js, the session's optimized-model path); the time each took (ours: the
# whole command, load and save included, best of RUNS; ORT: session creation with the
# optimized-model path, best of RUNS); and whether the outputs agree: `onnx-opt check`
# original against optimized (our executor, 2 seeded input sets, its default
# tolerances rtol 1e-4 atol 1e-5; the largest max_abs over the outputs is printed)
# and ORT's compare.js on the same pair (rtol 1e-3, atol 1e-4).
#
# Usage: bench/passes_table.sh ORT_HARNESS_DIR [MODEL...]
#   ORT_HARNESS_DIR: an installed copy of shared/tools/ort (see its README)
#   ZOO: directory of the exports (default /tmp/onnx-opt-zoo; bench/export_zoo.py)
#   ONNX_OPT: the binary (default ./onnx-opt at the top of the tree)
#   RUNS: timing repetitions (default 3)
#   MODEL default: resnet18 resnet50 mobilenet_v2 mobilenet_v3_small efficientnet_b0
#                  densenet121 vit_b_16 bert4 (each NAME_nofold.onnx)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
ort=$(cd "${1:?usage: passes_table.sh ORT_HARNESS_DIR [MODEL...]}" && pwd)
shift
zoo=${ZOO:-/tmp/onnx-opt-zoo}
opt=${ONNX_OPT:-$here/onnx-opt}
runs=${RUNS:-3}
[ $# -gt 0 ] || set -- resnet18 resnet50 mobilenet_v2 mobilenet_v3_small efficientnet_b0 \
	densenet121 vit_b_16 bert4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
nodes() { node "$ort/opcount.js" "$1" | sed -n 's/.*"nodeCountWithSubgraphs": *\([0-9]*\).*/\1/p'; }
ms() { echo "$1 $2" | awk '{ printf "%.0f", ($2 - $1) * 1000 }'; }
min() { if [ -z "$1" ]; then echo "$2"; else echo "$1 $2" | awk '{ print ($2 + 0 < $1 + 0) ? $2 : $1 }'; fi; }

printf '%-20s %7s %7s %7s %8s %9s %9s %9s  %-22s %s\n' model before ours ort-bas ort-ext \
	ours-ms ortbas-ms ortext-ms "check (max abs err)" "ort compare"
for name in "$@"; do
	in="$zoo/${name}_nofold.onnx"
	if [ ! -f "$in" ]; then
		echo "$name: $in missing (run /usr/bin/python3 bench/export_zoo.py)" >&2
		continue
	fi
	case $name in
	bert*) shapes="--shape input_ids=1x128 --shape attention_mask=1x128"
	       oshapes="--shape input_ids=1x128 --shape attention_mask=1x128" ;;
	*) shapes="--shape input=1x3x224x224"; oshapes="--shape input=1x3x224x224" ;;
	esac
	out="$work/$name.opt.onnx"
	t_ours= t_bas= t_ext=
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(now)
		"$opt" optimize "$in" -o "$out" >/dev/null
		t1=$(now)
		t_ours=$(min "$t_ours" "$(ms "$t0" "$t1")")
		for lv in basic extended; do
			t=$(node "$ort/optimize.js" "$in" "$work/$name.$lv.onnx" "$lv" --json |
				sed -n 's/.*"sessionCreateMs": *\([0-9.]*\).*/\1/p')
			if [ $lv = basic ]; then t_bas=$(min "$t_bas" "$t"); else t_ext=$(min "$t_ext" "$t"); fi
		done
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	if "$opt" check "$in" "$out" --sets 2 $shapes >"$work/chk" 2>&1; then v=ok; else v=DIFF; fi
	chk="$v $(awk '{ for (i = 1; i < NF; i++) if ($i == "max_abs" && $(i + 1) + 0 > m) m = $(i + 1) + 0 }
		END { printf "%.2g", m + 0 }' "$work/chk")"
	# shellcheck disable=SC2086
	if node "$ort/compare.js" "$in" "$out" $oshapes --atol 1e-4 --rtol 1e-3 >"$work/cmp" 2>&1; then
		cmp=ok
	else
		cmp="FAIL ($(grep -c FAIL "$work/cmp") outputs)"
	fi
	printf '%-20s %7s %7s %7s %8s %9s %9s %9s  %-22s %s\n' "${name}_nofold" "$(nodes "$in")" \
		"$(nodes "$out")" "$(nodes "$work/$name.basic.onnx")" "$(nodes "$work/$name.extended.onnx")" \
		"$t_ours" "${t_bas%.*}" "${t_ext%.*}" "$chk" "$cmp"
done
