#!/usr/bin/env python3
"""Build the target profiles targets/*.json from ../shared/targets/*.tsv.

The profiles say, per runtime, which ONNX operators (domain, op, schema
versions) it supports, with which tensor types and under which restrictions.
The format is documented in docs/target-profile.md and described by
targets/profile.schema.json; `onnx-opt audit --target` reads it.

Usage:
  tools/gen_targets.py [--shared DIR] [--out DIR] [--check] [--stats]

  --shared DIR  the shared directory or its targets/ subdirectory
                (default: ../shared relative to the repository)
  --out DIR     where to write the profiles (default: targets/ in the repository)
  --check       regenerate in memory; exit 1 if a committed file differs
  --stats       print op and restriction counts to stderr

Standard library only, so it runs with any python3.  The output is
deterministic: sorted keys (except that a profile's "ops" list comes last),
ops in (domain, op, first version) order, a trailing newline.  Every output is checked against targets/profile.schema.json with
the jsonschema module when it is importable, and always with the structural
check in this file.
"""

import argparse
import csv
import json
import os
import re
import sys
from collections import Counter, OrderedDict

SCHEMA_VERSION = 1
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --------------------------------------------------------------------------
# Facts about ONNX that the tables do not carry.

# Formal input and output names, in order, for the ops whose restrictions name
# an input or output.  Positions are stable across the schema versions that
# have the input (one exception: Resize-10 has only X and scales); a
# restriction on a position the node does not have is satisfied (see
# docs/target-profile.md).
INPUTS = {
    "Attention": ["Q", "K", "V", "attn_mask", "past_key", "past_value",
                  "nonpad_kv_seqlen"],
    "AveragePool": ["X"],
    "ConvTranspose": ["X", "W", "B"],
    "CumSum": ["x", "axis"],
    "DeformConv": ["X", "W", "offset", "B", "mask"],
    "DequantizeLinear": ["x", "x_scale", "x_zero_point"],
    "Dropout": ["data", "ratio", "training_mode"],
    "Expand": ["input", "shape"],
    "EyeLike": ["input"],
    "GRU": ["X", "W", "R", "B", "sequence_lens", "initial_h"],
    "GridSample": ["X", "grid"],
    "LSTM": ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"],
    "LpPool": ["X"],
    "MaxPool": ["X"],
    "OneHot": ["indices", "depth", "values"],
    "Pad": ["data", "pads", "constant_value", "axes"],
    "QuantizeLinear": ["x", "y_scale", "y_zero_point"],
    "RNN": ["X", "W", "R", "B", "sequence_lens", "initial_h"],
    "Reshape": ["data", "shape"],
    "Resize": ["X", "roi", "scales", "sizes"],
    "STFT": ["signal", "frame_step", "window", "frame_length"],
    "Slice": ["data", "starts", "ends", "axes", "steps"],
    "Squeeze": ["data", "axes"],
    "TensorScatter": ["past_cache", "update", "write_indices"],
    "TopK": ["X", "K"],
    "Unsqueeze": ["data", "axes"],
    "Upsample": ["X", "scales"],
}
OUTPUTS = {
    "Attention": ["Y", "present_key", "present_value", "qk_matmul_output"],
    # Outputs 1-2 are running_mean/running_var from version 14, mean/var
    # before; 3-4 exist only before 14.  All of them mean training mode.
    "BatchNormalization": ["Y", "running_mean", "running_var", "saved_mean",
                           "saved_var"],
    "Dropout": ["output", "mask"],
    "LayerNormalization": ["Y", "Mean", "InvStdDev"],
    "MaxPool": ["Y", "Indices"],
    "Upsample": ["Y"],
}


def input_names(op):
    if op.startswith("Reduce"):
        return ["data", "axes"]
    return INPUTS[op]


def T(*names):
    return ["tensor(%s)" % n for n in names]


SHORT_INTS = T("int2", "int4", "int8", "int16", "uint2", "uint4", "uint8",
               "uint16")
UNSIGNED_INTS = T("uint2", "uint4", "uint8", "uint16", "uint32", "uint64")
ALL_INTS = T("int2", "int4", "int8", "int16", "int32", "int64") + UNSIGNED_INTS
OTHER_FLOATS = T("bfloat16", "float16", "float4e2m1", "float8e4m3fn",
                 "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz")

# TensorRT's type names as ONNX tensor types.  FP8 in TensorRT is E4M3.
TRT_TYPES = {
    "FP32": "tensor(float)", "FP16": "tensor(float16)",
    "BF16": "tensor(bfloat16)", "FP8": "tensor(float8e4m3fn)",
    "FP4": "tensor(float4e2m1)", "INT4": "tensor(int4)",
    "INT8": "tensor(int8)", "INT32": "tensor(int32)",
    "INT64": "tensor(int64)", "UINT8": "tensor(uint8)",
    "BOOL": "tensor(bool)",
}

# TensorRT lists one set of types per op without naming a constraint.  It is
# written under "*" (the op's main constraint, see the docs) except where
# that constraint is an index or shape input and the list describes another.
TRT_TYPE_KEYS = {
    "BlackmanWindow": ["T2"], "HammingWindow": ["T2"], "HannWindow": ["T2"],
    "Cast": ["T1", "T2"], "CastLike": ["T1", "T2"], "EyeLike": ["T1", "T2"],
    "ConstantOfShape": ["T2"], "OneHot": ["T3"],
    "RandomNormalLike": ["T2"], "RandomUniformLike": ["T2"],
}

