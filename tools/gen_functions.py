#!/usr/bin/python3
"""gen_functions.py: write passes/legalize/functions_table.c, the ONNX function bodies.

Many ONNX operators are defined by a function body: a small graph of simpler
operators that computes the same thing. `onnx-opt legalize` inlines those bodies
when a target lacks the operator. The bodies are facts of the spec; this script
takes them from python3-onnx (onnx.defs) and writes them as data:

    /usr/bin/python3 tools/gen_functions.py        # writes passes/legalize/functions_table.c
    /usr/bin/python3 tools/gen_functions.py --check # fails when the committed table is stale

Two kinds of bodies:
- static ones (schema.function_body): one entry per schema version; attributes
  the body reads appear as references (ref_attr_name), bound when inlined;
- context-dependent ones (schema.get_context_dependent_function), built for one
  node and its input types. For those the script builds each *variant*: every
  combination of the discrete things the body's structure depends on (string
  attributes, small integer attributes such as `axis`, the presence of optional
  inputs and attributes, the input dtype) listed in CONTEXT below. Float attributes
  and integer attributes whose value only appears as a literal are found by
  building the body twice with two sentinel values and marking each literal that
  follows the sentinel as a reference to the attribute; a third build with another
  value must then agree with the template, or the script stops.

Each entry is a ModelProto with an empty graph and one model-local function (the body),
serialized; the C side loads it with ox_model_load_buffer(). Convention for
references the spec's own form cannot express: a Constant node's `value` (a
tensor) with ref_attr_name set keeps its tensor as the template of dtype and shape,
and every element takes the bound attribute's value.

Needs python3-onnx 1.12 (/usr/bin/python3): it knows opsets up to 17, so bodies of
later operator versions are not in this table.
"""

import argparse
import itertools
import os
import sys

try:
    import onnx
    import onnx.defs
    import onnx.numpy_helper
    from onnx import helper, TensorProto
except ImportError:
    sys.exit("gen_functions.py: needs python3-onnx; run it with /usr/bin/python3")

OUT = "passes/legalize/functions_table.c"

# Only float32 variants: the table would triple for double and float16, which the
# models we see do not use; other dtypes are left to the other strategies.
FLOAT_TYPES = [TensorProto.FLOAT]
AXES = list(range(-4, 4))

# Context-dependent bodies: per op, how to enumerate its variants.
#   enum:    attribute -> values the body's structure depends on (None: absent)
#   ref:     attribute -> (sentinel a, sentinel b, check value): literals to bind
#   inputs:  optional input positions whose presence is enumerated
#   types:   input position -> dtypes to enumerate; other inputs get `fixed`
#   fixed:   input position -> dtype
CONTEXT = {
    "Celu": dict(ref={"alpha": (3.25, 5.5, 0.75)}, types={0: FLOAT_TYPES}),
    "Softmax": dict(enum={"axis": AXES}, types={0: FLOAT_TYPES}),
    "LogSoftmax": dict(enum={"axis": AXES}, types={0: FLOAT_TYPES}),
    "LayerNormalization": dict(enum={"axis": AXES, "stash_type": [1]},
                               ref={"epsilon": (0.25, 0.125, 1e-3)},
                               inputs=[2], types={0: FLOAT_TYPES}),
    "NegativeLogLikelihoodLoss": dict(
        enum={"reduction": ["none", "sum", "mean"], "ignore_index": [None, "ref"]},
        ref={"ignore_index": (1001, 1003, -7)},
        inputs=[2], types={0: FLOAT_TYPES}, fixed={1: TensorProto.INT64, 2: None}),
    "SoftmaxCrossEntropyLoss": dict(
        enum={"reduction": ["none", "sum", "mean"], "ignore_index": [None, "ref"]},
        ref={"ignore_index": (1001, 1003, -7)},
        inputs=[2], types={0: FLOAT_TYPES}, fixed={1: TensorProto.INT64, 2: None}),
}

# Ops whose bodies are not useful to inline: random or sequence-valued ones that
# the numerical check cannot compare.
SKIP = {"Bernoulli", "SequenceMap"}


def tensor_value(t):
    return list(onnx.numpy_helper.to_array(t).flatten())


def attr_literal(a):
    """The scalar literal an attribute holds, or None."""
    if a.ref_attr_name:
        return None
    if a.type == onnx.AttributeProto.FLOAT:
        return a.f
    if a.type == onnx.AttributeProto.INT:
        return a.i
    if a.type == onnx.AttributeProto.TENSOR:
        v = tensor_value(a.t)
        if len(v) == 1:
            return v[0]
    return None


def make_ref(a, name):
    if a.type == onnx.AttributeProto.TENSOR:
        a.ref_attr_name = name     # the tensor stays as the template
    else:
        kind = a.type
        a.Clear()
        a.type = kind
        a.ref_attr_name = name
    return a


