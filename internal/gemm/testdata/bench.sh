#!/bin/sh
# Side-by-side SGEMM benchmark: gonum, ours (1 and 2 workers, with and
# without a pre-packed A) and OpenBLAS 1 and 2 threads, in one test binary;
# every round runs all implementations shape by shape, and the table gives
# the median GFLOP/s over the rounds: by wall clock, and per CPU-second the
# process used (steadier when the machine is shared).
#
# Usage, from the repository root: internal/gemm/testdata/bench.sh [rounds]
# (KEEP=file also keeps the raw benchmark output.)
set -eu
rounds=${1:-5}
tags=""
if ! [ -e /usr/include/x86_64-linux-gnu/cblas.h ] && ! [ -e /usr/include/cblas.h ] && command -v apt-get >/dev/null; then
	apt-get install -y libopenblas-dev >/dev/null 2>&1 || true
fi
if [ "$(go env CGO_ENABLED)" = 1 ] && ldconfig -p | grep -q libopenblas; then
	tags="-tags openblas"
fi
bin=$(mktemp)
out=$(mktemp)
trap 'rm -f "$bin" "$out"' EXIT
go test $tags -c -o "$bin" ./internal/gemm/
i=1
while [ "$i" -le "$rounds" ]; do
	"$bin" -test.run '^$' -test.bench '^BenchmarkSgemm$' -test.benchtime 0.5s >>"$out"
	i=$((i + 1))
done
grep '^cpu:' "$out" | head -1
echo "rounds: $rounds; figures: medians over the rounds"
table() { # $1: metric unit as printed by the benchmark
	echo
	echo "median $1"
	echo
	awk -v unit="$1" '/^BenchmarkSgemm\// {
		n = split($1, p, "/"); impl = p[3]; sub(/-[0-9]+$/, "", impl)
		v = ""
		for (i = 1; i <= NF; i++) if ($i == unit) v = $(i - 1)
		if (v != "") print p[2], impl, v
	}' "$out" | sort -k1,1 -k2,2 -k3,3g | awk '
	{
		key = $1 SUBSEP $2
		cnt[key]++; val[key, cnt[key]] = $3
		if (!($1 in seenS)) { seenS[$1] = 1; shapes[++ns] = $1 }
		if (!($2 in seenI)) { seenI[$2] = 1; impls[++ni] = $2 }
	}
	END {
		order = "gonum ours-1 ours-2 packedA-1 packedA-2 openblas-1 openblas-2"
		m = split(order, o, " "); hdr = "| shape |"; sep = "| --- |"; k = 0
		for (j = 1; j <= m; j++) if (o[j] in seenI) { cols[++k] = o[j]; hdr = hdr " " o[j] " |"; sep = sep " ---: |" }
		print hdr; print sep
		for (s = 1; s <= ns; s++) {
			line = "| " shapes[s] " |"
			for (j = 1; j <= k; j++) {
				key = shapes[s] SUBSEP cols[j]; c = cnt[key]
				if (c == 0) { line = line " - |"; continue }
				if (c % 2) med = val[key, (c + 1) / 2]
				else med = (val[key, c / 2] + val[key, c / 2 + 1]) / 2
				line = line sprintf(" %.1f |", med)
			}
			print line
		}
	}'
}
table GFLOP/s
table GFLOP/cpu-s
if [ -n "${KEEP:-}" ]; then cp "$out" "$KEEP"; fi
