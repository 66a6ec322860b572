#!/usr/bin/python3
"""Reference quality scores of scikit-image's slic on labelfree's synthetic
scenes, for superpixel/quality_test.go.

Usage (from the repository root; gen_skimage_ref.sh does both steps):

    go test ./superpixel -run TestWriteScenes -scenes.out=DIR
    /usr/bin/python3 superpixel/testdata/gen_skimage_ref.py DIR \
        > superpixel/testdata/skimage_quality.json

Needs Debian's python3-skimage (0.19). The measures are implemented here
independently of the Go code; the "grid" entries (a plain 16x16 block
tiling) let the Go test check that both implementations agree.
"""
import glob
import hashlib
import json
import os
import sys

import numpy as np
import scipy.ndimage as ndi
import skimage
from skimage import io
from skimage.segmentation import slic

TOL = 2
PARAMS = [  # (n_segments, compactness)
    (100, 10.0),
    (200, 10.0),
    (400, 10.0),
    (200, 20.0),
]


def boundaries(lab):
    b = np.zeros(lab.shape, bool)
    b[:, :-1] |= lab[:, :-1] != lab[:, 1:]
    b[:-1, :] |= lab[:-1, :] != lab[1:, :]
    return b


def boundary_recall(got, truth, tol=TOL):
    tb = boundaries(truth)
    gb = ndi.binary_dilation(boundaries(got), structure=np.ones((2 * tol + 1, 2 * tol + 1), bool))
    total = tb.sum()
    return 1.0 if total == 0 else float((tb & gb).sum()) / float(total)


def cue(got, truth):
    g = got.astype(np.int64).ravel()
    t = truth.astype(np.int64).ravel()
    pair = g * (t.max() + 1) + t
    keys, counts = np.unique(pair, return_counts=True)
    sp = keys // (t.max() + 1)
    size = np.bincount(sp, weights=counts)
    best = np.zeros(size.shape)
    np.maximum.at(best, sp, counts)
    return float((size - best).sum()) / float(g.size)


def grid(h, w, cell=16):
    y, x = np.mgrid[:h, :w]
    return (y // cell) * ((w + cell - 1) // cell) + x // cell


def main():
    d = sys.argv[1]
    out = {"skimage": skimage.__version__, "tolerance": TOL, "scenes": []}
    for path in sorted(glob.glob(os.path.join(d, "scene*.png"))):
        if path.endswith("_truth.png"):
            continue
        name = os.path.basename(path)[:-4]
        img = io.imread(path)[..., :3]
        truth = io.imread(os.path.join(d, name + "_truth.png")).astype(np.int64)
        # skimage 0.19 rescales the image to [0, 1] by its own min and max;
        # the scenes span 0..255 so that this changes nothing.
        assert img.min() == 0 and img.max() == 255, name
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(img).tobytes())
        h.update(truth.astype("<u2").tobytes())
        g = grid(*truth.shape)
        entry = {
            "name": name,
            "sha256": h.hexdigest(),
            "grid_br": boundary_recall(g, truth),
            "grid_cue": cue(g, truth),
            "slic": [],
        }
        for n, m in PARAMS:
            lab = slic(img, n_segments=n, compactness=m, start_label=0)
            entry["slic"].append({
                "n_segments": n,
                "compactness": m,
                "segments": int(lab.max()) + 1,
                "br": boundary_recall(lab, truth),
                "cue": cue(lab, truth),
            })
        out["scenes"].append(entry)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
