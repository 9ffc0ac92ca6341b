#!/usr/bin/python3
"""Export the small ONNX models that onnx-opt ships in examples/ and tests/models/.

Run with the system interpreter, which has python3-torch, python3-torchvision and
python3-onnx from Debian:

    /usr/bin/python3 tools/export_examples.py [--root DIR]

Everything is built from seeded random initialisation; nothing is downloaded.
Running the script twice gives byte-identical files.  Each model is loaded back with
onnx.load and passed through onnx.checker.check_model, and one line per file is printed:
name, size, node count (top-level + nodes inside subgraphs and functions), opset.

Files written (relative to --root, default: the repository holding this script):
  examples/tinycnn.onnx                 small residual CNN, BatchNormalization kept, opset 13
  examples/tinybert.onnx                2-layer transformer encoder, opset 14
  tests/models/control_flow.onnx        torch.jit.script model with Loop and If, opset 13
  tests/models/external_data.onnx       MLP whose tensors live in external_data.data
  tests/models/external_data.data
  tests/models/function_metadata.onnx   model-local FunctionProto + metadata_props, doc strings
  tests/models/format_extras.onnx       sparse initializer, training info, typed tensor fields
  tests/models/zero_copy.onnx           large raw_data on every path the loader leaves in the file
                                        (initializers, Constant, If branch, function) and on
                                        paths it copies (sparse initializer, training info)
  tests/models/opset9.onnx              old-style export at opset 9 (Upsample, Pad, Slice attrs)
  tests/models/mobilenet_v2_w025.onnx   torchvision mobilenet_v2, width_mult 0.25, last conv 640,
                                        64x64 input
"""

import argparse
import io
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

SEED = 20240601
PRODUCER = "onnx-opt tools/export_examples.py"


# ----------------------------------------------------------------------------
# helpers


def reseed(offset=0):
    torch.manual_seed(SEED + offset)
    np.random.seed(SEED + offset)


def export_torch(model, args, path, opset, input_names, output_names,
                 dynamic_axes, training=torch.onnx.TrainingMode.EVAL,
                 do_constant_folding=True):
    """torch.onnx.export into memory, then write with onnx.save (stable bytes)."""
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, args, buf,
                          export_params=True,
                          opset_version=opset,
                          input_names=input_names,
                          output_names=output_names,
                          dynamic_axes=dynamic_axes,
                          training=training,
                          do_constant_folding=do_constant_folding,
                          verbose=False)
    m = onnx.load_from_string(buf.getvalue())
    strip_doc_strings(m.graph)
    onnx.save_model(m, path)
    return m


def strip_doc_strings(graph):
    """Torch may leave source locations (absolute paths) in node doc strings."""
    for n in graph.node:
        n.doc_string = ""
        for a in n.attribute:
            if a.HasField("g"):
                strip_doc_strings(a.g)
            for g in a.graphs:
                strip_doc_strings(g)


def count_nodes(graph):
    top = len(graph.node)
    sub = 0
    for n in graph.node:
        for a in n.attribute:
            gs = ([a.g] if a.HasField("g") else []) + list(a.graphs)
            for g in gs:
                t, s = count_nodes(g)
                sub += t + s
    return top, sub


def check_and_report(path, root):
    m = onnx.load(path)                       # loads external data too
    onnx.checker.check_model(path)            # by path: resolves external data
    onnx.checker.check_model(m)
    size = os.path.getsize(path)
    extra = ""
    raw = onnx.load(path, load_external_data=False)
    locs = set()
    for t in list(raw.graph.initializer):
        if t.data_location == TensorProto.EXTERNAL:
            for kv in t.external_data:
                if kv.key == "location":
                    locs.add(kv.value)
    for loc in sorted(locs):
        if (os.path.isabs(loc) or "/" in loc or "\\" in loc or loc in ("", ".", "..")):
            raise SystemExit(f"{path}: external data location {loc!r} is not a plain file name")
        dsize = os.path.getsize(os.path.join(os.path.dirname(path), loc))
        extra += f" +{loc} {dsize} B"
    top, sub = count_nodes(m.graph)
    fnodes = sum(len(f.node) for f in m.functions)
    opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in m.opset_import)
    rel = os.path.relpath(path, root)
    nodes = f"{top}"
    if sub:
        nodes += f" (+{sub} in subgraphs)"
    if fnodes:
        nodes += f" (+{fnodes} in functions)"
    print(f"{rel:40s} {size:8d} B{extra}  nodes={nodes}  opset={opsets}  ir={m.ir_version}")
    return size + (sum(os.path.getsize(os.path.join(os.path.dirname(path), l)) for l in locs))


