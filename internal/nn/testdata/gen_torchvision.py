#!/usr/bin/python3
"""Export fixed-seed torchvision ResNet-18, ResNet-50, MobileNetV2,
MobileNetV3-Small and EfficientNet-B0 to ONNX
with a reference input and PyTorch's outputs, for the engine's numerical
check (TestTorchvisionModels) and the side-by-side benchmark (bench/cnn).

The models are 10-100 MB, so they are generated on demand and not committed.
Pretrained weights cannot be downloaded offline: weights use torchvision's
own initialisation under torch.manual_seed(0), with BatchNorm running
statistics set to non-trivial values so that folding them matters.

Usage: /usr/bin/python3 gen_torchvision.py OUTDIR [model ...]
Writes OUTDIR/<model>.onnx, <model>_input.pb (1x3x224x224) and
<model>_output.pb. Needs Debian python3-torch, python3-torchvision,
python3-onnx.
"""
import os
import sys

import torch
import torchvision
from onnx import numpy_helper

MODELS = {
    "resnet18": torchvision.models.resnet18,
    "resnet50": torchvision.models.resnet50,
    "mobilenet_v2": torchvision.models.mobilenet_v2,
    "mobilenet_v3_small": torchvision.models.mobilenet_v3_small,
    "efficientnet_b0": torchvision.models.efficientnet_b0,
}


def build(name):
    torch.manual_seed(0)
    model = MODELS[name](weights=None)
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.rand(c, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.rand(c, generator=g) * 0.2 - 0.1)
    return model.eval()


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        model = build(name)
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            y = model(x)
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        with open(os.path.join(out, name + "_input.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x.numpy(), "input").SerializeToString())
        with open(os.path.join(out, name + "_output.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y.numpy(), "logits").SerializeToString())
        print(name, "->", path)


if __name__ == "__main__":
    main()
