#!/usr/bin/python3
"""Convert the MobileNetV2 of the npm package nsfwjs to ONNX, cut at its
1280-d global-average-pool embedding, keeping the weights uint8-quantised.

Reproduce (from the repository root; needs node, npm, Debian python3-onnx and
python3-numpy; nothing runs npm install scripts):

    cd /tmp && npm pack nsfwjs@4.3.0 && cd -
    /usr/bin/python3 features/models/convert_nsfwjs_mobilenetv2.py \\
        /tmp/nsfwjs-4.3.0.tgz features/models/mobilenetv2_nsfwjs.onnx \\
        [--check IMAGE.jpg]

What the package holds: dist/models/mobilenet_v2/model.min.js wraps a Keras
2.2.4 model (TF.js *layers* format, channels_last, input 224x224x3 RGB scaled
to [0, 1]) and group1-shard1of1.min.js its weights, base64 text of uint8
values; each tensor dequantises as min + scale * q. The network is Keras'
MobileNetV2 (alpha 1.0, ImageNet-initialised; its last blocks and a small
dense head were fine-tuned by nsfwjs on five photo/drawing classes).

The ONNX graph (opset 13):

  input  "input"     float32 [N, 3, 224, 224], RGB in [0, 1], NCHW
  output "embedding" float32 [N, 1280], the global average of out_relu

Every weight is stored as its original uint8 array (transposed to ONNX's
layout, which is exact) and dequantised in the graph by
DequantizeLinear(q, scale, zero_point 0) followed by Add(min): the same
float32 arithmetic TF.js performs when it loads the model. BatchNormalization
stays a separate node (an engine can fold it at load time). The dense head is
dropped.

With --check, the script also runs a pure-numpy forward pass of the Keras
layers (channels_last, written from the layer definitions, independent of the
ONNX graph) on the image and writes the input tensor (1x224x224x3) and the
numpy embedding as little-endian float32 files into the folder <out>.check/,
for check_nsfwjs_onnx.js to compare against TF.js and onnxruntime.
"""
import argparse
import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODEL_JS = "package/dist/models/mobilenet_v2/model.min.js"
SHARD_JS = "package/dist/models/mobilenet_v2/group1-shard1of1.min.js"


def load_package(tgz):
    """Return (topology dict, weights manifest, raw weight bytes, licence text)."""
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(tgz) as tf:
            for name in (MODEL_JS, SHARD_JS, "package/dist/models/package.json", "package/LICENSE", "package/package.json"):
                tf.extract(name, tmp)
        # The .min.js files are UMD modules (a JS object literal, and a base64
        # string); node evaluates them, nothing else is run.
        script = (
            "const m=require(process.argv[1]);const s=require(process.argv[2]);"
            "process.stdout.write(JSON.stringify({model:m,shard:String(s)}));"
        )
        out = subprocess.run(
            ["node", "-e", script, os.path.join(tmp, MODEL_JS), os.path.join(tmp, SHARD_JS)],
            check=True, capture_output=True,
        ).stdout
        data = json.loads(out)
        with open(os.path.join(tmp, "package/LICENSE")) as f:
            licence = f.read()
        with open(os.path.join(tmp, "package/package.json")) as f:
            pkg = json.load(f)
    raw = base64.b64decode(data["shard"])
    return data["model"], raw, licence, pkg


def dequantize_all(model, raw):
    """Map weight name -> (uint8 array in TF layout, min, scale)."""
    out = {}
    off = 0
    for group in model["weightsManifest"]:
        for w in group["weights"]:
            q = w["quantization"]
            assert q["dtype"] == "uint8", w
            n = int(np.prod(w["shape"]))
            arr = np.frombuffer(raw, dtype=np.uint8, count=n, offset=off).reshape(w["shape"])
            off += n
            out[w["name"]] = (arr, np.float32(q["min"]), np.float32(q["scale"]))
    assert off == len(raw), (off, len(raw))
    return out


def deq(entry):
    q, mn, sc = entry
    # TF.js: value = min + scale * q in float32.
    return (q.astype(np.float32) * sc + mn).astype(np.float32)


def layers_until(model, last="out_relu"):
    layers = model["modelTopology"]["model_config"]["config"]["layers"]
    out = []
    for l in layers:
        out.append(l)
        if l["name"] == last:
            return out
    raise ValueError("no layer " + last)


