#!/bin/sh
# validate_speed.sh: `onnx-opt validate` against onnx.checker.check_model, side by side.
#
# Usage: bench/validate_speed.sh [MODEL...]
#   default models: /tmp/onnx-opt-bench/resnet50.onnx and /tmp/onnx-opt-bench/vit_b_16.onnx
#   (the ViT-B/16 export is made here, with /usr/bin/python3, torchvision and torch,
#   when it is missing: random weights, opset 14).
# Environment: ONNX_OPT (default ./onnx-opt), RUNS (default 5; the best run counts).
#
# Each figure is the best of RUNS runs, wall and CPU (user + system) time: for onnx-opt
# the whole process, loading the file included; for python the check_model(path) call
# alone (interpreter start-up and `import onnx` excluded, which favours python), with
# full_check=False and True. On a shared machine CPU time is the figure load does not
# distort.
set -eu

ONNX_OPT=${ONNX_OPT:-./onnx-opt}
RUNS=${RUNS:-5}
PY=/usr/bin/python3
BENCH=/tmp/onnx-opt-bench

if [ $# -eq 0 ]; then
	mkdir -p "$BENCH"
	if [ ! -f "$BENCH/vit_b_16.onnx" ]; then
		echo "exporting ViT-B/16 to $BENCH/vit_b_16.onnx ..." >&2
		"$PY" -c '
import sys, warnings
warnings.filterwarnings("ignore")
import torch, torchvision
m = torchvision.models.vit_b_16(weights=None).eval()
torch.onnx.export(m, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=14,
                  input_names=["input"], output_names=["output"])
' "$BENCH/vit_b_16.onnx"
	fi
	set -- "$BENCH/resnet50.onnx" "$BENCH/vit_b_16.onnx"
fi

# "wall_ms cpu_ms" of the best of RUNS runs of a command.
ox_ms() {
	"$PY" -c '
import os, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
bw = bc = None
for _ in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    w = (time.perf_counter() - t0) * 1e3
    c = (ru.ru_utime + ru.ru_stime) * 1e3
    bw = w if bw is None or w < bw else bw
    bc = c if bc is None or c < bc else bc
print("%d %d" % (bw, bc))
' "$RUNS" "$@"
}

# Same for onnx.checker.check_model(MODEL, full_check=FULL) inside one python process.
py_ms() {
	"$PY" -c '
import sys, time, warnings
warnings.filterwarnings("ignore")
import onnx.checker
path, full, runs = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
bw = bc = None
for _ in range(runs):
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        onnx.checker.check_model(path, full_check=full)
    except Exception as e:
        print("checker error:", e, file=sys.stderr)
    w, c = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
    bw = w if bw is None or w < bw else bw
    bc = c if bc is None or c < bc else bc
print("%d %d" % (bw, bc))
' "$1" "$2" "$RUNS"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); best of $RUNS; each cell: wall ms / cpu ms"
printf '%-20s %5s %6s | %13s %13s | %13s %13s | %s\n' model MB nodes \
	"ox validate" "ox --full" "py check" "py full" "cpu ratio (check, full)"
for m in "$@"; do
	mb=$(( $(stat -c %s "$m") / 1000000 ))
	nodes=$("$PY" -c "import onnx,sys; print(len(onnx.load(sys.argv[1], load_external_data=False).graph.node))" "$m")
	r=$(ox_ms "$ONNX_OPT" validate "$m"); ow=${r% *}; oc=${r#* }
	r=$(ox_ms "$ONNX_OPT" validate --full "$m"); fw=${r% *}; fc=${r#* }
	r=$(py_ms "$m" 0); pw=${r% *}; pc=${r#* }
	r=$(py_ms "$m" 1); qw=${r% *}; qc=${r#* }
	ratio=$(awk "BEGIN { printf \"%.1fx, %.1fx\", $pc / ($oc > 0 ? $oc : 1), $qc / ($fc > 0 ? $fc : 1) }")
	printf '%-20s %5s %6s | %13s %13s | %13s %13s | %s\n' "$(basename "$m")" "$mb" "$nodes" \
		"$ow / $oc" "$fw / $fc" "$pw / $pc" "$qw / $qc" "$ratio"
done
