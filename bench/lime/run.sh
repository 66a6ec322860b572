#!/usr/bin/env bash
# Side-by-side LIME benchmark: labelfree's ImageLIME and Python lime on the
# same scenes, classifier, segment count and sample count, in one run.
#
# Needs Debian python3-skimage, python3-sklearn, python3-tqdm (installed
# here) and a copy of github.com/marcotcr/lime (not vendored: fetch it and
# point LIME_SRC at it).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${LIME_SRC:?set LIME_SRC to a checkout of github.com/marcotcr/lime}"
samples=${SAMPLES:-1000}
segments=${SEGMENTS:-200}
n=${N:-12}
dpkg -s python3-skimage python3-sklearn python3-tqdm >/dev/null 2>&1 ||
  apt-get install -y -qq python3-skimage python3-sklearn python3-tqdm
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go run ./bench/lime -dir "$dir" -gen -n "$n"
go build -o "$dir/limebench" ./bench/lime
"$dir/limebench" -dir "$dir" -samples "$samples" -segments "$segments" -backbone "${BACKBONE:-2}"
LIME_SRC=$LIME_SRC /usr/bin/python3 bench/lime/lime_peer.py "$dir" "$samples" "$segments"
