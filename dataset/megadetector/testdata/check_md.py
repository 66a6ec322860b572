#!/usr/bin/env python3
"""Independent check of a MegaDetector batch output file against every rule
of megadetector-output-format.md (format_version 1.6) and of the reference
validator (validate_batch_results.py). Uses only the standard library.
Prints a JSON summary on success; exits 1 with a message on the first
violation."""
import json
import math
import sys

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def check_ids(cats, field, allow_zero=True):
    if not isinstance(cats, dict):
        fail(field + " is not an object")
    for k, v in cats.items():
        if not isinstance(k, str):
            fail(field + " id not a string")
        try:
            n = int(k)
        except ValueError:
            fail(field + " id %r is not a string-formatted int" % k)
        if n < 0:
            fail(field + " id %r is negative" % k)
        if n == 0 and not allow_zero:
            fail(field + " uses id '0' (reserved for empty)")
        if not isinstance(v, str) or v.strip() == "":
            fail(field + " name for %r is blank or not a string" % k)

def main(path):
    with open(path, "rb") as f:
        d = json.load(f)
    if not isinstance(d, dict):
        fail("top level is not an object")
    for k in ("info", "detection_categories", "images"):
        if k not in d:
            fail("missing " + k)
    for k in d:
        if k not in ("info", "detection_categories", "images",
                     "classification_categories", "classification_category_descriptions"):
            fail("non-standard top-level key " + k)
    info = d["info"]
    if not isinstance(info, dict):
        fail("info is not an object")
    fv = info.get("format_version")
    if not isinstance(fv, str):
        fail("format_version is not a string")
    if float(fv) != 1.6:
        fail("format_version is %r, want '1.6'" % fv)
    md = info.get("detector_metadata")
    if md is not None:
        for k in ("typical_detection_threshold", "conservative_detection_threshold"):
            v = md.get(k)
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                fail("detector_metadata." + k + " missing or outside [0, 1]")
        if md["conservative_detection_threshold"] > md["typical_detection_threshold"]:
            fail("conservative threshold above typical")
    dc = d["detection_categories"]
    check_ids(dc, "detection_categories", allow_zero=False)
    cc = d.get("classification_categories")
    if cc is not None:
        check_ids(cc, "classification_categories")
    if not isinstance(d["images"], list):
        fail("images is not a list")
    n_det = n_fail = n_empty = 0
    files = set()
    for i, im in enumerate(d["images"]):
        if not isinstance(im, dict):
            fail("images[%d] is not an object" % i)
        f = im.get("file")
        if not isinstance(f, str) or not f:
            fail("images[%d] has no file" % i)
        if f in files:
            fail("file %s appears twice" % f)
        files.add(f)
        failure = im.get("failure")
        if failure is not None:
            if not isinstance(failure, str):
                fail("%s: failure is not a string" % f)
            if "detections" not in im:
                fail("%s: failed image should carry detections: null" % f)
            if im["detections"] is not None:
                fail("%s: failure with non-null detections" % f)
            n_fail += 1
            continue
        dets = im.get("detections")
        if not isinstance(dets, list):
            fail("%s: processed image without a detections list" % f)
        if not dets:
            n_empty += 1
        for j, det in enumerate(dets):
            w = "%s detection %d" % (f, j)
            for k in ("category", "conf", "bbox"):
                if k not in det:
                    fail(w + " lacks " + k)
            if not isinstance(det["category"], str) or det["category"] not in dc:
                fail(w + " has unmapped category")
            conf = det["conf"]
            if not isinstance(conf, float):
                fail(w + " conf is not a float literal")
            if not 0.0 <= conf <= 1.0:
                fail(w + " conf outside [0, 1]")
            bb = det["bbox"]
            if not isinstance(bb, list) or len(bb) != 4:
                fail(w + " bbox is not [x, y, w, h]")
            if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in bb):
                fail(w + " bbox has a non-number")
            x, y, bw, bh = bb
            if x < 0 or y < 0 or bw <= 0 or bh <= 0 or x + bw > 1 + 1e-9 or y + bh > 1 + 1e-9:
                fail(w + " bbox %r is not a normalised box inside the image" % (bb,))
            cl = det.get("classifications")
            if cl is not None:
                if cc is None:
                    fail(w + " has classifications but no classification_categories")
                prev = 2.0
                for c in cl:
                    if not isinstance(c, list) or len(c) != 2 or not isinstance(c[0], str) or c[0] not in cc:
                        fail(w + " bad classification %r" % (c,))
                    int(c[0])
                    if not isinstance(c[1], (int, float)) or not 0 <= c[1] <= 1:
                        fail(w + " classification conf outside [0, 1]")
                    if c[1] > prev:
                        fail(w + " classifications not sorted by descending confidence")
                    prev = c[1]
            n_det += 1
    print(json.dumps({"images": len(d["images"]), "detections": n_det,
                      "failures": n_fail, "empty": n_empty,
                      "categories": sorted(dc.values())}))

if __name__ == "__main__":
    main(sys.argv[1])
