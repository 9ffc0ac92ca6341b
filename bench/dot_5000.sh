#!/bin/sh
# Time `onnx-opt dot` on a generated 5,000-node model, laid out and rendered to SVG
# in-process (the goal: under 30 s on this machine).
#
#   bench/dot_5000.sh [ONNX_OPT]        (default ./onnx-opt)
#
# The model is a ResNet-like stack: 714 blocks of Conv-BatchNormalization-Relu-
# Conv-BatchNormalization-Add-Relu on [1,8,16,16], then GlobalAveragePool and
# Flatten: 5,000 nodes, 3,570 initializers (every box lists weights, so the labels
# are as heavy as a real CNN's). It is written to /tmp with onnx.helper by
# /usr/bin/python3 (the Debian python3-onnx) and never committed.
set -eu
OX=${1:-./onnx-opt}
DIR=${TMPDIR:-/tmp}/onnx-opt-dot-bench
mkdir -p "$DIR"
MODEL=$DIR/chain5000.onnx

/usr/bin/python3 - "$MODEL" <<'PY'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

C, BLOCKS = 8, 714
rng = np.random.default_rng(5000)
nodes, inits = [], []

def init(name, arr):
    inits.append(numpy_helper.from_array(arr.astype(np.float32), name))
    return name

def conv_bn(x, tag):
    w = init(tag + ".w", rng.standard_normal((C, C, 3, 3)))
    nodes.append(helper.make_node("Conv", [x, w], [tag + ".c"], pads=[1, 1, 1, 1],
                                  kernel_shape=[3, 3], name=tag + ".conv"))
    bn = [init(tag + "." + k, rng.random(C) + (1.0 if k == "var" else 0.0))
          for k in ("scale", "bias", "mean", "var")]
    nodes.append(helper.make_node("BatchNormalization", [tag + ".c"] + bn, [tag + ".b"],
                                  name=tag + ".bn"))
    return tag + ".b"

x = "input"
for i in range(BLOCKS):
    t = "blk%d" % i
    a = conv_bn(x, t + ".a")
    nodes.append(helper.make_node("Relu", [a], [t + ".r1"], name=t + ".relu1"))
    b = conv_bn(t + ".r1", t + ".b")
    nodes.append(helper.make_node("Add", [b, x], [t + ".sum"], name=t + ".add"))
    nodes.append(helper.make_node("Relu", [t + ".sum"], [t + ".out"], name=t + ".relu2"))
    x = t + ".out"
nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
nodes.append(helper.make_node("Flatten", ["pooled"], ["output"], name="flatten"))
assert len(nodes) == 5000
g = helper.make_graph(nodes, "chain5000",
                      [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, C, 16, 16])],
                      [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, C])],
                      inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
PY

# Wall time is the goal; CPU time shows what the machine's load added.
for opts in "" "--shapes" "--shapes --attrs"; do
	# shellcheck disable=SC2086
	/usr/bin/time -f "%e %U" -o "$DIR/time" "$OX" dot "$MODEL" --max-nodes 5000 $opts \
		-o "$DIR/chain5000.svg"
	read -r wall cpu <"$DIR/time"
	printf 'dot %-17s 5000 nodes -> SVG, %s bytes: %s s wall, %s s CPU\n' \
		"${opts:-(defaults)}" "$(wc -c <"$DIR/chain5000.svg")" "$wall" "$cpu"
done
uptime
