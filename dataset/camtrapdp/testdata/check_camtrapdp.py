#!/usr/bin/env python3
"""Independent check of a Camtrap DP package against the published 1.0.2
table schemas and profile (copied in testdata/camtrap-dp-1.0.2), using only
the standard library (json, csv, re, datetime). Prints a JSON summary;
exits 1 on the first violation."""
import csv
import datetime
import json
import os
import re
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "camtrap-dp-1.0.2")

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def load(name):
    with open(os.path.join(HERE, name)) as f:
        return json.load(f)

def check_value(table, field, v):
    t = field["type"]
    c = field.get("constraints", {})
    if t == "number":
        x = float(v)
    elif t == "integer":
        if not re.fullmatch(r"[-+]?\d+", v):
            fail("%s.%s: %r is not an integer" % (table, field["name"], v))
        x = int(v)
    elif t == "datetime":
        # format %Y-%m-%dT%H:%M:%S%z
        try:
            datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            fail("%s.%s: %r does not match %s" % (table, field["name"], v, field.get("format")))
        x = None
    elif t == "boolean":
        if v not in ("true", "false", "True", "False", "TRUE", "FALSE", "1", "0"):
            fail("%s.%s: %r is not a boolean" % (table, field["name"], v))
        x = None
    elif t == "any":
        x = None
    else:
        x = None
    if "minimum" in c and x < c["minimum"]:
        fail("%s.%s: %r below minimum" % (table, field["name"], v))
    if "maximum" in c and x > c["maximum"]:
        fail("%s.%s: %r above maximum" % (table, field["name"], v))
    if "enum" in c and v not in c["enum"]:
        fail("%s.%s: %r not in enum" % (table, field["name"], v))
    if "pattern" in c and not re.fullmatch(c["pattern"], v):
        fail("%s.%s: %r does not match pattern" % (table, field["name"], v))

def main(root):
    with open(os.path.join(root, "datapackage.json")) as f:
        pkg = json.load(f)
    profile = load("camtrap-dp-profile.json")
    for req in profile["allOf"][1]["required"]:
        if req not in pkg:
            fail("datapackage.json lacks required " + req)
    props = profile["allOf"][1]["properties"]
    for req in props["project"]["required"]:
        if req not in pkg["project"]:
            fail("project lacks " + req)
    if pkg["project"]["samplingDesign"] not in props["project"]["properties"]["samplingDesign"]["enum"]:
        fail("bad samplingDesign")
    for r in pkg["contributors"]:
        if "role" in r and r["role"] not in props["contributors"]["items"]["properties"]["role"]["enum"]:
            fail("bad contributor role")
    for k in ("start", "end"):
        datetime.date.fromisoformat(pkg["temporal"][k])
    for t in pkg["taxonomic"]:
        if not t.get("scientificName"):
            fail("taxon without scientificName")
    if pkg["spatial"]["type"] not in ("Point", "Polygon", "MultiPoint"):
        fail("spatial is not GeoJSON geometry")
    if not pkg["profile"].endswith("/1.0.2/camtrap-dp-profile.json"):
        fail("profile URL")
    datetime.datetime.strptime(pkg["created"].replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
    values = {}
    counts = {}
    for res in pkg["resources"]:
        name = res["name"]
        if res["profile"] != "tabular-data-resource" or not res["schema"].endswith("/1.0.2/%s-table-schema.json" % name):
            fail("resource %s: profile or schema URL" % name)
        schema = load("%s-table-schema.json" % name)
        missing = set(schema.get("missingValues", [""]))
        fields = schema["fields"]
        with open(os.path.join(root, res["path"]), newline="") as f:
            rows = list(csv.reader(f))
        header = rows[0]
        if header != [fl["name"] for fl in fields]:
            fail("%s header differs from the schema's fields" % name)
        values[name] = {fl["name"]: [] for fl in fields}
        for n, row in enumerate(rows[1:], 1):
            if len(row) != len(header):
                fail("%s row %d has %d cells" % (name, n, len(row)))
            for fl, v in zip(fields, row):
                c = fl.get("constraints", {})
                if v in missing:
                    if c.get("required"):
                        fail("%s row %d: required %s missing" % (name, n, fl["name"]))
                    values[name][fl["name"]].append(None)
                    continue
                check_value(name, fl, v)
                values[name][fl["name"]].append(v)
        for fl in fields:
            if fl.get("constraints", {}).get("unique"):
                col = [v for v in values[name][fl["name"]] if v is not None]
                if len(col) != len(set(col)):
                    fail("%s.%s is not unique" % (name, fl["name"]))
        for fk in schema.get("foreignKeys", []):
            ref = values[fk["reference"]["resource"]][fk["reference"]["fields"]]
            for v in values[name][fk["fields"]]:
                if v is not None and v not in ref:
                    fail("%s.%s %r has no match in %s" % (name, fk["fields"], v, fk["reference"]["resource"]))
        counts[name] = len(rows) - 1
    obs = values["observations"]
    for i, lvl in enumerate(obs["observationLevel"]):
        if lvl == "media" and obs["mediaID"][i] is None:
            fail("media-level observation without mediaID")
        if obs["classificationMethod"][i] == "machine" and obs["classifiedBy"][i] is None:
            fail("machine classification without classifiedBy")
    for v in values["media"]["exifData"]:
        if v is not None:
            d = json.loads(v)
            if any("gps" in k.lower() for k in d):
                fail("exifData carries GPS")
    counts["types"] = sorted(set(obs["observationType"]))
    counts["coordinatePrecision"] = pkg.get("coordinatePrecision")
    print(json.dumps(counts, sort_keys=True))

if __name__ == "__main__":
    main(sys.argv[1])
