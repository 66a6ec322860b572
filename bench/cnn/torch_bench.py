#!/usr/bin/python3
"""PyTorch CPU side of bench/cnn: images/s of a torchvision model.

Usage: torch_bench.py MODEL BATCH ITERS THREADS
Prints one line: "<img/s>". Same fixed-seed model as
internal/nn/testdata/gen_torchvision.py (weights do not change speed).
"""
import sys
import time

import torch
import torchvision

name, batch, iters, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = getattr(torchvision.models, name)(weights=None).eval()
x = torch.randn(batch, 3, 224, 224)
with torch.no_grad():
    model(x)  # warm-up
    best = float("inf")
    for _ in range(iters):
        t = time.perf_counter()
        model(x)
        best = min(best, time.perf_counter() - t)
print(batch / best)
