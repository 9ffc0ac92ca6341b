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
    """A 2-float initializer stored in location (None: no location entry)."""
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


def varint(n):
    n &= (1 << 64) - 1
    b = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        b.append(low | (0x80 if n else 0))
        if not n:
            return bytes(b)


def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def deep_if(depth):
    """If nodes nested depth deep, written straight in the wire format (onnx's own
    Python protobuf refuses to build so deep a message)."""
    g = b""
    for _ in range(depth):
        attr = field(1, b"then_branch") + field(6, g)   # AttributeProto.name, .g
        g = field(1, field(4, b"If") + field(5, attr))  # GraphProto.node{op_type, attribute}
    return varint(1 << 3) + varint(8) + field(7, g)     # ModelProto.ir_version, .graph


save("deep_nesting.onnx", deep_if(1000))
save("deep_nesting_10000.onnx", deep_if(10000))

# --- the wire format itself ---
good = model([helper.make_node("Relu", ["x"], ["y"], name="relu")]).SerializeToString()
save("truncated.onnx", good[:len(good) * 2 // 3])
save("wrong_wire_type.onnx", varint(1 << 3) + varint(8) + varint(7 << 3) + varint(5))  # graph as a varint
# a node's op_type (a string) sent as a fixed32
save("wrong_wire_type_string.onnx", varint(1 << 3) + varint(8) +
     field(7, field(1, varint(4 << 3 | 5) + b"Relu")))
save("huge_varint.onnx", varint(1 << 3) + b"\xff" * 10 + b"\x01")             # 11-byte varint
save("huge_length.onnx", varint(7 << 3 | 2) + varint(1 << 62) + b"\0" * 16)  # graph of 2^62 bytes
save("garbage.onnx", bytes(range(256)) * 4)
deep_type = b"\x0a\x00"                                                         # TypeProto{tensor_type{}}
for _ in range(10000):
    deep_type = field(4, field(1, deep_type))                                   # sequence_type.elem_type
save("deep_types.onnx", varint(1 << 3) + varint(8) + field(7, field(11, field(1, b"x") + field(2, deep_type))))
# string_data entry whose length runs past the end of its TensorProto
bad_string = varint(1 << 3) + varint(1) + varint(2 << 3) + varint(8) + varint(6 << 3 | 2) + varint(100) + b"abc"
save("string_bad_length.onnx", varint(1 << 3) + varint(8) + field(7, field(5, bad_string)))


def init_model(t, op="Add"):
    return model([helper.make_node(op, ["x", t.name], ["y"])], inits=[t])


# --- tensor sizes and data ---
def raw(name, dtype, dims, data):
    t = TensorProto(name=name, data_type=dtype, raw_data=data)
    t.dims.extend(dims)
    return t


save("negative_dim.onnx", init_model(raw("w", TensorProto.FLOAT, [-2], b"")))
save("dims_overflow.onnx", init_model(raw("w", TensorProto.FLOAT, [1 << 32, 1 << 32], b"\0" * 8)))
save("bytes_overflow.onnx", init_model(raw("w", TensorProto.FLOAT, [1 << 31, 1 << 31], b"\0" * 8)))
save("huge_tensor.onnx", init_model(raw("w", TensorProto.FLOAT, [1 << 40], b"\0" * 8)))
save("rank_65.onnx", init_model(raw("w", TensorProto.FLOAT, [1] * 65, b"\0" * 4)))
save("raw_data_long.onnx", init_model(raw("w", TensorProto.FLOAT, [2], b"\0" * 12)))
save("unknown_dtype.onnx", init_model(raw("w", 99, [2], b"\0" * 8)))
c = helper.make_node("Constant", [], ["c"], value=raw("v", 200, [2], b"\0" * 2))
save("unknown_dtype_constant.onnx", model([c, helper.make_node("Add", ["x", "c"], ["y"])]))
c = helper.make_node("Constant", [], ["c"], value=raw("v", TensorProto.FLOAT, [-1], b""))
save("negative_dim_constant.onnx", model([c, helper.make_node("Add", ["x", "c"], ["y"])]))
t = helper.make_tensor("s", TensorProto.STRING, [2], [b"a", b"b"])
t.string_data.append(b"c")                                                      # 3 strings for 2
save("string_count.onnx", init_model(t, "Identity"))
save("string_raw_data.onnx", init_model(raw("s", TensorProto.STRING, [2], b"ab"), "Identity"))
t = helper.make_tensor("w", TensorProto.INT64, [2], [1, 2])
t.ClearField("int64_data")
t.float_data.extend([1.0, 2.0])                                                 # int64 in float_data
save("wrong_data_field.onnx", init_model(t))
t = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
t.raw_data = b"\0" * 8                                                          # both raw and typed
save("two_data_fields.onnx", init_model(t))
t = helper.make_tensor("w", TensorProto.UINT8, [2], [1, 2])
t.int32_data[:] = [1, 300]                                                      # 300 in a uint8
save("int32_data_overflow.onnx", init_model(t))

# --- graph structure ---
save("cycle_self.onnx", model([helper.make_node("Relu", ["a"], ["a"]), helper.make_node("Relu", ["x"], ["y"])]))
save("duplicate_output.onnx", model([helper.make_node("Split", ["x"], ["a", "a"], axis=0),
                                     helper.make_node("Relu", ["a"], ["y"])]))
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
save("duplicate_input.onnx", model([helper.make_node("Relu", ["x"], ["y"])], inputs=[x, x]))
save("duplicate_initializer.onnx", model([helper.make_node("Add", ["x", "w"], ["y"])],
                                         inits=[numpy_helper.from_array(np.ones(2, np.float32), "w")] * 2))
save("output_shadows_input.onnx", model([helper.make_node("Relu", ["x"], ["x"]), helper.make_node("Relu", ["x"], ["y"])]))
save("empty_name.onnx", model([helper.make_node("Relu", ["x"], ["y"])],
                              inputs=[helper.make_tensor_value_info("", TensorProto.FLOAT, [2])]))
cond = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
yo = helper.make_tensor_value_info("o", TensorProto.FLOAT, [2])


def branch(src):
    return helper.make_graph([helper.make_node("Identity", [src], ["o"])], "b", [], [yo])


save("undefined_input_subgraph.onnx", model([helper.make_node("If", ["c"], ["y"], then_branch=branch("nope"),
                                                              else_branch=branch("x"))], inputs=[x, cond]))
# the If's body reads the If's own output from the outer scope
save("self_referential_subgraph.onnx", model([helper.make_node("If", ["c"], ["y"], then_branch=branch("y"),
                                                               else_branch=branch("x"))], inputs=[x, cond]))
# two Ifs, each body reading the other's output
save("subgraph_cycle.onnx", model([helper.make_node("If", ["c"], ["a"], then_branch=branch("b"), else_branch=branch("x")),
                                   helper.make_node("If", ["c"], ["b"], then_branch=branch("a"), else_branch=branch("x")),
                                   helper.make_node("Identity", ["a"], ["y"])], inputs=[x, cond]))
a = helper.make_attribute("to", 1)
a.ClearField("i")
a.f = 1.0                                                                       # typed INT, holds a FLOAT
n = helper.make_node("Cast", ["x"], ["y"])
n.attribute.append(a)
save("attr_wrong_type.onnx", model([n]))
a = helper.make_attribute("perm", [0])
a.floats.append(0.5)                                                            # typed INTS, holds FLOATS too
n = helper.make_node("Transpose", ["x"], ["y"])
n.attribute.append(a)
save("attr_wrong_type_list.onnx", model([n]))


# --- external data ---
external("external_offset_past_end.onnx", "small.bin", offset=100)
external("external_no_length.onnx", "small.bin", offset=4)                      # 4 bytes left for 8
external("external_bad_offset.onnx", "small.bin", offset=-4)
external("external_length_overflow.onnx", "small.bin", offset=4, length=(1 << 64) - 2)
external("external_directory.onnx", ".")
external("external_nested_dotdot.onnx", "sub/../../bad_outside.bin")
external("external_symlink_dir.onnx", "outside_dir/hostname")
external("external_no_location.onnx", None, offset=0)
e = helper.make_tensor("w", TensorProto.FLOAT, [2], [0.0, 0.0])
e.data_location = TensorProto.EXTERNAL
e.external_data.add(key="location", value="small.bin")
save("external_and_data.onnx", model([helper.make_node("Add", ["x", "w"], ["y"])], inits=[e]))
link = os.path.join(out, "outside_dir")
if not os.path.lexists(link):
    os.symlink("/etc", link)


# --- sparse tensors ---
def sparse(dims, values, indices, idx_dims=None, name="sw"):
    v = numpy_helper.from_array(np.array(values, np.float32), name)
    i = numpy_helper.from_array(np.array(indices, np.int64), "")
    if idx_dims is not None:
        i.dims[:] = idx_dims
    return helper.make_sparse_tensor(v, i, dims)


def sparse_model(sp, name):
    m = model([helper.make_node("Add", ["x", "sw"], ["y"])])
    m.graph.sparse_initializer.append(sp)
    save(name, m)


sparse_model(sparse([4], [1, 2], [1, 5]), "sparse_out_of_range.onnx")
sparse_model(sparse([4], [1, 2], [-1, 2]), "sparse_negative_index.onnx")
sparse_model(sparse([2, 2], [1, 2], [0, 1, 1, 7], [2, 2]), "sparse_2d_out_of_range.onnx")
sparse_model(sparse([4], [1, 2], [0, 1, 2]), "sparse_count_mismatch.onnx")
sparse_model(sparse([1 << 32, 1 << 32], [1], [0]), "sparse_dims_overflow.onnx")
c = helper.make_node("Constant", [], ["c"], sparse_value=sparse([4], [1, 2], [0, 9], name="v"))
save("sparse_constant_out_of_range.onnx", model([c, helper.make_node("Add", ["x", "c"], ["y"])]))

print("wrote", len([n for n in os.listdir(out) if n.endswith(".onnx")]), "models to", out)