# ----------------------------------------------------------------------------
# examples/tinycnn.onnx


class TinyCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.pool(x)
        y = F.relu(self.bn2(self.conv2(x)))
        x = x + y                     # residual Add
        x = self.gap(x)               # GlobalAveragePool
        x = torch.flatten(x, 1)       # Flatten
        return self.fc(x)             # Gemm


def randomize_bn_stats(model):
    """Give BatchNorm non-trivial running statistics, as a trained model has."""
    g = torch.Generator().manual_seed(SEED)
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            c = mod.num_features
            mod.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            mod.weight.data.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            mod.bias.data.copy_(torch.randn(c, generator=g) * 0.1)


def export_tinycnn(root):
    reseed(1)
    model = TinyCNN().eval()
    randomize_bn_stats(model)
    path = os.path.join(root, "examples", "tinycnn.onnx")
    # PRESERVE with the module in eval mode skips the eval peephole pass that folds
    # BatchNormalization into Conv; the BN nodes are exported in inference form.
    export_torch(model, (torch.randn(1, 3, 32, 32),), path, 13,
                 ["input"], ["logits"],
                 {"input": {0: "batch"}, "logits": {0: "batch"}},
                 training=torch.onnx.TrainingMode.PRESERVE,
                 do_constant_folding=False)
    m = onnx.load(path)
    ops = [n.op_type for n in m.graph.node]
    assert ops.count("BatchNormalization") == 2, ops
    return path


# ----------------------------------------------------------------------------
# examples/tinybert.onnx


class SelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.q = nn.Linear(hidden, hidden)
        self.k = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)

    def split(self, x, b, s):
        return x.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, mask_bias):
        b, s = x.shape[0], x.shape[1]
        q = self.split(self.q(x), b, s)
        k = self.split(self.k(x), b, s)
        v = self.split(self.v(x), b, s)
        scores = torch.matmul(q, k.transpose(-2, -1)) / (self.head_dim ** 0.5)
        scores = scores + mask_bias
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, self.heads * self.head_dim)
        return self.o(ctx)


class EncoderLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.attn = SelfAttention(hidden, heads)
        self.ln1 = nn.LayerNorm(hidden)
        self.fc1 = nn.Linear(hidden, ffn)
        self.fc2 = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden)

    def forward(self, x, mask_bias):
        x = self.ln1(x + self.attn(x, mask_bias))
        x = self.ln2(x + self.fc2(F.gelu(self.fc1(x))))
        return x


class TinyBert(nn.Module):
    def __init__(self, vocab=128, hidden=64, heads=4, ffn=128, layers=2, max_len=64):
        super().__init__()
        self.tok = nn.Embedding(vocab, hidden)
        self.pos = nn.Parameter(torch.randn(max_len, hidden) * 0.02)
        self.ln = nn.LayerNorm(hidden)
        self.layers = nn.ModuleList([EncoderLayer(hidden, heads, ffn) for _ in range(layers)])

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos[:s]
        x = self.ln(x)
        # [batch, 1, 1, seq]: 0 where attended, -10000 where masked
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        for layer in self.layers:
            x = layer(x, mask_bias)
        return x


def export_tinybert(root):
    reseed(2)
    model = TinyBert().eval()
    ids = torch.randint(0, 128, (2, 16), dtype=torch.int64)
    mask = torch.ones(2, 16, dtype=torch.int64)
    mask[1, 12:] = 0
    path = os.path.join(root, "examples", "tinybert.onnx")
    export_torch(model, (ids, mask), path, 14,
                 ["input_ids", "attention_mask"], ["last_hidden_state"],
                 {"input_ids": {0: "batch", 1: "sequence"},
                  "attention_mask": {0: "batch", 1: "sequence"},
                  "last_hidden_state": {0: "batch", 1: "sequence"}})
    return path


