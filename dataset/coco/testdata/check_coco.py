#!/usr/bin/env python3
"""Independent structural check of a COCO / COCO Camera Traps file with the
standard library only. Usage: check_coco.py FILE plain|cct. Prints a JSON
summary; exits 1 with a message on the first violation."""
import collections
import datetime
import json
import math
import sys

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def main(path, mode):
    with open(path, "rb") as f:
        d = json.load(f)
    for k in ("info", "images", "categories", "annotations"):
        if k not in d:
            fail("missing " + k)
    info = d["info"]
    if not isinstance(info.get("version"), str) or not isinstance(info.get("description"), str):
        fail("info needs string version and description")
    cats = {}
    for c in d["categories"]:
        if not isinstance(c["id"], int) or not isinstance(c["name"], str) or not c["name"]:
            fail("bad category %r" % (c,))
        if c["id"] in cats:
            fail("duplicate category id")
        cats[c["id"]] = c["name"]
    if mode == "cct":
        if cats.get(0) != "empty":
            fail("COCO Camera Traps reserves category 0 for empty")
    elif 0 in cats:
        fail("plain COCO categories start at 1")
    images = {}
    seqs = collections.defaultdict(list)
    for im in d["images"]:
        iid = im["id"]
        if mode == "cct" and not isinstance(iid, str):
            fail("CCT image ids are strings")
        if mode == "plain" and not isinstance(iid, int):
            fail("COCO image ids are integers")
        if iid in images:
            fail("duplicate image id")
        images[iid] = im
        if not isinstance(im["file_name"], str) or not im["file_name"]:
            fail("image without file_name")
        if mode == "plain" or im.get("width"):
            if not (isinstance(im["width"], int) and im["width"] > 0 and isinstance(im["height"], int) and im["height"] > 0):
                fail("image %s has no usable size" % im["file_name"])
        if mode == "cct":
            if "datetime" in im:
                datetime.datetime.strptime(im["datetime"], "%Y-%m-%d %H:%M:%S")
            if "location" in im and not isinstance(im["location"], str):
                fail("location must be an opaque string id")
            if "seq_id" in im:
                seqs[im["seq_id"]].append(im)
            if im.get("corrupt") not in (None, True, False):
                fail("corrupt must be a bool")
        for k in im:
            if "gps" in k.lower() or k in ("latitude", "longitude", "lat", "lon"):
                fail("image carries location field " + k)
    for sid, ims in seqs.items():
        n = len(ims)
        if any(im["seq_num_frames"] != n for im in ims):
            fail("seq %s: seq_num_frames differs from the frame count %d" % (sid, n))
        if sorted(im["frame_num"] for im in ims) != list(range(n)):
            fail("seq %s: frame_num is not 0..%d" % (sid, n - 1))
    ann_ids = set()
    n_box = n_label = n_empty = 0
    for a in d["annotations"]:
        if a["id"] in ann_ids:
            fail("duplicate annotation id")
        ann_ids.add(a["id"])
        if a["image_id"] not in images:
            fail("annotation names no image")
        if a["category_id"] not in cats:
            fail("annotation names no category")
        im = images[a["image_id"]]
        if "bbox" not in a:
            if mode == "plain":
                fail("plain COCO annotation without bbox")
            if a["category_id"] == 0:
                n_empty += 1
            else:
                n_label += 1
            continue
        x, y, w, h = a["bbox"]
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (x, y, w, h)):
            fail("bbox has a non-number")
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > im["width"] + 1e-9 or y + h > im["height"] + 1e-9:
            fail("bbox %r outside %dx%d image %s" % (a["bbox"], im["width"], im["height"], im["file_name"]))
        if mode == "plain":
            if abs(a["area"] - w * h) > 1e-6 * max(1, w * h) or a["iscrowd"] != 0:
                fail("area/iscrowd wrong")
        if "score" in a and not 0 <= a["score"] <= 1:
            fail("score outside [0, 1]")
        n_box += 1
    print(json.dumps({"images": len(images), "boxes": n_box, "labels": n_label,
                      "empty": n_empty, "categories": [cats[k] for k in sorted(cats)]}))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
