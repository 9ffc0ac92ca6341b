#!/usr/bin/python3
"""Export the PyTorch model zoo that onnx-opt's measurements use (never committed).

    /usr/bin/python3 bench/export_zoo.py [OUTDIR] [--only NAME,...] [--list]

OUTDIR defaults to /tmp/onnx-opt-zoo; paths inside the source tree are refused.
Every model is built with weights=None and seeded random initialisation, so
nothing is downloaded and every run writes the same graphs.

Files (each checked with onnx.checker; one line printed per file):
  NAME.onnx              default torch.onnx.export (constant folding on, eval mode:
                         BatchNormalization folded into Conv)
  NAME_nofold.onnx       do_constant_folding=False and
                         training=torch.onnx.TrainingMode.PRESERVE, so BatchNormalization
                         and the unfolded shape arithmetic stay (what the optimizer
                         issue measures against ONNX Runtime's basic level)
  resnet18_opsetN.onnx   resnet18 at opsets 9, 11, 13, 14, 16, 17 (conversion issue)

Classification models take "input" [batch, 3, 224, 224] (batch dynamic) and give
"logits" [batch, 1000]. bert4 is a 4-layer encoder (hidden 256, 4 heads, seq 128,
vocabulary 30522) written with plain ops so it exports without fused kernels:
inputs "input_ids" and "attention_mask", int64 [batch, 128]. The segmentation model
is deeplabv3_mobilenet_v3_large on [batch, 3, 224, 224]; the detection model is
fasterrcnn_mobilenet_v3_large_320_fpn (or ssdlite320_mobilenet_v3_large when the
former does not export) on one 3x320x320 image.

Needs the Debian packages python3-torch (1.13), python3-torchvision (0.14) and
python3-onnx (1.12): run it with /usr/bin/python3.
"""

import argparse
import io
import math
import os
import sys
import time
import warnings

import onnx

SEED = 20240601
DEFAULT_OUT = "/tmp/onnx-opt-zoo"
CLASSIFIERS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small",
               "efficientnet_b0", "densenet121", "vit_b_16"]
RESNET_OPSETS = [9, 11, 13, 14, 16, 17]


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def inside(path, root):
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root + os.sep)


def torch_modules():
    import torch
    import torchvision
    return torch, torchvision


# --- the models ---

def classifier(name):
    torch, torchvision = torch_modules()
    torch.manual_seed(SEED)
    model = getattr(torchvision.models, name)(weights=None)
    model.eval()
    return model


def bert_encoder():
    """A BERT-like encoder: embeddings, 4 layers of self-attention + GELU MLP."""
    torch, _ = torch_modules()
    nn = torch.nn

    class Attention(nn.Module):
        def __init__(self, hidden, heads):
            super().__init__()
            self.heads = heads
            self.head_dim = hidden // heads
            self.q = nn.Linear(hidden, hidden)
            self.k = nn.Linear(hidden, hidden)
            self.v = nn.Linear(hidden, hidden)
            self.o = nn.Linear(hidden, hidden)

        def split(self, x):
            b, s, _ = x.shape
            return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

        def forward(self, x, mask_bias):
            q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
            probs = torch.softmax(scores + mask_bias, dim=-1)
            ctx = torch.matmul(probs, v).transpose(1, 2)
            b, s = ctx.shape[0], ctx.shape[1]
            return self.o(ctx.reshape(b, s, self.heads * self.head_dim))

    class Layer(nn.Module):
        def __init__(self, hidden, heads, inner):
            super().__init__()
            self.attn = Attention(hidden, heads)
            self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
            self.fc1 = nn.Linear(hidden, inner)
            self.act = nn.GELU()
            self.fc2 = nn.Linear(inner, hidden)
            self.ln2 = nn.LayerNorm(hidden, eps=1e-12)

        def forward(self, x, mask_bias):
            x = self.ln1(x + self.attn(x, mask_bias))
            return self.ln2(x + self.fc2(self.act(self.fc1(x))))

    class Encoder(nn.Module):
        def __init__(self, vocab=30522, hidden=256, heads=4, layers=4, inner=1024, max_pos=512):
            super().__init__()
            self.tok = nn.Embedding(vocab, hidden)
            self.pos = nn.Embedding(max_pos, hidden)
            self.typ = nn.Embedding(2, hidden)
            self.ln = nn.LayerNorm(hidden, eps=1e-12)
            self.layers = nn.ModuleList(Layer(hidden, heads, inner) for _ in range(layers))
            self.pool = nn.Linear(hidden, hidden)

        def forward(self, input_ids, attention_mask):
            seq = input_ids.shape[1]
            pos = torch.arange(seq, dtype=torch.long, device=input_ids.device).unsqueeze(0)
            x = self.tok(input_ids) + self.pos(pos) + self.typ(torch.zeros_like(input_ids))
            x = self.ln(x)
            mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
            for layer in self.layers:
                x = layer(x, mask_bias)
            return x, torch.tanh(self.pool(x[:, 0]))

    torch.manual_seed(SEED)
    model = Encoder()
    model.eval()
    return model