# ----------------------------------------------------------------------------
# tests/models/control_flow.onnx  (Loop with an If inside, outer-scope weights)


class ControlFlow(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)

    def forward(self, x, n):
        y = x
        for _ in range(int(n)):                 # Loop, trip count from an input
            if bool(y.sum() > 0):               # If on data
                y = torch.tanh(self.lin(y))     # uses outer-scope initializers
            else:
                y = y * 0.5 + x
        return y


def export_control_flow(root):
    reseed(3)
    model = torch.jit.script(ControlFlow().eval())
    x = torch.randn(2, 8)
    n = torch.tensor(3, dtype=torch.int64)
    path = os.path.join(root, "tests", "models", "control_flow.onnx")
    export_torch(model, (x, n), path, 13, ["x", "n"], ["y"],
                 {"x": {0: "batch"}, "y": {0: "batch"}})
    m = onnx.load(path)

    def ops(g):
        out = []
        for nd in g.node:
            out.append(nd.op_type)
            for a in nd.attribute:
                if a.HasField("g"):
                    out += ops(a.g)
        return out
    allops = ops(m.graph)
    assert "Loop" in allops and "If" in allops, allops
    return path


# ----------------------------------------------------------------------------
# tests/models/external_data.onnx + external_data.data


class SmallMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 4)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def export_external_data(root):
    reseed(4)
    model = SmallMLP().eval()
    d = os.path.join(root, "tests", "models")
    path = os.path.join(d, "external_data.onnx")
    data_name = "external_data.data"
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, (torch.randn(1, 16),), buf, opset_version=13,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    m = onnx.load_from_string(buf.getvalue())
    strip_doc_strings(m.graph)
    # onnx appends to an existing data file: start from scratch
    if os.path.exists(os.path.join(d, data_name)):
        os.remove(os.path.join(d, data_name))
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data_name, size_threshold=0)
    raw = onnx.load(path, load_external_data=False)
    assert all(t.data_location == TensorProto.EXTERNAL for t in raw.graph.initializer)
    return path


# ----------------------------------------------------------------------------
# tests/models/function_metadata.onnx  (FunctionProto, metadata_props, doc strings)


def export_function_metadata(root):
    rng = np.random.default_rng(SEED + 5)
    fdomain = "org.onnxopt.test"
    # function LinearAct(X, W, B) -> Y  with attribute alpha (referenced by LeakyRelu)
    leaky = helper.make_node("LeakyRelu", ["XWB"], ["Y"], name="act")
    ref = onnx.AttributeProto()
    ref.name = "alpha"
    ref.ref_attr_name = "alpha"
    ref.type = onnx.AttributeProto.FLOAT
    leaky.attribute.append(ref)
    fn = helper.make_function(
        fdomain, "LinearAct", ["X", "W", "B"], ["Y"],
        [helper.make_node("MatMul", ["X", "W"], ["XW"], name="mm"),
         helper.make_node("Add", ["XW", "B"], ["XWB"], name="bias"),
         leaky],
        [helper.make_opsetid("", 13)],
        attributes=["alpha"],
        doc_string="Y = LeakyRelu(X @ W + B, alpha)")

    w1 = numpy_helper.from_array(rng.standard_normal((8, 16)).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(rng.standard_normal((16,)).astype(np.float32), "b1")
    w2 = numpy_helper.from_array(rng.standard_normal((16, 4)).astype(np.float32), "w2")
    b2 = numpy_helper.from_array(rng.standard_normal((4,)).astype(np.float32), "b2")
    w1.doc_string = "first layer weight"
    nodes = [
        helper.make_node("LinearAct", ["x", "w1", "b1"], ["h"], name="layer1",
                         domain=fdomain, alpha=0.1, doc_string="first call"),
        helper.make_node("LinearAct", ["h", "w2", "b2"], ["h2"], name="layer2",
                         domain=fdomain, alpha=0.2),
        helper.make_node("Softmax", ["h2"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "function_metadata",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 4])],
        initializer=[w1, b1, w2, b2],
        doc_string="Two calls of a model-local function.",
        value_info=[helper.make_tensor_value_info("h", TensorProto.FLOAT, ["batch", 16])])
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(fdomain, 1)],
        functions=[fn],
        producer_name=PRODUCER, producer_version="1",
        domain="org.onnxopt", model_version=7,
        doc_string="Exercises FunctionProto, metadata_props and doc strings.")
    model.ir_version = 8
    helper.set_model_props(model, {"author": "onnx-opt tests",
                                   "license": "same as onnx-opt",
                                   "note": "metadata values are free text: \u00e9\u00e8 \u2713"})
    path = os.path.join(root, "tests", "models", "function_metadata.onnx")
    onnx.save_model(model, path)
    return path


