#!/usr/bin/python3
"""Export a tiny fixed-seed CNN with the op mix of ResNet/MobileNet backbones
(grouped and depthwise conv, BatchNorm with non-trivial running statistics,
ReLU, ReLU6, HardSwish, Sigmoid gating, residual Add, max/avg pooling with
ceil mode and count_include_pad, global pooling, a view() Shape chain, Gemm)
to ONNX, with a reference input and PyTorch's output.

Run: /usr/bin/python3 gen_tiny.py   (Debian python3-torch, python3-onnx)
Writes tiny_cnn.onnx, tiny_input.pb, tiny_output.pb next to this file.
"""
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

torch.manual_seed(7)
here = os.path.dirname(os.path.abspath(__file__))


def bn(c):
    b = nn.BatchNorm2d(c)
    b.running_mean.uniform_(-0.5, 0.5)
    b.running_var.uniform_(0.5, 2.0)
    b.weight.data.uniform_(0.5, 1.5)
    b.bias.data.uniform_(-0.3, 0.3)
    return b


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), bn(8), nn.ReLU(inplace=True))
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False), bn(8), nn.ReLU6(inplace=True))
        self.pw = nn.Sequential(nn.Conv2d(8, 16, 1, bias=False), bn(16))
        self.res1 = nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1, bias=False), bn(16), nn.ReLU(inplace=True),
                                  nn.Conv2d(16, 16, 3, 1, 1, bias=False), bn(16))
        self.grouped = nn.Sequential(nn.Conv2d(16, 24, 3, 1, 2, dilation=2, groups=4), bn(24), nn.Hardswish())
        self.gate = nn.Conv2d(24, 24, 1)
        self.pool1 = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        self.pool2 = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = self.stem(x)
        x = self.dw(x)
        x = self.pw(x)
        x = torch.relu(x + self.res1(x))
        x = self.grouped(x)
        x = x * torch.sigmoid(self.gate(x))
        x = self.pool2(self.pool1(x))
        x = nn.functional.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)
        return self.fc(x)


model = Tiny().eval()
x = torch.randn(2, 3, 32, 32)
with torch.no_grad():
    y = model(x)
path = os.path.join(here, "tiny_cnn.onnx")
torch.onnx.export(model, x, path, opset_version=14, training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
onnx.checker.check_model(onnx.load(path))
with open(os.path.join(here, "tiny_input.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x.numpy(), "input").SerializeToString())
with open(os.path.join(here, "tiny_output.pb"), "wb") as f:
    f.write(numpy_helper.from_array(y.numpy(), "logits").SerializeToString())
print("ops:", sorted({n.op_type for n in onnx.load(path).graph.node}))
