#!/usr/bin/python3
"""Python lime's LimeImageExplainer on the scenes bench/lime writes.

Usage: LIME_SRC=/path/to/marcotcr/lime /usr/bin/python3 lime_peer.py DIR [samples] [segments]

The same classifier as the Go side (share of the animals' pixels a perturbed
image still shows unchanged), slic with the same segment count, hide_color
None (mean colour), batch 50, and the same two box rules.
"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.environ.get("LIME_SRC", "."))
import numpy as np  # noqa: E402
from skimage.io import imread  # noqa: E402
from skimage.segmentation import slic  # noqa: E402
from lime import lime_image  # noqa: E402


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def main():
    d = sys.argv[1]
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    segments = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    scenes = json.load(open(os.path.join(d, "truth.json")))
    times, seed_iou, seed_hit, animals = [], 0.0, 0, 0
    for sc in scenes:
        img = imread(os.path.join(d, sc["file"]))[:, :, :3]
        mask = imread(os.path.join(d, sc["mask"]))
        if mask.ndim == 3:
            mask = mask[:, :, -1]
        sel = mask > 127
        ref = img[sel]

        def classify(batch):
            out = np.empty((len(batch), 2))
            for i, im in enumerate(batch):
                f = np.all(im[sel] == ref, axis=1).mean()
                out[i] = (1 - f, f)
            return out

        explainer = lime_image.LimeImageExplainer(random_state=0)
        seg_fn = lambda x: slic(x, n_segments=segments, compactness=10, start_label=0)  # noqa: E731
        t0 = time.perf_counter()
        exp = explainer.explain_instance(img, classify, labels=(1,), top_labels=None, hide_color=None,
                                         num_samples=samples, batch_size=50, segmentation_fn=seg_fn,
                                         progress_bar=False)
        times.append(time.perf_counter() - t0)
        # The seed's rule: superpixels carrying the top 80% of the positive
        # weight, one box around them.
        weights = sorted(((w, k) for k, w in exp.local_exp[1] if w > 0), reverse=True)
        total = sum(w for w, _ in weights)
        keep, acc = [], 0.0
        for w, k in weights:
            if acc >= 0.8 * total:
                break
            keep.append(k)
            acc += w
        boxes = [b for b in sc["boxes"]]
        truth = [(b["X0"], b["Y0"], b["X1"], b["Y1"]) for b in boxes]
        enc = (min(t[0] for t in truth), min(t[1] for t in truth), max(t[2] for t in truth), max(t[3] for t in truth))
        if keep:
            m = np.isin(exp.segments, keep)
            ys, xs = np.nonzero(m)
            box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
            seed_iou += iou(box, enc)
            seed_hit += sum(1 for t in truth if iou(box, t) >= 0.5)
        animals += len(truth)
    print("python lime LimeImageExplainer: %d scenes, %d samples, slic %d: median %.3f s/explanation"
          % (len(scenes), samples, segments, statistics.median(times)))
    print("  seed rule (80%% share, one box): mean IoU vs box around all animals %.3f, recall@0.5 %.3f"
          % (seed_iou / len(scenes), seed_hit / animals))


if __name__ == "__main__":
    main()