def build(schema, attrs, n_in, types, n_out):
    ins = ["in%d" % i if i < n_in and types[i] is not None else "" for i in range(n_in)]
    node = helper.make_node(schema.name, ins, ["out%d" % k for k in range(n_out)],
                            **{k: v for k, v in attrs.items() if v is not None})
    tps = []
    for i in range(n_in):
        dt = types[i] if types[i] is not None else TensorProto.FLOAT
        tps.append(helper.make_tensor_type_proto(dt, None).SerializeToString())
    raw = schema.get_context_dependent_function(node.SerializeToString(), tps)
    fp = onnx.FunctionProto()
    fp.ParseFromString(raw)
    return fp


def templatize(base, others, refs):
    """Mark literals of base that follow a sentinel as references."""
    for (name, (va, vb, _)), other in zip(refs.items(), others):
        if len(other.node) != len(base.node):
            raise ValueError("%s changes the body's structure" % name)
        hits = 0
        for na, nb in zip(base.node, other.node):
            if na.op_type != nb.op_type or len(na.attribute) != len(nb.attribute):
                raise ValueError("%s changes the body's structure" % name)
            for aa, ab in zip(na.attribute, nb.attribute):
                la, lb = attr_literal(aa), attr_literal(ab)
                if la is None or lb is None or la == lb:
                    continue
                if abs(la - va) > 1e-6 * abs(va) or abs(lb - vb) > 1e-6 * abs(vb):
                    raise ValueError("%s: a literal derived from it (%r)" % (name, la))
                make_ref(aa, name)
                hits += 1
        if not hits and not any(a.ref_attr_name == name for n in base.node for a in n.attribute):
            raise ValueError("%s: no literal found" % name)
    return base


def instantiate(fp, values):
    """Bind the references of a template as the C inliner does (to check it)."""
    out = onnx.FunctionProto()
    out.CopyFrom(fp)
    for n in out.node:
        for a in n.attribute:
            if not a.ref_attr_name or a.ref_attr_name not in values:
                continue
            v = values[a.ref_attr_name]
            if a.type == onnx.AttributeProto.TENSOR:
                arr = onnx.numpy_helper.to_array(a.t).copy()
                arr.fill(v)
                name = a.name
                a.Clear()
                a.CopyFrom(helper.make_attribute(name, onnx.numpy_helper.from_array(arr)))
            elif a.type == onnx.AttributeProto.FLOAT:
                a.ref_attr_name = ""
                a.f = v
            else:
                a.ref_attr_name = ""
                a.i = int(v)
    return out


def same_nodes(a, b):
    if len(a.node) != len(b.node):
        return False
    for x, y in zip(a.node, b.node):
        x2, y2 = onnx.NodeProto(), onnx.NodeProto()
        x2.CopyFrom(x)
        y2.CopyFrom(y)
        for n in (x2, y2):
            for at in n.attribute:
                if at.type == onnx.AttributeProto.TENSOR:
                    arr = onnx.numpy_helper.to_array(at.t)
                    at.t.CopyFrom(onnx.numpy_helper.from_array(arr.astype(arr.dtype)))
                    at.t.name = ""
        if x2.SerializeToString() != y2.SerializeToString():
            # Float literals may differ in the last bit after a float32 round trip.
            if str(x2) != str(y2):
                return False
    return True


def context_variants(schema, spec):
    n_in = len(schema.inputs)
    n_out = len(schema.outputs)
    enum = spec.get("enum", {})
    refs = spec.get("ref", {})
    opt_inputs = spec.get("inputs", [])
    types = spec.get("types", {})
    fixed = spec.get("fixed", {})
    keys = list(enum)
    for combo in itertools.product(*[enum[k] for k in keys]):
        for present in itertools.product([False, True], repeat=len(opt_inputs)):
            for dts in itertools.product(*[types[i] for i in sorted(types)]):
                tys = [None] * n_in
                for i, dt in fixed.items():
                    tys[i] = dt
                for i, dt in zip(sorted(types), dts):
                    tys[i] = dt
                for i, p in zip(opt_inputs, present):
                    tys[i] = (fixed.get(i) or tys[0]) if p else None
                for i in range(n_in):
                    if tys[i] is None and i not in opt_inputs:
                        tys[i] = tys[0]
                attrs = {}
                conds = []
                active_refs = {}
                for k, v in zip(keys, combo):
                    if v == "ref":
                        conds.append(("present", k, None))
                        continue
                    if v is None:
                        conds.append(("absent", k, None))
                        continue
                    attrs[k] = v
                    conds.append(("attr", k, v))
                for k, r in refs.items():
                    if k in enum and dict(zip(keys, combo))[k] != "ref":
                        continue
                    active_refs[k] = r
                for i, p in zip(opt_inputs, present):
                    conds.append(("input", i, 1 if p else 0))
                try:
                    if active_refs:
                        base = build(schema, dict(attrs, **{k: r[0] for k, r in active_refs.items()}),
                                     n_in, tys, n_out)
                        others = []
                        for k, r in active_refs.items():
                            a2 = dict(attrs, **{kk: rr[0] for kk, rr in active_refs.items()})
                            a2[k] = r[1]
                            others.append(build(schema, a2, n_in, tys, n_out))
                        fp = templatize(base, others, active_refs)
                        chk = {k: r[2] for k, r in active_refs.items()}
                        want = build(schema, dict(attrs, **chk), n_in, tys, n_out)
                        if not same_nodes(instantiate(fp, chk), instantiate(want, chk)):
                            raise ValueError("template does not reproduce the body")
                    else:
                        fp = build(schema, attrs, n_in, tys, n_out)
                except Exception as e:  # the builder refuses some combinations
                    if "template" in str(e) or "structure" in str(e) or "literal" in str(e):
                        sys.exit("gen_functions.py: %s-%d: %s" % (schema.name, schema.since_version, e))
                    continue
                yield tys[0], conds, fp