def inbound(layer):
    nodes = layer["inbound_nodes"]
    return [n[0] for n in nodes[0]] if nodes else []


# ---------------------------------------------------------------- ONNX graph


def build_onnx(model, weights, pkg):
    nodes, inits = [], []
    pending_pad = {}  # layer name -> [top, left, bottom, right] to fold into the next conv
    alias = {}  # layer name -> ONNX value name

    def weight(name, tf_to_onnx=None):
        """uint8 initializer + DequantizeLinear + Add(min); returns float value name."""
        q, mn, sc = weights[name]
        if tf_to_onnx is not None:
            q = np.ascontiguousarray(np.transpose(q, tf_to_onnx))
        base = name.replace("/", "_")
        inits.append(numpy_helper.from_array(q, base + "_q"))
        inits.append(numpy_helper.from_array(np.array(sc, np.float32), base + "_scale"))
        inits.append(numpy_helper.from_array(np.array(0, np.uint8), base + "_zp"))
        inits.append(numpy_helper.from_array(np.array(mn, np.float32), base + "_min"))
        nodes.append(helper.make_node("DequantizeLinear", [base + "_q", base + "_scale", base + "_zp"], [base + "_deq"]))
        nodes.append(helper.make_node("Add", [base + "_deq", base + "_min"], [base]))
        return base

    inits.append(numpy_helper.from_array(np.array(0, np.float32), "relu6_min"))
    inits.append(numpy_helper.from_array(np.array(6, np.float32), "relu6_max"))

    for l in layers_until(model):
        name, cls, cfg = l["name"], l["class_name"], l["config"]
        ins = inbound(l)
        src = [alias.get(i, i) for i in ins]
        if cls == "InputLayer":
            alias[name] = "input"
        elif cls == "ZeroPadding2D":
            (t, b), (lft, r) = cfg["padding"]
            pending_pad[name] = [t, lft, b, r]
            alias[name] = src[0]
        elif cls in ("Conv2D", "DepthwiseConv2D"):
            kh, kw = cfg["kernel_size"]
            sh, sw = cfg["strides"]
            assert cfg["dilation_rate"] == [1, 1] and not cfg["use_bias"] and cfg["activation"] == "linear", name
            if cfg["padding"] == "same":
                assert (sh, sw) == (1, 1), name
                pads = [(kh - 1) // 2, (kw - 1) // 2, kh // 2, kw // 2]
            else:
                pads = [0, 0, 0, 0]
            pp = pending_pad.get(ins[0])
            if pp is not None:
                pads = [a + p for a, p in zip(pads, pp)]
            attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], pads=pads)
            if cls == "Conv2D":
                w = weight(name + "/kernel", (3, 2, 0, 1))  # HWIO -> OIHW
            else:
                assert cfg["depth_multiplier"] == 1, name
                c = weights[name + "/depthwise_kernel"][0].shape[2]
                w = weight(name + "/depthwise_kernel", (2, 3, 0, 1))  # HWC1 -> C1HW
                attrs["group"] = c
            nodes.append(helper.make_node("Conv", [src[0], w], [name], name=name, **attrs))
            alias[name] = name
        elif cls == "BatchNormalization":
            assert cfg["axis"] in (-1, 3) and cfg["center"] and cfg["scale"], name
            ws = [weight(name + "/" + p) for p in ("gamma", "beta", "moving_mean", "moving_variance")]
            nodes.append(helper.make_node("BatchNormalization", [src[0]] + ws, [name], name=name, epsilon=float(cfg["epsilon"])))
            alias[name] = name
        elif cls == "ReLU":
            assert cfg.get("max_value") == 6 and cfg.get("negative_slope", 0) == 0 and cfg.get("threshold", 0) == 0, name
            nodes.append(helper.make_node("Clip", [src[0], "relu6_min", "relu6_max"], [name], name=name))
            alias[name] = name
        elif cls == "Add":
            nodes.append(helper.make_node("Add", src, [name], name=name))
            alias[name] = name
        else:
            raise ValueError("unsupported layer %s (%s)" % (name, cls))

    nodes.append(helper.make_node("GlobalAveragePool", [alias["out_relu"]], ["pooled"], name="global_pool"))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["embedding"], name="flatten", axis=1))
    graph = helper.make_graph(
        nodes, "mobilenetv2_nsfwjs",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 1280])],
        inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="labelfree convert_nsfwjs_mobilenetv2.py")
    m.ir_version = 7
    m.doc_string = (
        "MobileNetV2 (Keras, alpha 1.0) from npm nsfwjs %s (MIT, Copyright (c) 2019 Infinite Red, Inc.), "
        "cut at the 1280-d global average pool. Input RGB in [0, 1], NCHW, 224x224." % pkg["version"]
    )
    for k, v in (("source", "npm:nsfwjs@%s" % pkg["version"]), ("license", "MIT"),
                 ("input_range", "0,1"), ("input_layout", "NCHW"), ("input_colour", "RGB")):
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(m)
    return m


