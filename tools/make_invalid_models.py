#!/usr/bin/python3
"""Write the broken models of tests/invalid/: each breaks exactly one rule of a valid
ONNX model, and its file name says which (the code name onnx-opt reports, then what
was done). tests/check_validate.c expects each file's code; tools/validate_agreement.py
compares the verdicts with onnx.checker.

Usage: /usr/bin/python3 tools/make_invalid_models.py [OUTDIR]   (default tests/invalid)
Needs python3-onnx (1.12). The output is deterministic.
"""
import os
import sys

import onnx
from onnx import TensorProto as T
from onnx import helper as h

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "invalid")


def vi(name, dtype=T.FLOAT, shape=(2, 3)):
    return h.make_tensor_value_info(name, dtype, list(shape) if shape is not None else None)


def model(nodes=None, inputs=None, outputs=None, inits=None, opset=13, ir=7, name="g",
          value_info=None, sparse=None, functions=None, extra_opsets=()):
    """The base: y = Relu(x) + w, with x, y float[2,3] and w an initializer."""
    if nodes is None:
        nodes = [h.make_node("Relu", ["x"], ["r"], name="relu"),
                 h.make_node("Add", ["r", "w"], ["y"], name="add")]
    if inputs is None:
        inputs = [vi("x")]
    if outputs is None:
        outputs = [vi("y")]
    if inits is None:
        inits = [h.make_tensor("w", T.FLOAT, [2, 3], [0.5] * 6)]
    g = h.make_graph(nodes, name, inputs, outputs, initializer=inits, value_info=value_info or [],
                     sparse_initializer=sparse or [])
    ops = [h.make_opsetid("", opset)] + [h.make_opsetid(d, v) for d, v in extra_opsets]
    m = h.make_model(g, opset_imports=ops, ir_version=ir, producer_name="make_invalid_models")
    if functions:
        m.functions.extend(functions)
    return m


def relu(inp="x", out="y", **kw):
    return h.make_node("Relu", [inp], [out], name="relu", **kw)


def one(nodes, **kw):
    return model(nodes=nodes, inits=[], **kw)


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


# --- model header ---
@case
def ir_version_missing__no_ir_version():
    m = model()
    m.ClearField("ir_version")
    return m


@case
def ir_version_unknown__ir_99():
    return model(ir=99)


@case
def opset_missing__no_opset_import():
    m = model()
    del m.opset_import[:]
    return m


@case
def opset_forbidden__ir2_with_opset_import():
    # Before IR 4 initializers are graph inputs too: only the opset rule is broken.
    return model(ir=2, inputs=[vi("x"), vi("w")])


@case
def opset_not_imported__custom_domain():
    return one([h.make_node("Foo", ["x"], ["y"], domain="com.example", name="foo")])


@case
def opset_version_invalid__version_0():
    return model(opset=0)


@case
def opset_version_invalid__version_missing():
    m = model()
    m.opset_import[0].ClearField("version")
    return m


# --- graph structure ---
@case
def graph_name_empty__main_graph():
    return model(name="")


def if_model(then_nodes, then_name="then", outer_after=False, then_out="t_out"):
    then = h.make_graph(then_nodes, then_name, [], [vi(then_out)])
    els = h.make_graph([h.make_node("Identity", ["x"], ["e_out"], name="e_id")], "else", [], [vi("e_out")])
    nodes = [h.make_node("If", ["c"], ["y"], name="if", then_branch=then, else_branch=els)]
    if outer_after:
        nodes.append(h.make_node("Relu", ["x"], ["late"], name="late_relu"))
    return model(nodes=nodes, inputs=[vi("x"), vi("c", T.BOOL, [])], inits=[])


@case
def graph_name_empty__subgraph():
    return if_model([h.make_node("Identity", ["x"], ["t_out"], name="t_id")], then_name="")


@case
def not_topological__node_order():
    return model(nodes=[h.make_node("Add", ["r", "w"], ["y"], name="add"),
                        h.make_node("Relu", ["x"], ["r"], name="relu")])


@case
def not_topological__outer_value_defined_after_if():
    return if_model([h.make_node("Identity", ["late"], ["t_out"], name="t_id")], outer_after=True)


@case
def initializer_not_input__ir3():
    return model(ir=3, opset=7)


@case
def value_type_missing__graph_input():
    return model(inputs=[h.make_empty_tensor_value_info("x")])


@case
def value_type_missing__graph_output():
    return model(outputs=[h.make_empty_tensor_value_info("y")])


@case
def value_elem_type_missing__graph_input():
    return model(inputs=[vi("x", T.UNDEFINED)])