def segmentation():
    torch, torchvision = torch_modules()

    class Out(torch.nn.Module):
        """The torchvision model returns a dict; ONNX wants tensors."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)["out"]

    torch.manual_seed(SEED)
    model = torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(
        weights=None, weights_backbone=None)
    model.eval()
    return Out(model)


def detection(name):
    torch, torchvision = torch_modules()
    torch.manual_seed(SEED)
    model = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None)
    model.eval()
    return model


# --- export ---

def export(model, args, path, opset, input_names, output_names, dynamic_axes,
           nofold=False, grad=False):
    torch, _ = torch_modules()
    buf = io.BytesIO()
    kw = {}
    if nofold:
        kw = {"do_constant_folding": False, "training": torch.onnx.TrainingMode.PRESERVE}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Under no_grad nn.MultiheadAttention takes its fused fast path
        # (aten::_native_multi_head_attention), which torch 1.13 cannot export;
        # with gradients enabled it runs the plain ops instead.
        with torch.set_grad_enabled(grad):
            torch.onnx.export(model, args, buf, opset_version=opset,
                              input_names=input_names, output_names=output_names,
                              dynamic_axes=dynamic_axes, **kw)
    m = onnx.load_from_string(buf.getvalue())
    del buf
    for n in m.graph.node:          # drop source locations, if any
        n.doc_string = ""
    m.producer_name = "pytorch (onnx-opt bench/export_zoo.py)"
    onnx.save_model(m, path)
    onnx.checker.check_model(path)
    return m


def report(name, path, m, t0):
    opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in m.opset_import)
    print(f"{name:44s} {os.path.getsize(path):>11d} B  nodes={len(m.graph.node):<5d} "
          f"opset={opsets}  ({time.time() - t0:.1f} s)", flush=True)


def image(n=1, size=224):
    torch, _ = torch_modules()
    g = torch.Generator().manual_seed(SEED)
    return torch.randn(n, 3, size, size, generator=g)


def jobs():
    """(file name, thunk) for every file, in the order they are written."""
    out = []
    img_axes = {"input": {0: "batch"}, "logits": {0: "batch"}}

    def cls(name, nofold, opset=14, fname=None):
        def run(path):
            return export(classifier(name), (image(),), path, opset, ["input"], ["logits"],
                          img_axes, nofold, grad=name.startswith("vit"))
        return (fname or name + ("_nofold" if nofold else "")) + ".onnx", run

    for name in CLASSIFIERS:
        out.append(cls(name, False))
        out.append(cls(name, True))

    def bert(nofold):
        def run(path):
            torch, _ = torch_modules()
            g = torch.Generator().manual_seed(SEED)
            ids = torch.randint(0, 30522, (1, 128), generator=g)
            mask = torch.ones(1, 128, dtype=torch.long)
            axes = {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"},
                    "last_hidden_state": {0: "batch"}, "pooled": {0: "batch"}}
            return export(bert_encoder(), (ids, mask), path, 14,
                          ["input_ids", "attention_mask"], ["last_hidden_state", "pooled"],
                          axes, nofold)
        return "bert4" + ("_nofold" if nofold else "") + ".onnx", run

    out.append(bert(False))
    out.append(bert(True))

    def seg(path):
        return export(segmentation(), (image(),), path, 14, ["input"], ["out"],
                      {"input": {0: "batch"}, "out": {0: "batch"}})
    out.append(("deeplabv3_mobilenet_v3_large.onnx", seg))

    def det(path):
        torch, _ = torch_modules()
        errors = []
        img = image(1, 320)[0]
        outdir = os.path.dirname(path)
        for name, opset in (("fasterrcnn_mobilenet_v3_large_320_fpn", 14),
                            ("fasterrcnn_mobilenet_v3_large_320_fpn", 16),
                            ("ssdlite320_mobilenet_v3_large", 14),
                            ("ssdlite320_mobilenet_v3_large", 16)):
            p = os.path.join(outdir, name + ".onnx")
            try:
                m = export(detection(name), ([img],), p, opset, ["images"],
                           ["boxes", "scores", "labels"], None)
                return m, p
            except Exception as e:  # noqa: BLE001 -- any export failure means: try the next
                errors.append(f"{name} opset {opset}: {str(e).splitlines()[0][:200]}")
                if os.path.exists(p):
                    os.unlink(p)
        raise SkipModel("torch %s cannot export a detection model: %s"
                        % (torch.__version__, "; ".join(errors)))
    # Named after the first choice; the fallback writes ssdlite320_mobilenet_v3_large.onnx.
    out.append(("fasterrcnn_mobilenet_v3_large_320_fpn.onnx", det))

    for opset in RESNET_OPSETS:
        out.append(cls("resnet18", False, opset, f"resnet18_opset{opset}"))
    return out


class SkipModel(Exception):
    pass


def main():
    ap = argparse.ArgumentParser(description="Export the PyTorch model zoo for onnx-opt.")
    ap.add_argument("outdir", nargs="?", default=DEFAULT_OUT,
                    help="directory to write into, outside the source tree (default %(default)s)")
    ap.add_argument("--only", help="comma-separated file names (without .onnx) to write")
    ap.add_argument("--list", action="store_true", help="list the file names and stop")
    opts = ap.parse_args()
    todo = jobs()
    if opts.list:
        for fname, _ in todo:
            print(fname)
        return 0
    if opts.only:
        want = {w.strip().removesuffix(".onnx") for w in opts.only.split(",") if w.strip()}
        unknown = want - {f.removesuffix(".onnx") for f, _ in todo}
        if unknown:
            ap.error("unknown model(s): " + ", ".join(sorted(unknown)))
        todo = [(f, run) for f, run in todo if f.removesuffix(".onnx") in want]
    if inside(opts.outdir, repo_root()):
        ap.error(f"{opts.outdir} is inside the source tree {repo_root()}; "
                 "generated models must not be committed")
    os.makedirs(opts.outdir, exist_ok=True)
    failed = 0
    for fname, run in todo:
        path = os.path.join(opts.outdir, fname)
        t0 = time.time()
        try:
            m = run(path)
        except SkipModel as e:
            print(f"{fname:44s} skipped: {e}", flush=True)
            continue
        except Exception as e:  # noqa: BLE001 -- report and go on with the others
            print(f"{fname:44s} FAILED: {type(e).__name__}: {str(e).splitlines()[0][:300]}",
                  flush=True)
            failed += 1
            continue
        if isinstance(m, tuple):
            m, path = m
        report(os.path.basename(path), path, m, t0)
        del m
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