def model_bytes(schema, fp):
    fp.name = schema.name
    fp.domain = schema.domain
    del fp.attribute[:]
    fp.attribute.extend(sorted(schema.attributes))
    if not fp.opset_import:
        fp.opset_import.extend([helper.make_opsetid("", schema.since_version)])
    m = onnx.ModelProto()
    m.ir_version = 8
    m.opset_import.extend([helper.make_opsetid("", schema.since_version)])
    m.graph.name = "function_body"    # the loader wants a graph; it stays empty
    m.functions.extend([fp])
    return m.SerializeToString()


def entries():
    out = []
    for s in sorted(onnx.defs.get_all_schemas_with_history(),
                    key=lambda s: (s.domain, s.name, s.since_version)):
        if s.domain not in ("", "ai.onnx") or s.deprecated or s.name in SKIP:
            continue
        if s.has_function:
            out.append((s, 0, [], s.function_body))
        elif getattr(s, "has_context_dependent_function", False) and s.name in CONTEXT:
            for dt, conds, fp in context_variants(s, CONTEXT[s.name]):
                out.append((s, dt, conds, fp))
    # Bodies equal for every dtype collapse into one entry for any dtype.
    merged, groups = [], {}
    for s, dt, conds, fp in out:
        key = (s.name, s.since_version, repr(conds))
        groups.setdefault(key, []).append((s, dt, conds, fp))
    for key, grp in groups.items():
        blobs = {model_bytes(s, fp) for s, dt, conds, fp in grp}
        if len(grp) > 1 and len(blobs) == 1:
            s, _, conds, fp = grp[0]
            merged.append((s, 0, conds, fp))
        else:
            merged.extend(grp)
    return merged


def c_bytes(b):
    """Bytes as the inside of a C string literal: printable ASCII as is, the rest
    (and the characters that would start an escape or a trigraph) as 3-digit octal."""
    out = []
    for c in b:
        ch = chr(c)
        if 32 <= c < 127 and ch not in '\\"?':
            out.append(ch)
        else:
            out.append("\\%03o" % c)
    return "".join(out)


def c_string(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def render():
    rows = entries()
    lines = [
        "/* passes/legalize/functions_table.c: ONNX function bodies, generated by",
        " * tools/gen_functions.py from python3-onnx %s; do not edit. */" % onnx.__version__,
        '#include "config.h"',
        "",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "",
        '#include "legalize.h"',
        "",
    ]
    table = []
    for k, (s, dt, conds, fp) in enumerate(rows):
        blob = model_bytes(s, fp)
        lines.append("static const char body_%d[] =" % k)
        for i in range(0, len(blob), 48):
            lines.append("\t\"%s\"" % c_bytes(blob[i:i + 48]))
        lines[-1] += ";"
        if conds:
            lines.append("static const struct ox_lg_cond conds_%d[] = {" % k)
            for kind, name, val in conds:
                if kind == "attr" and isinstance(val, str):
                    lines.append("\t{ OX_LG_ATTR_STRING, %s, -1, 0, %s }," % (c_string(name), c_string(val)))
                elif kind == "attr":
                    lines.append("\t{ OX_LG_ATTR_INT, %s, -1, %d, NULL }," % (c_string(name), val))
                elif kind == "present":
                    lines.append("\t{ OX_LG_ATTR_PRESENT, %s, -1, 1, NULL }," % c_string(name))
                elif kind == "absent":
                    lines.append("\t{ OX_LG_ATTR_PRESENT, %s, -1, 0, NULL }," % c_string(name))
                else:
                    lines.append("\t{ OX_LG_INPUT_PRESENT, NULL, %d, %d, NULL }," % (name, val))
            lines.append("};")
        table.append("\t{ %s, %d, %d, %s, %d, (const uint8_t *)body_%d, sizeof body_%d - 1 }," % (
            c_string(s.name), s.since_version, dt, "conds_%d" % k if conds else "NULL",
            len(conds), k, k))
    lines.append("")
    lines.append("const struct ox_lg_function ox_lg_functions[] = {")
    lines.extend(table)
    lines.append("};")
    lines.append("const size_t ox_lg_n_functions = sizeof ox_lg_functions / sizeof *ox_lg_functions;")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail when the table is stale")
    args = ap.parse_args()
    text = render()
    if args.check:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit("gen_functions.py: %s is stale; run tools/gen_functions.py" % OUT)
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT + ".tmp", "w") as f:
        f.write(text)
    os.replace(OUT + ".tmp", OUT)
    print("%s: %d bodies" % (OUT, text.count("static const char body_")))


if __name__ == "__main__":
    main()