@case
def value_shape_missing__graph_input():
    return model(inputs=[vi("x", T.FLOAT, None)])


@case
def node_without_io__extra_node():
    m = model()
    m.graph.node.append(h.make_node("Relu", [], [], name="lonely"))
    return m


@case
def op_type_empty__node():
    m = model()
    m.graph.node[0].op_type = ""
    return m


# --- nodes against schemas ---
@case
def unknown_op__not_an_onnx_op():
    return one([h.make_node("Frobnicate", ["x"], ["y"], name="frob")])


@case
def unknown_op__newer_than_opset():
    return one([h.make_node("Gelu", ["x"], ["y"], name="gelu")], opset=13)


@case
def deprecated_op__upsample_at_10():
    return model(nodes=[h.make_node("Upsample", ["x", "s"], ["y"], name="up")],
                 inits=[h.make_tensor("s", T.FLOAT, [2], [1.0, 1.0])], opset=10)


@case
def input_count__too_many():
    return one([h.make_node("Relu", ["x", "x"], ["y"], name="relu")])


@case
def input_count__too_few():
    return one([h.make_node("Add", ["x"], ["y"], name="add")])


@case
def output_count__too_many():
    return one([h.make_node("Relu", ["x"], ["y", "z"], name="relu")])


@case
def required_input_empty__add():
    return one([h.make_node("Add", ["x", ""], ["y"], name="add")])


@case
def unknown_attribute__relu_alpha():
    return one([relu(alpha=0.5)])


@case
def attribute_type__cast_to_float():
    n = h.make_node("Cast", ["x"], ["y"], name="cast", to=1)
    n.attribute[0].type = onnx.AttributeProto.FLOAT
    n.attribute[0].ClearField("i")
    n.attribute[0].f = 1.0
    return one([n])


@case
def attribute_missing__cast_without_to():
    return one([h.make_node("Cast", ["x"], ["y"], name="cast")])


@case
def attribute_missing__if_without_else():
    m = if_model([h.make_node("Identity", ["x"], ["t_out"], name="t_id")])
    n = m.graph.node[0]
    keep = [a for a in n.attribute if a.name != "else_branch"]
    del n.attribute[:]
    n.attribute.extend(keep)
    return m


@case
def attribute_type_missing__no_type_field():
    n = h.make_node("Cast", ["x"], ["y"], name="cast", to=1)
    n.attribute[0].ClearField("type")
    return one([n])


@case
def attribute_value_field__int_and_float():
    n = h.make_node("Cast", ["x"], ["y"], name="cast", to=1)
    n.attribute[0].f = 2.0
    return one([n])


@case
def attribute_value_empty__empty_perm():
    n = h.make_node("Transpose", ["x"], ["y"], name="tr", perm=[1, 0])
    del n.attribute[0].ints[:]
    return model(nodes=[n], inits=[], outputs=[vi("y", T.FLOAT, (3, 2))])


@case
def attribute_value_empty__constant_without_tensor():
    n = h.make_node("Constant", [], ["y"], name="const", value=h.make_tensor("v", T.FLOAT, [2, 3], [0.0] * 6))
    n.attribute[0].ClearField("t")
    return model(nodes=[n], inputs=[], inits=[])


@case
def type_constraint__relu_on_int64():
    return one([relu()], inputs=[vi("x", T.INT64)], outputs=[vi("y", T.INT64)])


@case
def type_binding__add_float_and_int64():
    return model(nodes=[h.make_node("Add", ["x", "w"], ["y"], name="add")],
                 inits=[h.make_tensor("w", T.INT64, [2, 3], [1] * 6)])


# --- tensors ---
@case
def tensor_dtype_missing__initializer():
    return model(inits=[T(name="w", dims=[2, 3], raw_data=b"\0" * 24)])


@case
def tensor_dtype_missing__undefined():
    t = T(name="w", data_type=T.FLOAT, dims=[2, 3], raw_data=b"\0" * 24)
    t.data_type = T.UNDEFINED
    return model(inits=[t])


@case
def dtype_unknown__tensor_99():
    t = T(name="w", data_type=99, dims=[2, 3], raw_data=b"\0" * 24)
    return model(inits=[t])


@case
def dtype_unknown__float8_at_ir8():
    return one([relu()], inputs=[vi("x", 17)], outputs=[vi("y", 17)], ir=8, opset=15)


@case
def tensor_data_size__raw_too_short():
    t = T(name="w", data_type=T.FLOAT, dims=[2, 3], raw_data=b"\0" * 20)
    return model(inits=[t])


@case
def tensor_data_size__two_data_fields():
    t = h.make_tensor("w", T.FLOAT, [2, 3], [0.5] * 6)
    t.raw_data = b"\0" * 24
    return model(inits=[t])


