#!/usr/bin/python3
"""gen_ops.py: write src/ops_table.c, the operator registry data.

One row per (domain, op_type, since_version) of ai.onnx and ai.onnx.ml, with its
inputs, outputs, attributes, type constraints, drawing category and whether the spec
gives it a function body. Run from the top of the tree:

    /usr/bin/python3 tools/gen_ops.py            # writes src/ops_table.c

Sources:
- onnx.defs (python3-onnx, which knows ai.onnx opsets up to 17 and ai.onnx.ml up
  to 3) for every schema version it knows;
- docs/Changelog.md and docs/Changelog-ml.md of an ONNX git snapshot for the newer
  versions, and docs/Operators.md (+ Operators-ml.md) for which newest versions are
  functions;
- ../shared/targets/onnx-opsets.tsv, the list of rows that must exist.

The Changelog parser also reads every version onnx.defs knows, and the script stops
if the two disagree there, so the parser is checked on 440 schema versions before its
output is trusted for the rest. The Changelog omits the signature of deprecated
schemas; the few newer ones are filled from SUPPLEMENT below.

Needs python3-onnx; the interpreter first on PATH may lack it, hence /usr/bin/python3.
"""

import argparse
import os
import re
import struct
import subprocess
import sys

try:
    import onnx
    import onnx.defs
except ImportError:
    sys.exit("gen_ops.py: needs python3-onnx; run it with /usr/bin/python3")

INT_MAX = 2147483647
ML = "ai.onnx.ml"

# TensorProto.DataType codes.
DTYPES = {
    "float": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6,
    "int64": 7, "string": 8, "bool": 9, "float16": 10, "double": 11, "uint32": 12,
    "uint64": 13, "complex64": 14, "complex128": 15, "bfloat16": 16,
    "float8e4m3fn": 17, "float8e4m3fnuz": 18, "float8e5m2": 19,
    "float8e5m2fnuz": 20, "uint4": 21, "int4": 22, "float4e2m1": 23,
    "float8e8m0": 24, "uint2": 25, "int2": 26,
}

# AttributeProto.AttributeType codes, by the names the Changelog prints.
ATTR_DOC_TYPES = {
    "float": 1, "int": 2, "string": 3, "tensor": 4, "graph": 5,
    "list of floats": 6, "list of ints": 7, "list of strings": 8,
    "list of tensors": 9, "list of graphs": 10, "sparse_tensor": 11,
    "list of sparse_tensors": 12, "type_proto": 13, "list of type_protos": 14,
}
ATTR_NAMES = {v: k for k, v in {
    "FLOAT": 1, "INT": 2, "STRING": 3, "TENSOR": 4, "GRAPH": 5, "FLOATS": 6,
    "INTS": 7, "STRINGS": 8, "TENSORS": 9, "GRAPHS": 10, "SPARSE_TENSOR": 11,
    "SPARSE_TENSORS": 12, "TYPE_PROTO": 13, "TYPE_PROTOS": 14}.items()}

# Drawing category of every operator, in the spirit of Netron's colours. Every op
# must be listed: a new op without a category stops the script, so someone decides.
CATEGORIES = {
    "layer": """Conv ConvTranspose DeformConv Gemm MatMul Einsum RNN LSTM GRU
        Attention LinearAttention CausalConvWithState RotaryEmbedding""",
    "activation": """Relu LeakyRelu PRelu Elu Selu Celu Sigmoid HardSigmoid Tanh
        Softmax LogSoftmax Hardmax Softplus Softsign ThresholdedRelu Gelu Mish
        HardSwish Swish SwiGLU Shrink Clip""",
    "pool": """AveragePool MaxPool GlobalAveragePool GlobalMaxPool LpPool GlobalLpPool
        MaxRoiPool MaxUnpool RoiAlign""",
    "normalization": """BatchNormalization InstanceNormalization LayerNormalization
        GroupNormalization LpNormalization LRN MeanVarianceNormalization
        RMSNormalization""",
    "dropout": "Dropout",
    "shape": "Reshape Flatten Squeeze Unsqueeze Shape Size",
    "tensor": """Concat Split Slice Gather GatherElements GatherND Scatter
        ScatterElements ScatterND TensorScatter Pad Tile Expand Compress Identity
        Where OneHot NonZero Unique TopK Trilu CenterCropPad ReverseSequence""",
    "transform": """Transpose DepthToSpace SpaceToDepth Resize Upsample GridSample
        AffineGrid Col2Im Cast CastLike BitCast""",
    "data": """Constant ConstantOfShape EyeLike Range RandomNormal RandomNormalLike
        RandomUniform RandomUniformLike Multinomial Bernoulli HannWindow
        HammingWindow BlackmanWindow MelWeightMatrix ImageDecoder""",
    "quantization": """QuantizeLinear DequantizeLinear DynamicQuantizeLinear QLinearConv
        QLinearMatMul ConvInteger MatMulInteger""",
    "control": "If Loop Scan SequenceMap",
    "logic": """And Or Xor Not Equal Greater GreaterOrEqual Less LessOrEqual IsNaN
        IsInf BitwiseAnd BitwiseOr BitwiseXor BitwiseNot""",
    "arithmetic": """Add Sub Mul Div Pow Mod Neg Abs Sign Reciprocal Sqrt Exp Log
        Floor Ceil Round Max Min Sum Mean Erf Sin Cos Tan Asin Acos Atan Sinh Cosh
        Asinh Acosh Atanh BitShift CumSum CumProd Det""",
    "reduce": """ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean
        ReduceMin ReduceProd ReduceSum ReduceSumSquare ArgMax ArgMin""",
    "sequence": """SequenceAt SequenceConstruct SequenceEmpty SequenceErase
        SequenceInsert SequenceLength SplitToSequence ConcatFromSequence Optional
        OptionalGetElement OptionalHasElement""",
    "other": """NonMaxSuppression TfIdfVectorizer StringNormalizer StringConcat
        StringSplit RegexFullMatch DFT STFT NegativeLogLikelihoodLoss
        SoftmaxCrossEntropyLoss""",
}

