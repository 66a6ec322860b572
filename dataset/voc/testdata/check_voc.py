#!/usr/bin/env python3
"""Independent check of a Pascal VOC annotation directory with the standard
library's xml.etree, reading boxes the way the VOC devkit and
torchvision's VOCDetection do. Prints a JSON summary; exits 1 on the first
violation."""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def main(root):
    classes = [l for l in open(os.path.join(root, "classes.txt")).read().splitlines() if l.strip()]
    n_img = n_obj = n_trunc = 0
    for p in sorted(glob.glob(os.path.join(root, "Annotations", "**", "*.xml"), recursive=True)):
        a = ET.parse(p).getroot()
        if a.tag != "annotation":
            fail(p + ": root is not <annotation>")
        fn = a.findtext("filename")
        if not fn:
            fail(p + ": no filename")
        w, h = int(a.find("size/width").text), int(a.find("size/height").text)
        if w <= 0 or h <= 0 or int(a.find("size/depth").text) != 3:
            fail(p + ": bad size")
        n_img += 1
        for o in a.findall("object"):
            name = o.findtext("name")
            if name not in classes:
                fail(p + ": unknown class " + repr(name))
            for k in ("pose", "truncated", "difficult"):
                if o.find(k) is None:
                    fail(p + ": object lacks " + k)
            bb = o.find("bndbox")
            x0, y0, x1, y1 = (float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
            if not (1 <= x0 <= x1 <= w and 1 <= y0 <= y1 <= h):
                fail("%s: bndbox %r outside 1..%d x 1..%d" % (p, (x0, y0, x1, y1), w, h))
            n_obj += 1
            n_trunc += int(o.findtext("truncated"))
        jpeg = os.path.join(root, "JPEGImages", os.path.relpath(os.path.dirname(p), os.path.join(root, "Annotations")), fn)
        if len(sys.argv) > 2 and sys.argv[2] == "images" and not os.path.isfile(jpeg):
            fail("missing image " + jpeg)
    print(json.dumps({"images": n_img, "objects": n_obj, "truncated": n_trunc, "classes": classes}))

if __name__ == "__main__":
    main(sys.argv[1])