@case
def tensor_data_size__no_data():
    return model(inits=[T(name="w", data_type=T.FLOAT, dims=[2, 3])])


# --- sparse tensors ---
def sparse_model(values, indices, dims):
    sp = onnx.SparseTensorProto()
    sp.values.CopyFrom(values)
    if indices is not None:
        sp.indices.CopyFrom(indices)
    sp.dims.extend(dims)
    return model(nodes=[h.make_node("Add", ["x", "sw"], ["y"], name="add")],
                 inputs=[vi("x", T.FLOAT, (4,))], outputs=[vi("y", T.FLOAT, (4,))], inits=[], sparse=[sp])


def sp_values(n=2, shape=None):
    return h.make_tensor("sw", T.FLOAT, shape or [n], [1.0] * n)


@case
def sparse_index_range__index_past_end():
    return sparse_model(sp_values(), h.make_tensor("", T.INT64, [2], [0, 5]), [4])


@case
def sparse_index_order__unsorted():
    return sparse_model(sp_values(), h.make_tensor("", T.INT64, [2], [2, 1]), [4])


@case
def sparse_values_rank__rank2_values():
    return sparse_model(sp_values(2, [1, 2]), h.make_tensor("", T.INT64, [2], [0, 1]), [4])


@case
def sparse_indices_type__int32():
    return sparse_model(sp_values(), h.make_tensor("", T.INT32, [2], [0, 1]), [4])


@case
def sparse_no_indices__values_without_indices():
    return sparse_model(sp_values(), None, [4])


@case
def sparse_dims__zero_dimension():
    return sparse_model(sp_values(), h.make_tensor("", T.INT64, [2], [0, 1]), [0])


# --- loader-level structure ---
@case
def undefined_value__node_input():
    return one([h.make_node("Relu", ["nothing"], ["y"], name="relu")])


@case
def undefined_value__graph_output():
    return one([relu(out="r")])


@case
def duplicate_definition__two_producers():
    return model(nodes=[h.make_node("Relu", ["x"], ["y"], name="a"), h.make_node("Relu", ["x"], ["y"], name="b")],
                 inits=[])


@case
def duplicate_definition__graph_input_twice():
    return model(inputs=[vi("x"), vi("x")])


@case
def duplicate_definition__subgraph_shadows_outer():
    return if_model([h.make_node("Identity", ["x"], ["x"], name="t_id")], then_out="x")


@case
def cycle__two_nodes():
    return model(nodes=[h.make_node("Relu", ["b"], ["a"], name="n1"), h.make_node("Relu", ["a"], ["b"], name="n2"),
                        h.make_node("Add", ["a", "x"], ["y"], name="add")], inits=[])


# --- functions ---
def fn_model(fnodes, finputs=("X",), foutputs=("Y",), fopsets=(("", 13),), fname="MyRelu", fdomain="local"):
    f = onnx.FunctionProto()
    f.name = fname
    f.domain = fdomain
    f.input.extend(finputs)
    f.output.extend(foutputs)
    f.node.extend(fnodes)
    f.opset_import.extend([h.make_opsetid(d, v) for d, v in fopsets])
    return model(nodes=[h.make_node(fname, ["x"], ["y"], domain=fdomain, name="call")], inits=[], ir=8,
                 functions=[f], extra_opsets=[(fdomain, 1)])


@case
def not_topological__function_body():
    return fn_model([h.make_node("Relu", ["T"], ["Y"], name="r2"), h.make_node("Relu", ["X"], ["T"], name="r1")])


@case
def unknown_attribute__function_body():
    return fn_model([h.make_node("Relu", ["X"], ["Y"], name="r", alpha=1.0)])


@case
def function_duplicate_output__listed_twice():
    return fn_model([h.make_node("Relu", ["X"], ["Y"], name="r")], foutputs=("Y", "Y"))


@case
def opset_not_imported__function_body():
    return fn_model([h.make_node("Relu", ["X"], ["Y"], name="r")], fopsets=())


# --- full check: shape and type inference ---
@case
def shape_contradiction__output_shape():
    return model(outputs=[vi("y", T.FLOAT, (3, 3))])


@case
def shape_contradiction__output_dtype():
    return model(outputs=[vi("y", T.INT64, (2, 3))])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, fn in CASES.items():
        code, what = name.split("__", 1)
        path = os.path.join(OUT, "%s--%s.onnx" % (code.replace("_", "-"), what.replace("_", "-")))
        with open(path, "wb") as f:
            f.write(fn().SerializeToString())
    print("wrote %d models to %s" % (len(CASES), OUT))


if __name__ == "__main__":
    main()