# Deprecated schema versions newer than onnx.defs knows, whose signature the
# Changelog leaves out. Facts read by hand from onnx/defs/nn/old.cc and
# onnx/defs/traditionalml/defs.cc of the snapshot.
SUPPLEMENT = {
    # Same inputs, attributes and types as GroupNormalization-21 minus its
    # stash_type attribute; the schema builds a context-dependent function body.
    ("", "GroupNormalization", 18): {
        "inputs": [("X", "T", "single", True), ("scale", "T", "single", True),
                   ("bias", "T", "single", True)],
        "outputs": [("Y", "T", "single", True)],
        "attrs": [("epsilon", 1, False, 1e-5), ("num_groups", 2, True, None)],
        "tcs": [("T", ["tensor(float16)", "tensor(float)", "tensor(double)",
                       "tensor(bfloat16)"])],
        "function": True,
    },
    # Deprecated copies of the version-3 signatures (same inputs, outputs,
    # attributes, defaults and type constraints).
    (ML, "TreeEnsembleClassifier", 5): {"like": 3},
    (ML, "TreeEnsembleRegressor", 5): {"like": 3},
}


# Versions with a function body that neither onnx.defs 1.12 nor Operators.md (which
# shows only each op's newest version) reveals, checked by hand in the snapshot's
# onnx/defs/*/old.cc: the activations got bodies after 1.12 (their body imports
# opset 18); the others are intermediate versions of ops whose newest is a function.
FUNCTIONS_BY_HAND = {
    ("", "Elu", 6), ("", "HardSigmoid", 6), ("", "Selu", 6), ("", "Softplus", 1),
    ("", "Softsign", 1), ("", "ThresholdedRelu", 10), ("", "Mish", 18),
    ("", "Attention", 23), ("", "Attention", 24), ("", "CastLike", 19),
    ("", "CastLike", 21), ("", "CastLike", 23), ("", "CastLike", 24),
}


def fail(msg):
    sys.stderr.write("gen_ops.py: %s\n" % msg)
    sys.exit(1)


def f32(x):
    """x rounded to float32, as AttributeProto.f stores it."""
    return struct.unpack("f", struct.pack("f", x))[0]


