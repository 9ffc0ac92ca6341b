#!/usr/bin/env python3
"""Write the hand-made broken models of tests/bad/ (run with /usr/bin/python3, which
has python3-onnx). Each file breaks one rule; tests/cli.sh expects every subcommand
to refuse it with exit status 2 and one clear line."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "bad")
os.makedirs(out, exist_ok=True)


def model(nodes, inputs=None, outputs=None, inits=(), **kw):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    g = helper.make_graph(nodes, "bad", inputs if inputs is not None else [x],
                          outputs if outputs is not None else [y], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], **kw)


def save(name, m):
    with open(os.path.join(out, name), "wb") as f:
        f.write(m.SerializeToString() if hasattr(m, "SerializeToString") else m)


save("undefined_input.onnx", model([helper.make_node("Relu", ["nope"], ["y"])]))
save("duplicate_name.onnx", model([helper.make_node("Relu", ["x"], ["y"]),
                                   helper.make_node("Neg", ["x"], ["y"])]))
save("cycle.onnx", model([helper.make_node("Add", ["x", "b"], ["a"]),
                          helper.make_node("Relu", ["a"], ["b"]),
                          helper.make_node("Identity", ["b"], ["y"])]))
w = numpy_helper.from_array(np.ones(4, np.float32), "w")
w.dims[:] = [5]                     # 16 bytes of data for 5 floats
save("size_mismatch.onnx", model([helper.make_node("Add", ["x", "w"], ["y"])], inits=[w]))
t = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
t.dims[:] = [3]                     # 2 values in float_data for 3 elements
save("field_count_mismatch.onnx", model([helper.make_node("Add", ["x", "w"], ["y"])], inits=[t]))
m = model([helper.make_node("Relu", ["x"], ["y"])])
save("no_graph.onnx", onnx.ModelProto(ir_version=8))
save("undefined_output.onnx", model([helper.make_node("Relu", ["x"], ["a"])]))


def external(name, location, offset=None, length=None):
    e = helper.make_tensor("w", TensorProto.FLOAT, [2], [0.0, 0.0])
    e.ClearField("float_data")
    e.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e.external_data.add(key=k, value=str(v))
    save(name, model([helper.make_node("Add", ["x", "w"], ["y"])], inits=[e]))


external("external_dotdot.onnx", "../bad_outside.bin")
external("external_absolute.onnx", "/etc/passwd")
external("external_symlink.onnx", "outside_link.bin")
external("external_missing.onnx", "missing.bin")
external("external_past_end.onnx", "small.bin", offset=4, length=8)
with open(os.path.join(out, "small.bin"), "wb") as f:
    f.write(b"\0" * 8)
link = os.path.join(out, "outside_link.bin")
if not os.path.lexists(link):
    os.symlink("/etc/hostname", link)
print("wrote", len([n for n in os.listdir(out) if n.endswith(".onnx")]), "models to", out)


def deep_if(depth):
    """If nodes nested depth deep, written straight in the wire format (onnx's own
    Python protobuf refuses to build so deep a message)."""
    def varint(n):
        b = bytearray()
        while True:
            low, n = n & 0x7F, n >> 7
            b.append(low | (0x80 if n else 0))
            if not n:
                return bytes(b)

    def field(num, payload):
        return varint(num << 3 | 2) + varint(len(payload)) + payload

    g = b""
    for _ in range(depth):
        attr = field(1, b"then_branch") + field(6, g)   # AttributeProto.name, .g
        g = field(1, field(4, b"If") + field(5, attr))  # GraphProto.node{op_type, attribute}
    return varint(1 << 3) + varint(8) + field(7, g)     # ModelProto.ir_version, .graph


save("deep_nesting.onnx", deep_if(1000))