# ----------------------------------------------------------------------------
# tests/models/format_extras.onnx  (sparse initializer, training info, typed fields)


def export_format_extras(root):
    rng = np.random.default_rng(SEED + 6)
    # sparse 4x4 weight with 3 non-zeros, indices in COO [NNZ] linearized form
    values = helper.make_tensor("sw_values", TensorProto.FLOAT, [3], [0.5, -1.25, 2.0])
    indices = helper.make_tensor("sw_indices", TensorProto.INT64, [3], [1, 6, 15])
    sparse_w = helper.make_sparse_tensor(values, indices, [4, 4])
    # float stored in float_data (not raw_data)
    dense_w = helper.make_tensor("dense_w", TensorProto.FLOAT, [4, 4],
                                 rng.standard_normal(16).astype(np.float32).tolist())
    # float16 stored in int32_data (typed field, as the spec requires for fp16)
    half_b = helper.make_tensor("half_b", TensorProto.FLOAT16, [4],
                                np.array([0.5, 1.0, -2.0, 0.25], np.float16))
    # int64 shape stored in int64_data
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 4])
    # double stored in raw_data
    scale = numpy_helper.from_array(np.array([1.5], np.float64), "scale")
    nodes = [
        helper.make_node("MatMul", ["x", "sw_values"], ["xs"], name="sparse_mm"),
        helper.make_node("MatMul", ["xs", "dense_w"], ["xd"], name="dense_mm"),
        helper.make_node("Cast", ["xd"], ["xh"], name="to_half", to=TensorProto.FLOAT16),
        helper.make_node("Add", ["xh", "half_b"], ["yh"], name="add_half"),
        helper.make_node("Cast", ["yh"], ["yf"], name="to_float", to=TensorProto.FLOAT),
        helper.make_node("Cast", ["scale"], ["scale_f"], name="scale_cast", to=TensorProto.FLOAT),
        helper.make_node("Mul", ["yf", "scale_f"], ["ym"], name="scale_mul"),
        helper.make_node("Reshape", ["ym", "shape"], ["y"], name="reshape"),
        helper.make_node("Constant", [], ["labels"], name="labels",
                         value=helper.make_tensor("labels_t", TensorProto.STRING, [4],
                                                  [b"cat", b"dog", b"", b"\xc3\xa9t\xc3\xa9"])),
    ]
    # the sparse initializer's name is the name of its values tensor
    graph = helper.make_graph(
        nodes, "format_extras",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4]),
         helper.make_tensor_value_info("labels", TensorProto.STRING, [4])],
        initializer=[dense_w, half_b, shape, scale],
        sparse_initializer=[sparse_w],
        value_info=[helper.make_tensor_value_info("xh", TensorProto.FLOAT16, ["n", 4]),
                    helper.make_tensor_value_info("xs", TensorProto.FLOAT, ["n", None])])
    # training info: initialization resets dense_w; algorithm decays it
    init_graph = helper.make_graph(
        [helper.make_node("Constant", [], ["dense_w_init"],
                          value=helper.make_tensor("z", TensorProto.FLOAT, [4, 4], [0.0] * 16))],
        "initialization", [],
        [helper.make_tensor_value_info("dense_w_init", TensorProto.FLOAT, [4, 4])])
    algo_graph = helper.make_graph(
        [helper.make_node("Mul", ["dense_w", "decay"], ["dense_w_new"], name="decay_mul")],
        "algorithm", [],
        [helper.make_tensor_value_info("dense_w_new", TensorProto.FLOAT, [4, 4])],
        initializer=[helper.make_tensor("decay", TensorProto.FLOAT, [], [0.99])])
    training = helper.make_training_info(
        algo_graph, [("dense_w", "dense_w_new")], init_graph, [("dense_w", "dense_w_init")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name=PRODUCER, producer_version="1")
    model.ir_version = 8
    model.training_info.append(training)
    path = os.path.join(root, "tests", "models", "format_extras.onnx")
    onnx.save_model(model, path)
    return path


# ----------------------------------------------------------------------------
# tests/models/zero_copy.onnx  (large raw_data where the loader maps it in place)


def export_zero_copy(root):
    rng = np.random.default_rng(SEED + 9)

    def arr(name, *shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    # Big tensors (>= 4 KiB of raw_data) on every path the loader leaves in the file ...
    w = arr("W", 32, 64)                                   # graph initializer, 8 KiB
    small = arr("b", 64)                                   # small: copied as usual
    branch_w = arr("Wt", 64, 32)                           # initializer of an If branch
    const_big = arr("c", 32, 64)                           # Constant node in the main graph
    fn_const = arr("fc", 32, 64)                           # Constant inside a function
    then_g = helper.make_graph(
        [helper.make_node("MatMul", ["h", "Wt"], ["t_out"], name="then_mm")],
        "then", [], [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [4, 32])],
        initializer=[branch_w])
    else_g = helper.make_graph(
        [helper.make_node("Constant", [], ["e_out"], name="else_const",
                          value=arr("e", 4, 32))],
        "else", [], [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [4, 32])])
    fn = helper.make_function(
        "zc.local", "AddConst", ["X"], ["Y"],
        [helper.make_node("Constant", [], ["K"], value=fn_const),
         helper.make_node("MatMul", ["X", "K"], ["Y"])],
        [helper.make_opsetid("", 13)])
    # ... and on paths it copies: a sparse initializer (unused: onnx 1.12's shape
    # inference does not type sparse initializers) and training info.
    values = numpy_helper.from_array(rng.standard_normal(1200).astype(np.float32), "S")
    indices = numpy_helper.from_array(np.arange(0, 2400, 2, dtype=np.int64), "S_idx")
    sparse = helper.make_sparse_tensor(values, indices, [64, 64])
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h0"], name="mm"),
        helper.make_node("Add", ["h0", "b"], ["h1"], name="bias"),
        helper.make_node("Constant", [], ["c"], name="const", value=const_big),
        helper.make_node("MatMul", ["x", "c"], ["h2"], name="mm_c"),
        helper.make_node("Add", ["h1", "h2"], ["h3"], name="sum"),
        helper.make_node("AddConst", ["x"], ["f"], name="fn", domain="zc.local"),
        helper.make_node("Relu", ["h3"], ["h"], name="relu"),
        helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g,
                         else_branch=else_g),
    ]
    graph = helper.make_graph(
        nodes, "zero_copy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 32]),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 32]),
         helper.make_tensor_value_info("f", TensorProto.FLOAT, [4, 64])],
        initializer=[w, small], sparse_initializer=[sparse])
    algo = helper.make_graph(
        [helper.make_node("Mul", ["W", "decay"], ["W_new"], name="decay_mul")],
        "algorithm", [], [helper.make_tensor_value_info("W_new", TensorProto.FLOAT, [32, 64])],
        initializer=[arr("decay", 32, 64)])
    model = helper.make_model(graph, functions=[fn],
                              opset_imports=[helper.make_opsetid("", 13),
                                             helper.make_opsetid("zc.local", 1)],
                              producer_name=PRODUCER, producer_version="1")
    model.ir_version = 8
    model.training_info.append(helper.make_training_info(algo, [("W", "W_new")], None, []))
    path = os.path.join(root, "tests", "models", "zero_copy.onnx")
    onnx.save_model(model, path)
    return path