def split_top(s):
    """Split a type list at commas outside parentheses: 'map(a, b), tensor(c)'."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def norm_type(t):
    return t.replace(" ", "")


# --------------------------------------------------------------------------
# Source 1: onnx.defs

def from_defs():
    rows = {}
    for s in onnx.defs.get_all_schemas_with_history():
        if s.domain not in ("", ML):
            continue
        opt = {0: "single", 1: "optional", 2: "variadic"}

        def formals(lst):
            return [(f.name, norm_type(f.typeStr), opt[int(f.option.value)],
                     bool(f.isHomogeneous)) for f in lst]

        attrs = []
        for name in sorted(s.attributes):
            a = s.attributes[name]
            code = int(a.type.value)
            dv = a.default_value
            default = None
            if dv.type != 0:
                if dv.type == 1:
                    default = dv.f
                elif dv.type == 2:
                    default = dv.i
                elif dv.type == 3:
                    default = dv.s.decode()
                elif dv.type == 6:
                    default = list(dv.floats)
                elif dv.type == 7:
                    default = list(dv.ints)
                elif dv.type == 8:
                    default = [x.decode() for x in dv.strings]
                else:
                    fail("%s-%d.%s: default of type %d not supported"
                         % (s.name, s.since_version, name, dv.type))
            attrs.append((name, code, bool(a.required), default))
        tcs = [(t.type_param_str, [norm_type(x) for x in t.allowed_type_strs])
               for t in s.type_constraints]
        rows[(s.domain, s.name, s.since_version)] = {
            "deprecated": bool(s.deprecated),
            "inputs": formals(s.inputs),
            "outputs": formals(s.outputs),
            "min_in": s.min_input, "max_in": s.max_input,
            "min_out": s.min_output, "max_out": s.max_output,
            "attrs": attrs,
            "tcs": tcs,
            "function": bool(s.has_function or s.has_context_dependent_function),
            "source": "onnx.defs %s" % onnx.__version__,
        }
    return rows


# --------------------------------------------------------------------------
# Source 2: the Changelog markdown

HEAD_RE = re.compile(r'^### <a name="([^"]+)"></a>\*\*([^*]+)\*\*( \(deprecated\))?</a>$')
DT_RE = re.compile(r"^<dt><tt>(.*?)</tt>(.*?) : (.*)</dt>$")
RANGE_RE = re.compile(r"^#### (Inputs|Outputs)(?: \((\d+) - (\d+|&#8734;)\))?$")
SINCE_RE = re.compile(r"has been (available|deprecated) since version (\d+) of")


def parse_default(code, text):
    if code == 1:
        return float(text.strip("()"))
    if code == 2:
        return int(text)
    if code == 3:
        return text
    if code in (6, 7, 8):
        m = re.fullmatch(r"\[(.*)\]", text)
        if not m:
            fail("bad list default %r" % text)
        items = re.findall(r"'([^']*)'", m.group(1))
        if code == 6:
            return [float(x) for x in items]
        if code == 7:
            return [int(x) for x in items]
        return items
    fail("default for attribute type %d: %r" % (code, text))


def parse_dt_formal(rest):
    flags = [x.strip() for x in rest.strip().strip("()").split(",") if x.strip()]
    option = "single"
    if "optional" in flags:
        option = "optional"
    if "variadic" in flags:
        option = "variadic"
    return option, "heterogeneous" not in flags


def parse_changelog(text):
    rows = {}
    domain = None
    cur = None
    section = None
    for line in text.split("\n"):
        if line.startswith("# "):
            dom = line[2:].strip()
            domain = "" if dom == "ai.onnx (default)" else dom
            cur = None
            continue
        if line.startswith("## "):
            cur = None
            continue
        m = HEAD_RE.match(line)
        if m:
            cur = None
            if domain not in ("", ML):
                continue
            full = m.group(2)
            name, ver = full.rsplit("-", 1)
            if domain and name.startswith(domain + "."):
                name = name[len(domain) + 1:]
            cur = {"deprecated": bool(m.group(3)), "inputs": [], "outputs": [],
                   "attrs": [], "tcs": [], "range": {}, "function": False,
                   "since": int(ver), "source": "Changelog"}
            key = (domain, name, int(ver))
            if key in rows:
                fail("Changelog lists %r twice" % (key,))
            rows[key] = cur
            section = None
            continue
        if cur is None:
            continue
        if line.startswith("#### "):
            section = line[5:].strip()
            r = RANGE_RE.match(line)
            if r:
                section = r.group(1)
                if r.group(2):
                    hi = INT_MAX if r.group(3) == "&#8734;" else int(r.group(3))
                    cur["range"][section] = (int(r.group(2)), hi)
            continue
        if section == "Version":
            m = SINCE_RE.search(line)
            if m and int(m.group(2)) != cur["since"]:
                fail("version text disagrees with heading near %r" % line)
            continue
        m = DT_RE.match(line)
        if not m:
            continue
        name, rest, typ = m.group(1), m.group(2), m.group(3)
        if section == "Attributes":
            req, default = False, None
            dm = re.fullmatch(r"(.*?) \((required|default is (.*))\)", typ)
            tname = typ
            if dm:
                tname = dm.group(1)
                if dm.group(2) == "required":
                    req = True
            if tname not in ATTR_DOC_TYPES:
                fail("unknown attribute type %r" % typ)
            code = ATTR_DOC_TYPES[tname]
            if dm and dm.group(3) is not None:
                default = parse_default(code, dm.group(3))
            cur["attrs"].append((name, code, req, default))
        elif section in ("Inputs", "Outputs"):
            option, homog = parse_dt_formal(rest)
            cur[section.lower()].append((name, norm_type(typ), option, homog))
        elif section == "Type Constraints":
            cur["tcs"].append((name, [norm_type(x) for x in split_top(typ)]))
    for key, r in rows.items():
        for sec, lst in (("Inputs", r["inputs"]), ("Outputs", r["outputs"])):
            lo, hi = r["range"].get(sec, (len(lst), len(lst)))
            k = "in" if sec == "Inputs" else "out"
            r["min_" + k], r["max_" + k] = lo, hi
        del r["range"], r["since"]
    return rows


def parse_function_lists(text, domain):
    """Op names whose newest schema is a function, from an Operators*.md index."""
    names = set()
    in_funcs = False
    active = False
    for line in text.split("\n"):
        if line.startswith("### "):
            in_funcs = False
            cur_dom = line[4:].strip()
            active = (cur_dom == "ai.onnx (default)" and domain == "") or cur_dom == domain
            continue
        if line.startswith("|**Function**"):
            in_funcs = True
            continue
        if line.startswith("|**Operator**") or not line.startswith("|"):
            if not line.startswith("|"):
                in_funcs = False
            continue
        if in_funcs and active:
            m = re.search(r'<a href="#([^"]+)">', line)
            if m:
                n = m.group(1)
                if domain and n.startswith(domain + "."):
                    n = n[len(domain) + 1:]
                names.add(n)
    return names


# --------------------------------------------------------------------------
# Consistency of the two sources

def same_float(a, b):
    # The Changelog prints floats with 6 or 7 significant digits.
    return a == b or abs(a - b) <= 5e-6 * max(abs(a), abs(b))


def same_default(a, b):
    if a is None or b is None:
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        return same_float(float(a), float(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same_default(x, y) for x, y in zip(a, b))
    return a == b


def compare(key, d, c):
    """Differences between an onnx.defs row d and a Changelog row c."""
    diffs = []
    if d["deprecated"] != c["deprecated"]:
        diffs.append("deprecated %s vs %s" % (d["deprecated"], c["deprecated"]))
    if d["deprecated"] and c["deprecated"]:
        # The Changelog prints no signature for deprecated versions.
        return diffs
    for f in ("inputs", "outputs", "min_in", "max_in", "min_out", "max_out"):
        if d[f] != c[f]:
            diffs.append("%s: %r vs %r" % (f, d[f], c[f]))
    da, ca = d["attrs"], c["attrs"]
    if [a[:3] for a in da] != [a[:3] for a in ca]:
        diffs.append("attrs: %r vs %r" % ([a[:3] for a in da], [a[:3] for a in ca]))
    else:
        for x, y in zip(da, ca):
            if not same_default(x[3], y[3]):
                diffs.append("default of %s: %r vs %r" % (x[0], x[3], y[3]))
    if [(n, sorted(t)) for n, t in d["tcs"]] != [(n, sorted(t)) for n, t in c["tcs"]]:
        diffs.append("type constraints: %r vs %r" % (d["tcs"], c["tcs"]))
    return diffs


# Where onnx.defs 1.12 and the snapshot's Changelog disagree on a version both
# know, which one the table follows and why. The check fails on any other difference
# and on an entry here that no longer differs.
KNOWN_DIFFS = {
    # 1.12 declares grid as T1 (any type) and Y as T2 (float), while its own shape
    # inference copies X's type to Y; ONNX fixed the declaration in 2023 (#5010) to
    # X: T1, grid: T2, Y: T1, which is what runtimes implement.
    ("", "GridSample", 16): "changelog",
    # Erf-13 allowed every numeric type from ONNX 1.8 through 1.22; a 2026 refactor
    # (#7969, sharing a unary float-op generator) narrowed the old schema to floats.
    # The released behaviour stands.
    ("", "Erf", 13): "defs",
}


def carry_float_defaults(rows, key):
    """Replace a Changelog float default (printed to 6 digits) by the exact value
    of the same attribute in an earlier version, where the two agree."""
    r = rows[key]
    earlier = sorted((k for k in rows if k[:2] == key[:2] and k[2] < key[2]),
                     key=lambda k: -k[2])
    out = []
    for name, code, req, default in r["attrs"]:
        if code in (1, 6) and default is not None:
            for k in earlier:
                prev = {a[0]: a for a in rows[k]["attrs"]}.get(name)
                if prev and prev[1] == code and prev[3] is not None and \
                        same_default(prev[3], default):
                    default = prev[3]
                    break
        out.append((name, code, req, default))
    r["attrs"] = out


# --------------------------------------------------------------------------
# C output

def type_mask(types):
    """(tensor, seq, optional, optional_seq, other) masks for a list of types."""
    masks = [0, 0, 0, 0]
    other = []
    pats = [r"tensor\((\w+)\)", r"seq\(tensor\((\w+)\)\)",
            r"optional\(tensor\((\w+)\)\)", r"optional\(seq\(tensor\((\w+)\)\)\)"]
    for t in types:
        for i, p in enumerate(pats):
            m = re.fullmatch(p, t)
            if m:
                if m.group(1) not in DTYPES:
                    fail("unknown element type in %r" % t)
                masks[i] |= 1 << DTYPES[m.group(1)]
                break
        else:
            if not re.fullmatch(r"(seq\()?map\(\w+,\w+\)\)?", t):
                fail("type %r fits no field of struct ox_op_tc" % t)
            other.append(t.replace(",", ", "))
    return masks, other


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_mask(m):
    if m == 0:
        return "0"
    names = {v: k.upper() for k, v in DTYPES.items()}
    return "|".join(names[k] for k in range(64) if m >> k & 1)


def c_float(x):
    x = f32(x)
    if x in (float("inf"), float("-inf")):
        fail("infinite default")
    r = repr(x)
    for digits in range(1, 10):
        s = "%.*g" % (digits, x)
        if f32(float(s)) == x:
            r = s
            break
    if "e" not in r and "." not in r and "n" not in r:
        r += ".0"
    return r + "f"


def wrap(line, width=96):
    """Break a long table entry after '|' or ', ', continuing two tabs in."""
    out, cur = [], line
    while len(cur.expandtabs(8)) > width:
        cut = max(cur.rfind("|", 0, width - 8), cur.rfind(", ", 0, width - 8))
        while cut > 0 and cur.count('"', 0, cut) % 2:   # not inside a string
            cut = max(cur.rfind("|", 0, cut), cur.rfind(", ", 0, cut))
        if cut <= 0:
            break
        cut += 1
        out.append(cur[:cut].rstrip())
        cur = "\t\t" + cur[cut:].lstrip()
    out.append(cur)
    return "\n".join(out)


class Pool:
    """Rows of one C array; equal runs are stored once."""

    def __init__(self):
        self.items = []
        self.index = {}

    def add(self, seq):
        seq = tuple(seq)
        if not seq:
            return 0
        if seq not in self.index:
            n, at = len(seq), len(self.items)
            for i in range(len(self.items) - n + 1):
                if tuple(self.items[i:i + n]) == seq:
                    at = i
                    break
            else:
                self.items.extend(seq)
            self.index[seq] = at
        return self.index[seq]


def emit(rows, out, provenance):
    consts = []          # lines of attribute default arrays
    nconst = [0]

    const_names = {}

    def const_array(ctype, values, fmt):
        body = "{%s}" % ", ".join(fmt(v) for v in values)
        if (ctype, body) not in const_names:
            name = "d%d" % nconst[0]
            nconst[0] += 1
            consts.append("static const %s %s[] = %s;" % (ctype, name, body))
            const_names[(ctype, body)] = name
        return const_names[(ctype, body)]

    formals, attrs, tcs = Pool(), Pool(), Pool()
    lines = []
    for key in sorted(rows):
        domain, name, since = key
        r = rows[key]
        tc_names = [t[0] for t in r["tcs"]]
        tc_masks = {n: type_mask(t) for n, t in r["tcs"]}

        def formal(f):
            fname, ftype, option, homog = f
            if ftype in tc_names:
                idx = tc_names.index(ftype)
                mask = tc_masks[ftype][0][0]
            else:
                idx = -1
                m, other = type_mask([ftype])
                if other or m[1] or m[2] or m[3]:
                    fail("%s-%d: concrete type %r is not a tensor" % (name, since, ftype))
                mask = m[0]
            return 'F(%s, %s, %s, %d, %d, %s)' % (
                c_str(fname), c_str(ftype), {"single": "SINGLE", "optional": "OPTIONAL",
                                              "variadic": "VARIADIC"}[option],
                0 if homog else 1, idx, c_mask(mask))

        def attr(a):
            aname, code, req, default = a
            t = ATTR_NAMES[code]
            if default is None:
                return "A(%s, %s, %d)" % (c_str(aname), t, int(req))
            if code == 1:
                return "A_F(%s, %s)" % (c_str(aname), c_float(default))
            if code == 2:
                return "A_I(%s, %d)" % (c_str(aname), default)
            if code == 3:
                return "A_S(%s, %s)" % (c_str(aname), c_str(default))
            if code == 6:
                arr = const_array("float", default, c_float)
                return "A_FS(%s, %s)" % (c_str(aname), arr)
            if code == 7:
                arr = const_array("int64_t", default, lambda v: "%d" % v)
                return "A_IS(%s, %s)" % (c_str(aname), arr)
            if code == 8:
                arr = const_array("char *const", default, c_str)
                return "A_SS(%s, %s)" % (c_str(aname), arr)
            fail("default of type %d" % code)

        def tc(t):
            (m, other) = tc_masks[t[0]]
            fields = [c_str(t[0])] + [c_mask(x) for x in m] + \
                [c_str(", ".join(other)) if other else "NULL"]
            one = "T(%s)" % ", ".join(fields)
            if len(one) < 84:
                return one
            # Long masks start a line of their own; short fields share one.
            lines = ["T(%s," % fields[0]]
            cur = None
            for f in fields[1:]:
                if cur is not None and len(cur.expandtabs(8)) + len(f) + 2 <= 96:
                    cur += " " + f + ","
                    continue
                if cur is not None:
                    lines.append(cur)
                cur = wrap("\t\t" + f) + ","
            lines.append(cur[:-1] + ")")
            return "\n".join(lines)

        fi = formals.add(formal(f) for f in r["inputs"])
        fo = formals.add(formal(f) for f in r["outputs"])
        ai = attrs.add(attr(a) for a in sorted(r["attrs"]))  # ops.c bisects them
        ti = tcs.add(tc(t) for t in r["tcs"])
        maxin = "INF" if r["max_in"] == INT_MAX else str(r["max_in"])
        maxout = "INF" if r["max_out"] == INT_MAX else str(r["max_out"])
        lines.append("\tROW(%s, %s, %d, %d, %s, %d, %d, %s, %d, %s, %d, %d, %d, %d, %d, %d, %d, %d)," % (
            c_str(domain), c_str(name), since, int(r["deprecated"]),
            r["category"].upper(), int(r["function"]),
            r["min_in"], maxin, r["min_out"], maxout,
            fi, len(r["inputs"]), fo, len(r["outputs"]),
            ai, len(r["attrs"]), ti, len(r["tcs"])))

    # The op index: one entry per (domain, op_type), pointing at its first row.
    names = []
    keys = sorted(rows)
    for i, key in enumerate(keys):
        if i == 0 or keys[i - 1][:2] != key[:2]:
            names.append([key[0], key[1], i, 0])
        names[-1][3] += 1

    w = out.write
    w("/* Generated by tools/gen_ops.py; do not edit. Regenerate with\n"
      " * /usr/bin/python3 tools/gen_ops.py\n")
    for p in provenance:
        w(" * %s\n" % p)
    w(" * %d rows, %d operators. */\n" % (len(rows), len(names)))
    w("#include \"ops.h\"\n\n#include <stddef.h>\n#include <stdint.h>\n\n")
    w("/* Element types as bits of a mask: bit k is TensorProto.DataType k. */\n")
    for k, v in sorted(DTYPES.items(), key=lambda kv: kv[1]):
        w("#define %s (UINT64_C(1) << %d)\n" % (k.upper(), v))
    w("\n/* AttributeProto.AttributeType codes. */\n")
    used = {a[1] for r in rows.values() for a in r["attrs"]}
    for code in sorted(used):
        w("#define AT_%s %d\n" % (ATTR_NAMES[code], code))
    w("\n#define SINGLE OX_OP_SINGLE\n#define OPTIONAL OX_OP_OPTIONAL\n"
      "#define VARIADIC OX_OP_VARIADIC\n#define INF OX_OP_UNBOUNDED\n\n")
    w("/* Attribute defaults that are lists. */\n")
    for c in consts:
        w(c + "\n")
    w("\n#define F(name, type, option, heterogeneous, tc, tensor) \\\n"
      "\t{ name, type, option, heterogeneous, tc, tensor }\n")
    w("/* Inputs and outputs; rows with the same list share it. */\n")
    w("static const struct ox_op_formal formals[] = {\n")
    for i, f in enumerate(formals.items):
        w(wrap("\t/* %d */ %s," % (i, f)) + "\n")
    w("};\n\n")
    w("/* A: no default (required or optional); A_<kind>: optional with a default. */\n"
      "#define A(nm, ty, req) { .name = nm, .type = AT_##ty, .required = req }\n")
    kinds = {1: ("F", "FLOAT", ".f = v"), 2: ("I", "INT", ".i = v"),
             3: ("S", "STRING", ".s = v"),
             6: ("FS", "FLOATS", "\\\n\t.n = sizeof v / sizeof v[0], .floats = v"),
             7: ("IS", "INTS", "\\\n\t.n = sizeof v / sizeof v[0], .ints = v"),
             8: ("SS", "STRINGS", "\\\n\t.n = sizeof v / sizeof v[0], .strings = v")}
    with_default = {a[1] for r in rows.values() for a in r["attrs"] if a[3] is not None}
    for code in sorted(with_default):
        k, t, field = kinds[code]
        w("#define A_%s(nm, v) { .name = nm, .type = AT_%s, .has_default = 1, %s }\n"
          % (k, t, field))
    w("/* Attributes, sorted by name within a row. */\n")
    w("static const struct ox_op_attr attrs[] = {\n")
    for i, a in enumerate(attrs.items):
        w(wrap("\t/* %d */ %s," % (i, a)) + "\n")
    w("};\n\n")
    w("#define T(name, tensor, seq, opt, opt_seq, other) \\\n"
      "\t{ name, tensor, seq, opt, opt_seq, other }\n")
    w("/* Type constraints. */\n")
    w("static const struct ox_op_tc tcs[] = {\n")
    for i, t in enumerate(tcs.items):
        w("\t/* %d */ %s,\n" % (i, t))
    w("};\n\n")
    w("#define ROW(dom, op, since, depr, cat, fn, min_in, max_in, min_out, max_out, \\\n"
      "\t    in, n_in, out, n_out, at, n_at, tc, n_tc) \\\n"
      "\t{ .domain = dom, .name = op, .since_version = since, .deprecated = depr, \\\n"
      "\t  .category = OX_OPC_##cat, .function = fn, \\\n"
      "\t  .min_inputs = min_in, .max_inputs = max_in, \\\n"
      "\t  .min_outputs = min_out, .max_outputs = max_out, \\\n"
      "\t  .n_inputs = n_in, .n_outputs = n_out, .n_attrs = n_at, .n_tcs = n_tc, \\\n"
      "\t  .inputs = formals + in, .outputs = formals + out, \\\n"
      "\t  .attrs = attrs + at, .tcs = tcs + tc }\n")
    w("/* Sorted by domain, name (strcmp order) and since_version.\n"
      " *  domain name since deprecated category function min_in max_in min_out max_out\n"
      " *  inputs n outputs n attrs n tcs n (indexes into the arrays above) */\n")
    w("const struct ox_op_schema ox_op_table_[] = {\n")
    for l in lines:
        w(l + "\n")
    w("};\n\n")
    w("const int ox_op_table_len_ = (int)(sizeof ox_op_table_ / sizeof ox_op_table_[0]);\n\n")
    w("/* One entry per operator: its first row and number of versions. */\n")
    w("const struct ox_op_name ox_op_names_[] = {\n")
    for d, n, first, count in names:
        w("\t{ %s, %s, %d, %d },\n" % (c_str(d), c_str(n), first, count))
    w("};\n\n")
    w("const int ox_op_names_len_ = (int)(sizeof ox_op_names_ / sizeof ox_op_names_[0]);\n\n")
    w("/* The hooks, NULL until someone registers one (see ops.h). */\n")
    w("ox_op_infer_fn *ox_op_infer_hooks_[sizeof ox_op_table_ / sizeof ox_op_table_[0]];\n")
    w("ox_op_kernel_fn *ox_op_kernel_hooks_[sizeof ox_op_table_ / sizeof ox_op_table_[0]];\n")


# --------------------------------------------------------------------------

def git_show(gitdir, rev, path):
    return subprocess.run(["git", "-C", gitdir, "show", "%s:%s" % (rev, path)],
                          check=True, capture_output=True, text=True).stdout


def read_tsv(path):
    want = {}
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rec = dict(zip(header, line.rstrip("\n").split("\t")))
            dom = "" if rec["domain"] == "ai.onnx" else rec["domain"]
            want[(dom, rec["op_type"], int(rec["since_version"]))] = rec["deprecated"] == "1"
    return want


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--onnx-git", default="/work/.mirror/onnx+onnx/repo",
                    help="ONNX git directory (bare is fine)")
    ap.add_argument("--rev", default="HEAD", help="revision of the ONNX snapshot")
    ap.add_argument("--tsv", default=os.path.join(top, "..", "shared", "targets",
                                                  "onnx-opsets.tsv"),
                    help="list of the rows that must exist")
    ap.add_argument("-o", "--output", default=os.path.join(top, "src", "ops_table.c"))
    args = ap.parse_args()

    defs = from_defs()
    log = parse_changelog(git_show(args.onnx_git, args.rev, "docs/Changelog.md"))
    log.update(parse_changelog(git_show(args.onnx_git, args.rev, "docs/Changelog-ml.md")))
    funcs = {"": parse_function_lists(git_show(args.onnx_git, args.rev,
                                               "docs/Operators.md"), ""),
             ML: parse_function_lists(git_show(args.onnx_git, args.rev,
                                               "docs/Operators-ml.md"), ML)}
    commit = subprocess.run(["git", "-C", args.onnx_git, "rev-parse", args.rev],
                            check=True, capture_output=True, text=True).stdout.strip()

    # 1. The Changelog parser must agree with onnx.defs wherever both speak.
    missing = sorted(set(defs) - set(log))
    if missing:
        fail("Changelog lacks %d versions onnx.defs knows, e.g. %r" % (len(missing), missing[:5]))
    bad = 0
    for key in sorted(defs):
        diffs = compare(key, defs[key], log[key])
        if key in KNOWN_DIFFS:
            if not diffs:
                fail("%s-%d now agrees; drop it from KNOWN_DIFFS" % (key[1], key[2]))
            print("known difference %s-%d, following %s: %s"
                  % (key[1], key[2], KNOWN_DIFFS[key], "; ".join(diffs)))
            continue
        for d in diffs:
            sys.stderr.write("mismatch %s-%d: %s\n" % (key[1], key[2], d))
        bad += bool(diffs)
    if bad:
        fail("%d schema versions differ between onnx.defs and the Changelog" % bad)
    print("consistency: %d versions from onnx.defs %s match the Changelog parse "
          "(%d known differences)" % (len(defs), onnx.__version__, len(KNOWN_DIFFS)))

    # 2. Merge: onnx.defs where it knows the version, else the Changelog.
    rows = {}
    for key, r in log.items():
        if key in defs and KNOWN_DIFFS.get(key) != "changelog":
            rows[key] = defs[key]
        else:
            rows[key] = r
            if key in defs:
                r["function"] = defs[key]["function"]
                r["source"] = "Changelog (over %s)" % defs[key]["source"]
    for key in sorted(rows, key=lambda k: k[2]):
        if key not in defs:
            carry_float_defaults(rows, key)
    for key, sup in SUPPLEMENT.items():
        if key in defs:
            fail("supplement for %r is no longer needed" % (key,))
        r = rows[key]
        if r["inputs"] or r["outputs"]:
            fail("the Changelog now documents %r; drop its supplement" % (key,))
        if "like" in sup:
            base = rows[(key[0], key[1], sup["like"])]
            for f in ("inputs", "outputs", "attrs", "tcs", "min_in", "max_in",
                      "min_out", "max_out"):
                r[f] = base[f]
        else:
            r.update(sup)
            for k, lst in (("in", r["inputs"]), ("out", r["outputs"])):
                r["min_" + k] = sum(1 for f in lst if f[2] == "single")
                r["max_" + k] = len(lst)
        r["source"] = "supplement"
    # Function bodies: what onnx.defs says, plus the newest versions Operators.md
    # lists as functions, plus FUNCTIONS_BY_HAND. A newer intermediate version of
    # an op whose newest version is a function must be decided by hand.
    newest = {}
    for key in rows:
        if key[2] > newest.get(key[:2], 0):
            newest[key[:2]] = key[2]
    for key, r in rows.items():
        if newest[key[:2]] == key[2] and key[1] in funcs[key[0]]:
            if key in FUNCTIONS_BY_HAND:
                fail("%r: Operators.md shows it; drop it from FUNCTIONS_BY_HAND" % (key,))
            r["function"] = True
        elif key in FUNCTIONS_BY_HAND:
            if r["function"]:
                fail("%r is already known as a function; drop it from "
                     "FUNCTIONS_BY_HAND" % (key,))
            r["function"] = True
        elif key not in defs and key[1] in funcs[key[0]] and not r["function"]:
            fail("%s-%d: is it a function? Check onnx/defs and update "
                 "FUNCTIONS_BY_HAND" % (key[1], key[2]))

    # 3. Exactly the rows of onnx-opsets.tsv, with the same deprecated flags.
    want = read_tsv(args.tsv)
    extra = sorted(set(rows) - set(want))
    lack = sorted(set(want) - set(rows))
    if extra or lack:
        fail("rows differ from %s: extra %r, missing %r" % (args.tsv, extra, lack))
    for key, dep in want.items():
        if rows[key]["deprecated"] != dep:
            fail("%r: deprecated flag differs from the TSV" % (key,))
    for key, r in rows.items():
        if not r["deprecated"] and not r["outputs"]:
            fail("%r has no outputs" % (key,))

    # 4. Categories.
    cat_of = {}
    for cat, names in CATEGORIES.items():
        for n in names.split():
            if n in cat_of:
                fail("%s is in two categories" % n)
            cat_of[n] = cat
    for key, r in rows.items():
        if key[0] == ML:
            r["category"] = "ml"
        elif key[1] in cat_of:
            r["category"] = cat_of[key[1]]
        else:
            fail("no category for %s; add it to CATEGORIES" % key[1])
    unused = set(cat_of) - {k[1] for k in rows}
    if unused:
        fail("CATEGORIES names unknown ops: %s" % sorted(unused))

    ops = len({k[:2] for k in rows})
    by_source = {}
    for r in rows.values():
        by_source[r["source"]] = by_source.get(r["source"], 0) + 1
    print("sources: " + ", ".join("%s %d" % kv for kv in sorted(by_source.items())))
    from_log = sum(1 for r in rows.values() if r["source"].startswith("Changelog"))
    prov = ["Sources: onnx.defs of python3-onnx %s (%d rows); docs/Changelog*.md of"
            % (onnx.__version__, by_source.get("onnx.defs " + onnx.__version__, 0)),
            "onnx/onnx %s (%d rows);" % (commit, from_log),
            "SUPPLEMENT in the script (%d deprecated rows the Changelog leaves bare)."
            % by_source.get("supplement", 0),
            "Function flags also from docs/Operators*.md and FUNCTIONS_BY_HAND."]
    tmp = args.output + ".tmp"
    with open(tmp, "w") as out:
        emit(rows, out, prov)
    os.replace(tmp, args.output)
    print("rows: %d (matches %d in %s); operators: %d; wrote %s"
          % (len(rows), len(want), os.path.basename(args.tsv), ops, args.output))


if __name__ == "__main__":
    main()
