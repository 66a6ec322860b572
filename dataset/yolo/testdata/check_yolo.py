#!/usr/bin/env python3
"""Independent check of a YOLO detection dataset the way Ultralytics loads
it (data.yaml, image lists, img2label_paths, five-column label rows).
Needs PyYAML. Prints a JSON summary; exits 1 on the first violation."""
import json
import math
import os
import sys

import yaml

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def img2label(p):
    sa, sb = os.sep + "images" + os.sep, os.sep + "labels" + os.sep
    return sb.join(p.rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt"

def main(root, want_images):
    with open(os.path.join(root, "data.yaml")) as f:
        d = yaml.safe_load(f)
    names = d["names"]
    if isinstance(names, dict):
        names = [names[i] for i in range(len(names))]
    if d.get("nc", len(names)) != len(names):
        fail("nc does not match names")
    base = os.path.join(root, d.get("path", "."))
    counts = {"images": 0, "boxes": 0, "background": 0}
    for split in ("train", "val", "test"):
        if split not in d:
            continue
        lst = os.path.join(base, d[split])
        with open(lst) as f:
            imgs = [l.strip() for l in f if l.strip()]
        for im in imgs:
            p = os.path.join(base, im)
            if want_images == "yes" and not os.path.isfile(p):
                fail("missing image " + p)
            lp = img2label(os.path.normpath(os.path.join(os.path.abspath(base), im)))
            if not os.path.isfile(lp):
                fail("missing label file " + lp)
            counts["images"] += 1
            rows = [r.split() for r in open(lp).read().splitlines() if r.strip()]
            if not rows:
                counts["background"] += 1
            for r in rows:
                if len(r) != 5:
                    fail("%s: row %r does not have 5 columns" % (lp, r))
                c = int(r[0])
                if not 0 <= c < len(names):
                    fail("%s: class %d out of range" % (lp, c))
                xc, yc, w, h = map(float, r[1:])
                if not all(math.isfinite(v) and 0 <= v <= 1 for v in (xc, yc, w, h)) or w <= 0 or h <= 0:
                    fail("%s: values not normalised" % lp)
                if xc - w / 2 < -1e-9 or yc - h / 2 < -1e-9 or xc + w / 2 > 1 + 1e-9 or yc + h / 2 > 1 + 1e-9:
                    fail("%s: box leaves the image" % lp)
                counts["boxes"] += 1
    counts["names"] = names
    print(json.dumps(counts))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