# ----------------------------------------------------------------------------
# tests/models/opset9.onnx  (old PyTorch style)


class OldStyle(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(16 * 16 * 16, 5)

    def forward(self, x):
        a = F.relu(self.bn(self.conv1(x)))                   # 8 x 8 x 8
        b = F.interpolate(a, scale_factor=2, mode="nearest")  # Upsample (opset 9)
        c = torch.sigmoid(self.conv2(b))
        d = torch.cat([b, c], dim=1)                          # Concat
        d = F.pad(d, (1, 1, 1, 1))                            # Pad, pads as attribute
        d = d[:, :, 1:-1, 1:-1]                               # Slice, attributes
        d = d.reshape(d.size(0), -1)                          # Shape/Gather/Reshape
        return F.log_softmax(self.fc(self.drop(d)), dim=1)


def export_opset9(root):
    reseed(7)
    model = OldStyle().eval()
    randomize_bn_stats(model)
    path = os.path.join(root, "tests", "models", "opset9.onnx")
    export_torch(model, (torch.randn(1, 3, 16, 16),), path, 9,
                 ["input"], ["output"], {"input": {0: "batch"}, "output": {0: "batch"}},
                 training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    return path


# ----------------------------------------------------------------------------
# tests/models/mobilenet_v2_w025.onnx


def export_mobilenet(root):
    reseed(8)
    try:
        model = torchvision.models.mobilenet_v2(weights=None, width_mult=0.25, num_classes=10)
    except TypeError:           # older torchvision
        model = torchvision.models.mobilenet_v2(pretrained=False, width_mult=0.25,
                                                num_classes=10)
    # torchvision never narrows the last 1x1 conv below 1280 channels; at width 0.25 that
    # one layer would hold 40% of the weights and push the file to 1 MB.  Narrow it to 640.
    last_in = model.features[-1][0].in_channels
    model.features[-1] = torchvision.ops.misc.Conv2dNormActivation(
        last_in, 640, kernel_size=1, norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU6)
    model.classifier[-1] = nn.Linear(640, 10)
    model.last_channel = 640
    model.eval()
    randomize_bn_stats(model)
    path = os.path.join(root, "tests", "models", "mobilenet_v2_w025.onnx")
    # default eval export: BatchNormalization folded into Conv, as most exports are
    export_torch(model, (torch.randn(1, 3, 64, 64),), path, 13,
                 ["input"], ["logits"], {"input": {0: "batch"}, "logits": {0: "batch"}})
    return path


# ----------------------------------------------------------------------------


LIMITS = {  # bytes, .onnx plus external data
    "examples/tinycnn.onnx": 200 * 1024,
    "examples/tinybert.onnx": 500 * 1024,
}
TEST_LIMIT = 1024 * 1024
TOTAL_LIMIT = 3 * 1024 * 1024


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", metavar="NAME",
                    help="write only this file (e.g. zero_copy), leave the others alone")
    ap.add_argument("--root", default=os.path.dirname(here),
                    help="repository root to write into (default: %(default)s)")
    opts = ap.parse_args()
    root = os.path.abspath(opts.root)
    os.makedirs(os.path.join(root, "examples"), exist_ok=True)
    os.makedirs(os.path.join(root, "tests", "models"), exist_ok=True)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    exporters = [export_tinycnn, export_tinybert, export_control_flow,
                 export_external_data, export_function_metadata, export_format_extras,
                 export_zero_copy, export_opset9, export_mobilenet]
    if opts.only:
        exporters = [fn for fn in exporters if fn.__name__ == "export_" + opts.only]
        if not exporters:
            raise SystemExit(f"--only {opts.only}: no such file")
    total = 0
    for fn in exporters:
        path = fn(root)
        size = check_and_report(path, root)
        rel = os.path.relpath(path, root)
        limit = LIMITS.get(rel, TEST_LIMIT)
        if size > limit:
            raise SystemExit(f"{rel}: {size} bytes is over the {limit} byte limit")
        total += size
    print(f"total {total} B")
    if total > TOTAL_LIMIT:
        raise SystemExit(f"total {total} bytes is over {TOTAL_LIMIT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