# ------------------------------------------------------- numpy reference pass


def np_forward(model, weights, x):
    """Forward pass of the Keras layers in channels_last numpy, float32."""
    vals = {}
    for l in layers_until(model):
        name, cls, cfg = l["name"], l["class_name"], l["config"]
        ins = [vals[i] for i in inbound(l)]
        if cls == "InputLayer":
            y = x
        elif cls == "ZeroPadding2D":
            (t, b), (lft, r) = cfg["padding"]
            y = np.pad(ins[0], ((0, 0), (t, b), (lft, r), (0, 0)))
        elif cls in ("Conv2D", "DepthwiseConv2D"):
            kh, kw = cfg["kernel_size"]
            sh, sw = cfg["strides"]
            a = ins[0]
            if cfg["padding"] == "same":
                a = np.pad(a, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
            n, h, w, c = a.shape
            oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
            if cls == "Conv2D":
                k = deq(weights[name + "/kernel"])  # kh kw cin cout
                y = np.zeros((n, oh, ow, k.shape[3]), np.float32)
                for i in range(kh):
                    for j in range(kw):
                        patch = a[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]
                        y += patch @ k[i, j]
            else:
                k = deq(weights[name + "/depthwise_kernel"])[:, :, :, 0]  # kh kw c
                y = np.zeros((n, oh, ow, c), np.float32)
                for i in range(kh):
                    for j in range(kw):
                        y += a[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :] * k[i, j]
        elif cls == "BatchNormalization":
            g, b, mu, var = (deq(weights[name + "/" + p]) for p in ("gamma", "beta", "moving_mean", "moving_variance"))
            y = (ins[0] - mu) / np.sqrt(var + np.float32(cfg["epsilon"])) * g + b
        elif cls == "ReLU":
            y = np.clip(ins[0], 0, 6)
        elif cls == "Add":
            y = ins[0] + ins[1]
        else:
            raise ValueError(cls)
        vals[name] = y.astype(np.float32)
    return vals["out_relu"].mean(axis=(1, 2))


def load_image(path):
    from PIL import Image  # Debian python3-pil

    img = Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR)
    return (np.asarray(img, np.float32) / 255.0)[None]  # 1 H W C in [0, 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tgz", help="nsfwjs tarball from npm pack")
    ap.add_argument("out", help="ONNX file to write")
    ap.add_argument("--check", metavar="IMAGE", help="also run the numpy reference on IMAGE")
    args = ap.parse_args()

    with open(args.tgz, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    model, raw, licence, pkg = load_package(args.tgz)
    weights = dequantize_all(model, raw)
    m = build_onnx(model, weights, pkg)
    e = m.metadata_props.add()
    e.key, e.value = "source_sha256", digest
    onnx.save(m, args.out)
    print("wrote %s (%d bytes) from nsfwjs %s (sha256 %s)" % (args.out, os.path.getsize(args.out), pkg["version"], digest))
    print("licence: " + licence.splitlines()[0])

    if args.check:
        x = load_image(args.check)
        emb = np_forward(model, weights, x)
        d = args.out + ".check"
        os.makedirs(d, exist_ok=True)
        x.astype("<f4").tofile(os.path.join(d, "input_nhwc.f32"))
        emb.astype("<f4").tofile(os.path.join(d, "numpy_embedding.f32"))
        print("numpy reference embedding: norm %.4f, first %s" % (np.linalg.norm(emb), emb[0, :4]))


if __name__ == "__main__":
    sys.exit(main())