# --------------------------------------------------------------------------
# Restriction texts -> restriction objects.
#
# Each source text is split at "; " into clauses.  A clause that matches a
# rule below becomes the machine-checkable restrictions the rule builds, each
# keeping the clause (or the part it covers) as its text; any other clause
# becomes {"kind": "note"}.  The rules match our tables' own paraphrases.


def r_const(op, name, text, equals=None):
    r = {"kind": "const_input", "input": input_names(op).index(name),
         "input_name": name, "text": text}
    if equals is not None:
        r["equals"] = equals
    return r


def r_input_absent(op, name, text):
    return {"kind": "input_absent", "input": input_names(op).index(name),
            "input_name": name, "text": text}


def r_output_absent(op, name, text):
    return {"kind": "output_absent", "output": OUTPUTS[op].index(name),
            "output_name": name, "text": text}


def r_rank(op, name, ranks, text):
    return {"kind": "input_rank", "input": input_names(op).index(name),
            "input_name": name, "ranks": ranks, "text": text}


def r_static_in(op, name, text):
    return {"kind": "static_shape", "input": input_names(op).index(name),
            "input_name": name, "text": text}


def r_static_out(op, name, text):
    return {"kind": "static_shape", "output": OUTPUTS[op].index(name),
            "output_name": name, "text": text}


def r_attr(attr, text, allowed=None, forbidden=None, elements=None):
    r = {"kind": "attr", "attr": attr, "text": text}
    if allowed is not None:
        r["allowed"] = allowed
    if forbidden is not None:
        r["forbidden"] = forbidden
    if elements is not None:
        r["allowed_elements"] = elements
    return r


def r_attr_absent(attr, text):
    return {"kind": "attr_absent", "attr": attr, "text": text}


def r_types(types, text, allowed=False):
    return {"kind": "allowed_types" if allowed else "unsupported_types",
            "types": sorted(types), "text": text}


def r_note(text):
    return {"kind": "note", "text": text}


def split_names(s):
    return [x.strip() for x in re.split(r",|/| and ", s) if x.strip()]


# (regex, builder(op, match, clause) -> list of restrictions).  Anchored.
RULES = [
    # inputs that must be constant
    (r"(axes|axis|depth) (?:input )?must be (?:an initializer|constant|"
     r"a build-time constant|resolvable to a constant)",
     lambda op, m, t: [r_const(op, m.group(1), t)]),
    (r"(W, R, B) must be constants",
     lambda op, m, t: [r_const(op, n, t) for n in split_names(m.group(1))]),
    (r"frame_step and window must be initializers",
     lambda op, m, t: [r_const(op, "frame_step", t), r_const(op, "window", t)]),
    (r"W must be constant with static dims",
     lambda op, m, t: [r_const(op, "W", t)]),
    (r"training_mode input must be a constant \(initializer\) equal to false",
     lambda op, m, t: [r_const(op, "training_mode", t, False)]),
    (r"(x_zero_point|y_zero_point) must be (?:zero|0)",
     lambda op, m, t: [r_const(op, m.group(1), t, 0)]),
    # inputs and outputs that must be absent
    (r"inputs (.*) unsupported",
     lambda op, m, t: [r_input_absent(op, n, t)
                       for n in split_names(m.group(1))]),
    (r"(axes) input unsupported",
     lambda op, m, t: [r_input_absent(op, m.group(1), t)]),
    (r"outputs (.*) unsupported",
     lambda op, m, t: [r_output_absent(op, n, t)
                       for n in split_names(m.group(1))]),
    (r"(Indices) output unsupported",
     lambda op, m, t: [r_output_absent(op, m.group(1), t)]),
    (r"single output only \(no Indices/argmax\)",
     lambda op, m, t: [r_output_absent(op, "Indices", t)]),
    (r"only output Y \(Mean/InvStdDev outputs unsupported\)",
     lambda op, m, t: [r_output_absent(op, "Mean", t),
                       r_output_absent(op, "InvStdDev", t)]),
    (r"no mask output / training mode",
     lambda op, m, t: [r_output_absent(op, "mask", t),
                       r_const(op, "training_mode", t, False)]),
    (r"inference only \(no training mode\)",
     lambda op, m, t: [r_attr("training_mode", t, allowed=[0])] +
     [r_output_absent(op, n, t) for n in OUTPUTS[op][1:]]),
    # ranks
    (r"(Q/K/V/attn_mask|past_cache and update|input) must be (\d)D",
     lambda op, m, t: [r_rank(op, n, [int(m.group(2))], t)
                       for n in (split_names(m.group(1))
                                 if m.group(1) != "input"
                                 else [input_names(op)[0]])]),
    (r"2D/3D (?:pooling )?only",
     lambda op, m, t: [r_rank(op, input_names(op)[0], [4, 5], t)]),
    (r"input must have 1 or 2 spatial dims",
     lambda op, m, t: [r_rank(op, input_names(op)[0], [3, 4], t)]),
    # static shapes
    (r"(shape|K) input (?:must have static shape|needs static dims)|"
     r"(K) must have static shape",
     lambda op, m, t: [r_static_in(op, m.group(1) or m.group(2), t)]),
    (r"input shape must be static",
     lambda op, m, t: [r_static_in(op, input_names(op)[0], t)]),
    (r"X and Y must have static shapes",
     lambda op, m, t: [r_static_in(op, "X", t), r_static_out(op, "Y", t)]),
    (r"scales/sizes need static dims",
     lambda op, m, t: [r_static_in(op, "scales", t),
                       r_static_in(op, "sizes", t)]),
    (r"inputs need static dims",
     lambda op, m, t: [{"kind": "static_shape", "text": t}]),
    # attributes
    (r"dilations absent or all 1",
     lambda op, m, t: [r_attr("dilations", t, elements=[1])]),
    (r"(sorted|input_forget|layout) must be (-?\d+)",
     lambda op, m, t: [r_attr(m.group(1), t, allowed=[int(m.group(2))])]),
    (r"axis must be (-?\d+)",
     lambda op, m, t: [r_attr("axis", t, allowed=[int(m.group(1))])]),
    (r"reduction must be none",
     lambda op, m, t: [r_attr("reduction", t, allowed=["none"])]),
    (r"reduction add/mul unsupported",
     lambda op, m, t: [r_attr("reduction", t, forbidden=["add", "mul"])]),
    (r"keepdims=0 unsupported",
     lambda op, m, t: [r_attr("keepdims", t, forbidden=[0])]),
    (r"default \(absent\) axes and keepdims=0 unsupported",
     lambda op, m, t: [r_attr("keepdims", "keepdims=0 unsupported",
                              forbidden=[0]),
                       r_note("default (absent) axes unsupported")]),
    (r"coordinate_transformation_mode in \{(.*)\}",
     lambda op, m, t: [r_attr("coordinate_transformation_mode", t,
                              allowed=split_names(m.group(1)))]),
    (r"mode nearest or linear \(no cubic\)",
     lambda op, m, t: [r_attr("mode", t, allowed=["nearest", "linear"])]),
    (r"nearest_mode ([a-z_/]+)",
     lambda op, m, t: [r_attr("nearest_mode", t,
                              allowed=split_names(m.group(1)))]),
    (r"keep_aspect_ratio_policy stretch only",
     lambda op, m, t: [r_attr("keep_aspect_ratio_policy", t,
                              allowed=["stretch"])]),
    (r"padding_mode zeros or border",
     lambda op, m, t: [r_attr("padding_mode", t, allowed=["zeros", "border"])]),
    (r"no linear/cubic modes, no crop/pytorch_half_pixel, no floor nearest_mode",
     lambda op, m, t: [
         r_attr("mode", t, forbidden=["cubic", "linear"]),
         r_attr("coordinate_transformation_mode", t,
                forbidden=["pytorch_half_pixel", "tf_crop_and_resize"]),
         r_attr("nearest_mode", t, forbidden=["floor"])]),
    (r"attrs (.+) unsupported|(.+) attrs unsupported|"
     r"(allowzero|antialias) unsupported",
     lambda op, m, t: [r_attr_absent(a, t) for a in split_names(
         m.group(1) or m.group(2) or m.group(3))]),
    # types
    (r"no short (?:\(<32-bit\) )?(?:integers|ints)|"
     r"types limited to those of ReduceSum/MatMul \(no ints < 32-bit\)",
     lambda op, m, t: [r_types(SHORT_INTS, t)]),
    (r"no int4/uint4", lambda op, m, t: [r_types(T("int4", "uint4"), t)]),
    (r"no unsigned ints", lambda op, m, t: [r_types(UNSIGNED_INTS, t)]),
    (r"no integer exponent/base types",
     lambda op, m, t: [r_types(ALL_INTS, t)]),
    (r"no int8 output", lambda op, m, t: [r_types(T("int8"), t)]),
    (r"float16 only on ppc64le/macOS",
     lambda op, m, t: [r_types(T("float16"), t)]),
    (r"float/double only",
     lambda op, m, t: [r_types(ALL_INTS + OTHER_FLOATS, t)]),
    (r"float32/float64 only \(no float16\)",
     lambda op, m, t: [r_types(OTHER_FLOATS, t)]),
    (r"only int8, uint8, float32",
     lambda op, m, t: [r_types(T("float", "int8", "uint8"), t, allowed=True)]),
]
RULES = [(re.compile("^(?:%s)$" % rx), fn) for rx, fn in RULES]


