#!/usr/bin/python3
"""PyTorch CPU side of bench/cnn, as a server so that the Go program can
alternate single timed runs of labelfree and PyTorch.

Usage: torch_bench.py THREADS
Reads lines "MODEL BATCH" on stdin; for each, runs the model once on a
batch of that size (under torch.no_grad) and prints the seconds it took.
Models are torchvision's with fixed-seed weights (the values do not change
speed), built on first use and kept.
"""
import sys
import time

import torch
import torchvision

torch.set_num_threads(int(sys.argv[1]))
models, inputs = {}, {}
with torch.no_grad():
    for line in sys.stdin:
        name, batch = line.split()
        batch = int(batch)
        if name not in models:
            torch.manual_seed(0)
            models[name] = getattr(torchvision.models, name)(weights=None).eval()
        if (name, batch) not in inputs:
            inputs[(name, batch)] = torch.randn(batch, 3, 224, 224)
        t = time.perf_counter()
        models[name](inputs[(name, batch)])
        print(time.perf_counter() - t, flush=True)
