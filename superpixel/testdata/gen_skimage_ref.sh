#!/bin/sh
# Regenerates superpixel/testdata/skimage_quality.json (run from the
# repository root; needs apt-get install python3-skimage).
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test ./superpixel -run TestWriteScenes -scenes.out="$dir"
/usr/bin/python3 superpixel/testdata/gen_skimage_ref.py "$dir" > superpixel/testdata/skimage_quality.json