def convert_text(op, text, counts):
    """Restriction objects for one source text; counts clauses per kind."""
    out = []
    for clause in [c.strip() for c in text.split(";") if c.strip()]:
        made = None
        for rx, fn in RULES:
            m = rx.match(clause)
            if m:
                try:
                    made = fn(op, m, clause)
                except (KeyError, ValueError):
                    # The rule names an input this file does not know for
                    # this op: keep the text, and say so.
                    print("gen_targets: %s: cannot place %r; kept as a note"
                          % (op, clause), file=sys.stderr)
                break
        if made is None:
            made = [r_note(clause)]
        counts["clause:" + "+".join(sorted(set(r["kind"] for r in made)))] += 1
        for r in made:
            counts["objects:" + r["kind"]] += 1
        out.extend(made)
    return out


# --------------------------------------------------------------------------
# Reading the tables.

def read_tsv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    for i, r in enumerate(rows):
        if None in r or any(v is None for v in r.values()):
            raise SystemExit("%s:%d: wrong number of columns" % (path, i + 2))
    return rows


def read_md(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class Onnx:
    """Schema versions per (domain, op) from onnx-opsets.tsv."""

    def __init__(self, rows):
        self.since = {}
        for r in rows:
            self.since.setdefault((r["domain"], r["op_type"]), []).append(
                int(r["since_version"]))
        for v in self.since.values():
            v.sort()

    def versions(self, domain, op):
        return self.since.get((domain, op))

    def first_at(self, domain, op, opset):
        """The since_version a model at `opset` resolves to, or the op's
        first version when it was introduced after `opset`."""
        sv = self.since[(domain, op)]
        at = [s for s in sv if s <= opset]
        return at[-1] if at else sv[0]


def split_top(s, sep):
    """Split at `sep` outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [x.strip() for x in out if x.strip()]


TYPE_RE = re.compile(r"^(tensor|sparse_tensor|seq|optional|map)\(.+\)$")


def parse_ort_types(s, where):
    types = {}
    for part in split_top(s, ";"):
        name, _, lst = part.partition("=")
        name = name.strip()
        vals = split_top(lst, ",")
        if not name or not vals or name in types:
            raise SystemExit("%s: bad type constraints %r" % (where, s))
        for v in vals:
            if not TYPE_RE.match(v) or v.count("(") != v.count(")"):
                raise SystemExit("%s: bad type %r" % (where, v))
        types[name] = sorted(set(vals))
    return types


# --------------------------------------------------------------------------
# One builder per source table.

def build_ort(rows, onnx, counts, extra):
    groups = OrderedDict()
    for i, r in enumerate(rows):
        where = "row %d (%s %s)" % (i + 2, r["domain"], r["op_type"])
        lo = int(r["since_version"])
        # ONNX Runtime matches an open-ended kernel ("N+") only to a node
        # whose schema since_version is exactly N; a kernel with an end
        # version serves every since_version in [N, end].
        hi = int(r["end_version"]) if r["end_version"] else lo
        if hi < lo:
            raise SystemExit("%s: end before since" % where)
        types = parse_ort_types(r["type_constraints"], where)
        key = (r["domain"], r["op_type"], json.dumps(types, sort_keys=True))
        g = groups.setdefault(key, {"domain": r["domain"], "op": r["op_type"],
                                    "supported": True, "versions": [],
                                    "types": types})
        g["versions"].append([lo, hi])
    ops = list(groups.values())
    for e in ops:
        if e["domain"] == "ai.onnx" and e["op"] in extra:
            for r in extra[e["op"]]:
                e.setdefault("restrictions", []).append(dict(r))
                counts["extra:" + r["kind"]] += 1
    return ops


# Facts about ONNX Runtime 1.30.0 CPU that the kernel table cannot show,
# observed by the project's reference harness (../shared/tools/ort/README.md).
ORT_CPU_EXTRA = {
    op: [{"kind": "attr", "attr": "layout", "allowed": [0],
          "text": "layout=1 (batch-major) is not supported on the CPU EP "
                  "(ORT 1.30.0 reference results, ../shared/tools/ort)"}]
    for op in ("RNN", "GRU", "LSTM")
}

# Kernels that ONNX Runtime registers but docs/OperatorKernels.md @ 001d12d2
# does not list.  NonMaxSuppression (10-10 and 11+ in onnxruntime's
# cpu_execution_provider.cc and cuda_execution_provider.cc) has no type
# constraints, and the table's rows are written from type constraints (the
# Types column is never empty), which is the likely reason it is missing.
ORT_MISSING_ROWS = [{
    "domain": "ai.onnx", "op": "NonMaxSuppression", "supported": True,
    "versions": [[10, 10], [11, 11]],
    "comment": "added by tools/gen_targets.py: registered for this "
               "provider without type constraints; docs/OperatorKernels.md "
               "has no row for it",
}]

ORT_CONSTANT = {
    "domain": "ai.onnx", "op": "Constant", "supported": True,
    "versions": [[1, None]],
    "comment": "no kernel: ONNX Runtime turns Constant nodes into "
               "initializers when it loads the graph (ort-cpu.md)",
}


def check_yn(table, i, v):
    if v not in ("Y", "N"):
        raise SystemExit("%s row %d: supported=%r" % (table, i + 2, v))


def build_tensorrt(rows, onnx, counts, lo_opset, hi_opset):
    ops = []
    for i, r in enumerate(rows):
        op = r["op_type"]
        e = {"domain": "ai.onnx", "op": op}
        check_yn("tensorrt.tsv", i, r["supported"])
        if r["supported"] == "N":
            e.update(supported=False, versions=[])
            if r["restrictions"]:
                e["reason"] = r["restrictions"]
            ops.append(e)
            continue
        if onnx.versions("ai.onnx", op):
            lo = onnx.first_at("ai.onnx", op, lo_opset)
            if lo > hi_opset:
                raise SystemExit("tensorrt.tsv: %s is newer than opset %d"
                                 % (op, hi_opset))
            versions = [[lo, hi_opset]]
        else:
            versions = [[1, None]]      # a removed experimental op
        e.update(supported=True, versions=versions)
        if r["data_types"]:
            try:
                tl = sorted(set(TRT_TYPES[t.strip()]
                                for t in r["data_types"].split(",")))
            except KeyError as err:
                raise SystemExit("tensorrt.tsv row %d: unknown type %s"
                                 % (i + 2, err))
            e["types"] = {k: tl for k in TRT_TYPE_KEYS.get(op, ["*"])}
        if r["restrictions"]:
            e["restrictions"] = convert_text(op, r["restrictions"], counts)
        ops.append(e)
    return ops


def build_openvino(rows, onnx, counts):
    ops = []
    for i, r in enumerate(rows):
        e = {"domain": r["domain"], "op": r["op_type"]}
        check_yn("openvino.tsv", i, r["supported"])
        if r["supported"] == "N":
            e.update(supported=False, versions=[])
            ops.append(e)
            continue
        tv = sorted(set(int(v) for v in r["supported_versions"].split(",")))
        if int(r["min_supported_opset"]) != tv[0]:
            raise SystemExit("openvino.tsv row %d: min_supported_opset is not"
                             " the lowest supported version" % (i + 2))
        # The translator for version v serves from v up to the next one; the
        # last one serves every later version.
        versions = [[v, n - 1] for v, n in zip(tv, tv[1:])] + [[tv[-1], None]]
        e.update(supported=True, versions=versions)
        if r["limitation"]:
            e["restrictions"] = convert_text(r["op_type"], r["limitation"],
                                             counts)
        ops.append(e)
    return ops


def build_onnx_mlir(rows, onnx, counts):
    ops = []
    for i, r in enumerate(rows):
        dom, op = r["domain"], r["op_type"]
        e = {"domain": dom, "op": op}
        check_yn("onnx-mlir-cpu.tsv", i, r["supported"])
        if r["supported"] == "N":
            e.update(supported=False, versions=[])
            ops.append(e)
            continue
        mn = int(r["min_opset"])
        m = re.match(r"^(\d+)(\*?)$", r["max_opset"])
        if not m:
            raise SystemExit("onnx-mlir-cpu.tsv row %d: max_opset %r"
                             % (i + 2, r["max_opset"]))
        mx, star = int(m.group(1)), m.group(2) == "*"
        restrictions = []
        if dom == "ai.onnx":
            # min/max are model opsets.  "N*" means the op's latest schema
            # as of opset N, also in models with a higher opset.
            versions = [[onnx.first_at(dom, op, mn), mx]]
            e["opset_range"] = [mn, None if star else mx]
        else:
            # The document's opset numbers are ai.onnx ones; they cannot be
            # applied to another domain's opset import.
            versions = [[onnx.versions(dom, op)[0], None]]
            restrictions.append(r_note(
                "the source gives opsets %s to %s, numbered as ai.onnx opsets"
                % (r["min_opset"], r["max_opset"])))
            counts["generated:note"] += 1
        e.update(supported=True, versions=versions)
        if r["limitations"]:
            restrictions += convert_text(op, r["limitations"], counts)
        if restrictions:
            e["restrictions"] = restrictions
        ops.append(e)
    return ops


# --------------------------------------------------------------------------
# The profiles.  Labels come from the companion .md files; each entry names
# strings its .md must still contain, so a refreshed table with another
# version fails here instead of being mislabelled.

PROFILES = [
    {
        "name": "ort-cpu", "tsv": "ort-cpu.tsv", "md": "ort-cpu.md",
        "md_must_contain": ["001d12d2623fd411ce0f83d05abb5e82304a3389",
                            "CPUExecutionProvider"],
        "runtime": "ONNX Runtime", "runtime_version": "1.30.0",
        "device": "CPU (CPUExecutionProvider)",
        "source": "microsoft/onnxruntime docs/OperatorKernels.md @ 001d12d2 "
                  "(CPU kernel registrations), via ../shared/targets/"
                  "ort-cpu.tsv gathered 2026-11-27. The .md names the commit, "
                  "not a release; 1.30.0 is the release the project's "
                  "reference harness runs (../shared/tools/ort). Added by the "
                  "generator: Constant, NonMaxSuppression and the layout "
                  "restriction on RNN/GRU/LSTM (see docs/target-profile.md).",
        "expands_functions": True,
        "notes": [
            "Ops with an ONNX function body and no kernel here are expanded "
            "by ONNX Runtime (CastLike, HardSwish, Mish, GroupNormalization, "
            "CenterCropPad, ...).",
            "An open-ended kernel (N+) serves only schema version N; "
            "versions list what each kernel serves.",
            "com.microsoft.nchwc ops exist only after ONNX Runtime's own "
            "layout optimization.",
        ],
    },
    {
        "name": "ort-cuda", "tsv": "ort-cuda.tsv", "md": "ort-cuda.md",
        "md_must_contain": ["001d12d2623fd411ce0f83d05abb5e82304a3389",
                            "CUDAExecutionProvider"],
        "runtime": "ONNX Runtime", "runtime_version": "1.30.0",
        "device": "NVIDIA GPU (CUDAExecutionProvider)",
        "source": "microsoft/onnxruntime docs/OperatorKernels.md @ 001d12d2 "
                  "(CUDA kernel registrations), via ../shared/targets/"
                  "ort-cuda.tsv gathered 2026-11-27. The .md names the "
                  "commit, not a release; labelled as ort-cpu. Added by the "
                  "generator: Constant and NonMaxSuppression.",
        "expands_functions": True,
        "notes": [
            "Nodes without a CUDA kernel fall back to the CPU execution "
            "provider: unsupported here means not on the GPU.",
            "Ops with an ONNX function body and no kernel here are expanded "
            "by ONNX Runtime.",
            "An open-ended kernel (N+) serves only schema version N.",
            "com.ms.internal.nhwc ops exist only after ONNX Runtime's own "
            "layout optimization.",
        ],
    },
    {
        "name": "tensorrt", "tsv": "tensorrt.tsv", "md": "tensorrt.md",
        "md_must_contain": ["TensorRT 10.15", "opset 9 to opset 24"],
        "runtime": "TensorRT", "runtime_version": "10.15",
        "device": "NVIDIA GPU",
        "source": "onnx-tensorrt docs/operators.md for TensorRT 10.15, via "
                  "../shared/targets/tensorrt.tsv gathered 2026-11-27; "
                  "restriction texts are the table's paraphrases.",
        "opset_ranges": {"ai.onnx": [9, 24]},
        "type_conversions": {"tensor(double)": "tensor(float)"},
        "notes": [
            "Supported model opsets are 9 to 24.",
            "DOUBLE is cast to FLOAT, clamped to +-FLT_MAX.",
            "INT8, INT4, FP8 and FP4 are available only through "
            "quantization (QuantizeLinear/DequantizeLinear).",
            "UINT8 is allowed only for network inputs and outputs.",
            "Ops not in the matrix (Swish, BitCast, CumProd, "
            "CausalConvWithState, LinearAttention, SwiGLU) are unsupported.",
        ],
        "trt_opsets": (9, 24),
    },
    {
        "name": "openvino", "tsv": "openvino.tsv", "md": "openvino.md",
        "md_must_contain": ["0ae60f0ffec990b581cf29cae47563090e5deca0"],
        "runtime": "OpenVINO", "runtime_version": "git 0ae60f0ffec9",
        "device": "any OpenVINO device (ONNX frontend)",
        "source": "openvinotoolkit/openvino src/frontends/onnx/docs/"
                  "supported_ops.md @ 0ae60f0f (no release named; schema "
                  "versions known up to ONNX opset 23), via ../shared/"
                  "targets/openvino.tsv.",
        "notes": [
            "This is the ONNX frontend's coverage; each device plugin may "
            "support less.",
            "The translator for version v serves from v up to the next "
            "listed one; the last one serves all later versions, including "
            "schema versions newer than the frontend knows.",
            "Ops not in the list (TensorScatter, Swish, BitCast, CumProd, "
            "CausalConvWithState, LinearAttention, SwiGLU) are unsupported.",
        ],
    },
    {
        "name": "onnx-mlir-cpu", "tsv": "onnx-mlir-cpu.tsv",
        "md": "onnx-mlir-cpu.md",
        "md_must_contain": ["ec744fe6d3d077f002200e5c6bb0c3c4ba777af3",
                            "up to opset 22"],
        "runtime": "onnx-mlir", "runtime_version": "git ec744fe6d3d0",
        "device": "CPU",
        "source": "onnx/onnx-mlir docs/SupportedONNXOps-cpu.md @ ec744fe6 "
                  "(2026-07-01; targets up to opset 22), via ../shared/"
                  "targets/onnx-mlir-cpu.tsv gathered 2026-11-27; limitation "
                  "texts are the table's paraphrases.",
        "notes": [
            "Per-op opset_range is the range of model opsets the source "
            "gives; an open upper end (22* in the source) means the op's "
            "latest schema as of opset 22 is supported in later opsets too.",
            "Ops added after opset 22 (Attention, RMSNormalization, "
            "RotaryEmbedding, TensorScatter, Swish, CumProd, ...) are "
            "unsupported.",
            "The float16 restrictions apply except on ppc64le and macOS, "
            "where the source allows float16.",
        ],
    },
]

PROFILE_KEYS = ("name", "runtime", "runtime_version", "device", "source",
                "expands_functions", "opset_ranges", "type_conversions",
                "notes")


def op_sort_key(e):
    first = e["versions"][0][0] if e["versions"] else 0
    return (e["domain"], e["op"], first)


def build_all(shared):
    onnx = Onnx(read_tsv(os.path.join(shared, "onnx-opsets.tsv")))
    out, stats = OrderedDict(), {}
    for p in PROFILES:
        md = read_md(os.path.join(shared, p["md"]))
        for s in p["md_must_contain"]:
            if s not in md:
                raise SystemExit("%s no longer says %r: check the labels in "
                                 "PROFILES" % (p["md"], s))
        rows = read_tsv(os.path.join(shared, p["tsv"]))
        counts = Counter()
        if p["name"] == "ort-cpu":
            ops = build_ort(rows, onnx, counts, ORT_CPU_EXTRA)
        elif p["name"] == "ort-cuda":
            ops = build_ort(rows, onnx, counts, {})
        if p["name"].startswith("ort-"):
            have = set((e["domain"], e["op"]) for e in ops)
            for e in [ORT_CONSTANT] + ORT_MISSING_ROWS:
                if (e["domain"], e["op"]) in have:
                    raise SystemExit("%s now lists %s: drop the hand-made "
                                     "entry" % (p["tsv"], e["op"]))
                ops.append(json.loads(json.dumps(e)))
                counts["added:" + e["op"]] += 1
        elif p["name"] == "tensorrt":
            ops = build_tensorrt(rows, onnx, counts, *p["trt_opsets"])
        elif p["name"] == "openvino":
            ops = build_openvino(rows, onnx, counts)
        else:
            ops = build_onnx_mlir(rows, onnx, counts)
        for e in ops:
            e["versions"].sort(key=lambda v: v[0])
        ops.sort(key=op_sort_key)
        prof = {"schema_version": SCHEMA_VERSION, "default_max_rank": None}
        for k in PROFILE_KEYS:
            if k in p:
                prof[k] = p[k]
        prof["ops"] = ops
        out[p["name"]] = prof
        stats[p["name"]] = (rows, ops, counts)
    return out, stats, onnx


# --------------------------------------------------------------------------
# Output: sorted keys, short values on one line, one op entry per block.

WIDTH = 100


def _flat(v):
    if isinstance(v, list):
        return all(not isinstance(x, (dict, list)) or
                   (isinstance(x, list) and
                    all(not isinstance(y, (dict, list)) for y in x))
                   for x in v)
    return not isinstance(v, dict)


def _has_list_of_dicts(v):
    if isinstance(v, list):
        return any(isinstance(x, dict) for x in v) or \
            any(_has_list_of_dicts(x) for x in v)
    if isinstance(v, dict):
        return any(_has_list_of_dicts(x) for x in v.values())
    return False


def _one(v):
    return json.dumps(v, sort_keys=True, ensure_ascii=False,
                      separators=(", ", ": "))


def _keys(v, top):
    # Sorted, except that a profile's "ops" comes last, after its labels.
    ks = sorted(v)
    if top and "ops" in v:
        ks.remove("ops")
        ks.append("ops")
    return ks


def render(v, indent=0, top=False):
    one = _one(v)
    if not isinstance(v, (dict, list)) or (
            indent + len(one) <= WIDTH and
            (_flat(v) or not _has_list_of_dicts(v))):
        return one
    pad, pad2 = " " * indent, " " * (indent + 2)
    if _flat(v) and isinstance(v, list):
        # Pack a long list of scalars into lines of at most WIDTH columns.
        lines, cur = [], ""
        for x in v:
            s = _one(x)
            if cur and len(pad2) + len(cur) + 2 + len(s) > WIDTH:
                lines.append(cur + ",")
                cur = s
            else:
                cur = cur + ", " + s if cur else s
        lines.append(cur)
        return "[\n" + "\n".join(pad2 + ln for ln in lines) + "\n" + pad + "]"
    if isinstance(v, dict):
        items = ["%s%s: %s" % (pad2, json.dumps(k, ensure_ascii=False),
                               render(v[k], indent + 2)) for k in _keys(v, top)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    items = [pad2 + render(x, indent + 2) for x in v]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def dump(prof):
    return render(prof, top=True) + "\n"


# --------------------------------------------------------------------------
# Validation: the JSON Schema when jsonschema is importable, and always the
# structural check below (it also checks what the schema cannot: ranges in
# order, no duplicate types).

RESTRICTION_FIELDS = {
    "note": ({"text"}, set()),
    "const_input": ({"text", "input"}, {"input_name", "equals"}),
    "input_absent": ({"text", "input"}, {"input_name"}),
    "output_absent": ({"text", "output"}, {"output_name"}),
    "input_rank": ({"text", "input", "ranks"}, {"input_name"}),
    "static_shape": ({"text"}, {"input", "input_name", "output",
                                "output_name"}),
    "attr": ({"text", "attr"}, {"allowed", "forbidden", "allowed_elements"}),
    "attr_absent": ({"text", "attr"}, set()),
    "unsupported_types": ({"text", "types"}, set()),
    "allowed_types": ({"text", "types"}, set()),
    "max_rank": ({"text", "rank"}, set()),
}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _ext(k):
    return k.startswith("x-")


def check_structure(p):
    """List of problems in profile `p` (empty when fine)."""
    errs = []

    def err(where, msg):
        errs.append("%s: %s" % (where, msg))

    def check_range(where, r, lo_min=1):
        if not (isinstance(r, list) and len(r) == 2 and _is_int(r[0]) and
                r[0] >= lo_min and (r[1] is None or
                                    (_is_int(r[1]) and r[1] >= r[0]))):
            err(where, "bad range %r" % (r,))

    top_req = {"schema_version", "name", "runtime", "runtime_version", "ops"}
    top_opt = {"device", "source", "notes", "default_max_rank",
               "opset_ranges", "expands_functions", "type_conversions"}
    if not isinstance(p, dict):
        return ["profile: not an object"]
    for k in top_req - set(p):
        err("profile", "missing %s" % k)
    for k in set(p) - top_req - top_opt:
        if not _ext(k):
            err("profile", "unknown key %s" % k)
    if p.get("schema_version") != SCHEMA_VERSION:
        err("profile", "schema_version must be %d" % SCHEMA_VERSION)
    for k in ("name", "runtime", "runtime_version", "device", "source"):
        if k in p and not (isinstance(p[k], str) and p[k]):
            err("profile", "%s must be a non-empty string" % k)
    if "notes" in p and not (isinstance(p["notes"], list) and
                             all(isinstance(x, str) for x in p["notes"])):
        err("profile", "notes must be a list of strings")
    dmr = p.get("default_max_rank")
    if dmr is not None and not (_is_int(dmr) and dmr >= 0):
        err("profile", "default_max_rank must be null or an integer >= 0")
    if "expands_functions" in p and not isinstance(p["expands_functions"],
                                                   bool):
        err("profile", "expands_functions must be a boolean")
    for dom, r in (p.get("opset_ranges") or {}).items():
        check_range("opset_ranges.%s" % dom, r)
    for a, b in (p.get("type_conversions") or {}).items():
        if not (TYPE_RE.match(a) and isinstance(b, str) and TYPE_RE.match(b)):
            err("type_conversions", "bad entry %r: %r" % (a, b))
    ops = p.get("ops")
    if not isinstance(ops, list):
        err("profile", "ops must be a list")
        ops = []
    for i, e in enumerate(ops):
        w = "ops[%d]" % i
        if not isinstance(e, dict):
            err(w, "not an object")
            continue
        w = "ops[%d] %s:%s" % (i, e.get("domain"), e.get("op"))
        req = {"domain", "op", "supported", "versions"}
        opt = {"opset_range", "types", "restrictions", "reason", "comment"}
        for k in req - set(e):
            err(w, "missing %s" % k)
        for k in set(e) - req - opt:
            if not _ext(k):
                err(w, "unknown key %s" % k)
        for k in ("domain", "op", "reason", "comment"):
            if k in e and not (isinstance(e[k], str) and e[k]):
                err(w, "%s must be a non-empty string" % k)
        if not isinstance(e.get("supported"), bool):
            err(w, "supported must be a boolean")
        vs = e.get("versions")
        if not isinstance(vs, list):
            err(w, "versions must be a list")
            vs = []
        for r in vs:
            check_range(w, r)
        if e.get("supported") is True and not vs:
            err(w, "a supported op needs at least one version range")
        if e.get("supported") is False and vs:
            err(w, "an unsupported op has no version ranges")
        if "opset_range" in e:
            check_range(w + " opset_range", e["opset_range"])
        types = e.get("types", {})
        if not isinstance(types, dict):
            err(w, "types must be an object")
            types = {}
        for k, tl in types.items():
            if not (isinstance(tl, list) and tl and
                    all(isinstance(t, str) and TYPE_RE.match(t) for t in tl)
                    and len(set(tl)) == len(tl)):
                err(w, "types.%s must be a list of distinct ONNX type "
                       "strings" % k)
        rs = e.get("restrictions", [])
        if not isinstance(rs, list):
            err(w, "restrictions must be a list")
            rs = []
        for j, r in enumerate(rs):
            rw = "%s restrictions[%d]" % (w, j)
            kind = r.get("kind") if isinstance(r, dict) else None
            if kind not in RESTRICTION_FIELDS:
                err(rw, "unknown kind %r" % (kind,))
                continue
            req_r, opt_r = RESTRICTION_FIELDS[kind]
            for k in req_r - set(r):
                err(rw, "missing %s" % k)
            for k in set(r) - req_r - opt_r - {"kind"}:
                if not _ext(k):
                    err(rw, "unknown key %s" % k)
            if not (isinstance(r.get("text"), str) and r["text"]):
                err(rw, "text must be a non-empty string")
            for k in ("input", "output", "rank"):
                if k in r and not (_is_int(r[k]) and r[k] >= 0):
                    err(rw, "%s must be an integer >= 0" % k)
            if "ranks" in r and not (isinstance(r["ranks"], list) and
                                     r["ranks"] and
                                     all(_is_int(x) and x >= 0
                                         for x in r["ranks"])):
                err(rw, "ranks must be a list of integers >= 0")
            if kind == "static_shape" and "input" in r and "output" in r:
                err(rw, "static_shape takes input or output, not both")
            if kind == "attr" and len({"allowed", "forbidden",
                                       "allowed_elements"} & set(r)) != 1:
                err(rw, "attr takes one of allowed, forbidden, "
                        "allowed_elements")
            for k in ("allowed", "forbidden", "allowed_elements"):
                if k in r and not (isinstance(r[k], list) and r[k] and all(
                        isinstance(x, (str, int, float)) and
                        not isinstance(x, bool) for x in r[k])):
                    err(rw, "%s must be a list of strings or numbers" % k)
            if "types" in r and not (isinstance(r["types"], list) and
                                     r["types"] and
                                     all(isinstance(t, str) and
                                         TYPE_RE.match(t)
                                         for t in r["types"])):
                err(rw, "types must be a list of ONNX type strings")
            if "equals" in r and not isinstance(r["equals"],
                                                (bool, int, float)):
                err(rw, "equals must be a boolean or a number")
    return errs


def load_jsonschema(schema_path):
    try:
        import jsonschema
    except ImportError:
        return None
    cls = getattr(jsonschema, "Draft202012Validator", None)
    if cls is None:
        return None
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls.check_schema(schema)
    return cls(schema)


def validate(name, prof, validator):
    errs = check_structure(prof)
    if validator is not None:
        for e in sorted(validator.iter_errors(prof), key=lambda e: list(
                map(str, e.absolute_path))):
            errs.append("schema: %s: %s" % (
                "/".join(str(x) for x in e.absolute_path), e.message))
    if errs:
        raise SystemExit("%s: invalid profile:\n  %s"
                         % (name, "\n  ".join(errs[:30])))


# --------------------------------------------------------------------------

def print_stats(stats, onnx):
    total = Counter()
    for name, (rows, ops, counts) in stats.items():
        sup = sum(1 for e in ops if e["supported"])
        names = len(set((e["domain"], e["op"]) for e in ops))
        nrestr = sum(len(e.get("restrictions", [])) for e in ops)
        print("%-14s rows %4d  entries %4d  ops %4d (supported entries %d, "
              "unsupported %d)  restrictions %d"
              % (name, len(rows), len(ops), names, sup, len(ops) - sup,
                 nrestr), file=sys.stderr)
        for k, v in sorted(counts.items()):
            print("    %-28s %d" % (k, v), file=sys.stderr)
        total.update(counts)
    print("all profiles:", file=sys.stderr)
    for k, v in sorted(total.items()):
        print("    %-28s %d" % (k, v), file=sys.stderr)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", help="shared directory or its targets/ dir")
    ap.add_argument("--out", default=os.path.join(REPO, "targets"))
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if a committed profile differs")
    ap.add_argument("--stats", action="store_true")
    a = ap.parse_args(argv)

    shared = a.shared or os.path.join(REPO, "..", "shared")
    if os.path.isfile(os.path.join(shared, "targets", "onnx-opsets.tsv")):
        shared = os.path.join(shared, "targets")
    if not os.path.isfile(os.path.join(shared, "onnx-opsets.tsv")):
        raise SystemExit("no onnx-opsets.tsv in %s (use --shared DIR)" % shared)

    profiles, stats, onnx = build_all(shared)
    validator = load_jsonschema(os.path.join(REPO, "targets",
                                             "profile.schema.json"))
    texts = OrderedDict()
    for name, prof in profiles.items():
        validate(name, prof, validator)
        texts[name + ".json"] = dump(prof)
    if a.stats:
        print_stats(stats, onnx)
        print("validated with %s" % ("jsonschema and the structural check"
                                     if validator else
                                     "the structural check only"),
              file=sys.stderr)

    if a.check:
        bad = []
        for fn, text in texts.items():
            path = os.path.join(a.out, fn)
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    old = f.read()
            except OSError:
                old = None
            if old != text:
                bad.append(fn + (" (missing)" if old is None else ""))
        if bad:
            print("out of date: %s; run %s" % (", ".join(bad),
                                               "tools/gen_targets.py"),
                  file=sys.stderr)
            return 1
        return 0

    os.makedirs(a.out, exist_ok=True)
    for fn, text in texts.items():
        path = os.path.join(a.out, fn)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
