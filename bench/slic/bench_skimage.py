#!/usr/bin/python3
"""Side-by-side SLIC benchmark: labelfree's superpixel.SLIC against
scikit-image's slic, same photos, same parameters, alternating in one run.

    /usr/bin/python3 bench/slic/bench_skimage.py [--segments 200] [--rounds 3]

Run from the repository root. Installs its peers with apt-get when missing
(python3-skimage, and darknet for the photos in /usr/share/darknet/data).
Prints megapixels per second for both and the ratio; decoding is outside
both timings, and each side is timed by its own clocks around the
segmentation calls only. scikit-image runs on one core (it has no
threading); labelfree uses GOMAXPROCS cores. Calls alternate finely (Go,
skimage, Go, for every photo in every round) so both see the same machine
load. Two figures are printed: wall-clock MP/s (what a caller waits; the
labelfree side gains from its second core) and MP/s per CPU-second (each
process's user+system time; robust to other load on a shared machine).

scikit-image's slic is single-threaded, but the rgb2lab inside it calls
NumPy's multithreaded BLAS, whose idle worker threads keep spinning for a
while after each call, on the cores the labelfree calls that follow are
timed on. The script therefore starts BLAS and OpenMP with one thread
(unless OPENBLAS_NUM_THREADS or OMP_NUM_THREADS is set): scikit-image's
own speed is the same either way (1.47 MP/s with one thread, 1.36-1.50
with the default, in the runs of 2026-12-05).
"""
import argparse
import glob
import os
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

PHOTOS = "/usr/share/darknet/data"


def ensure_peers():
    try:
        import skimage  # noqa: F401
    except ImportError:
        subprocess.check_call(["apt-get", "install", "-y", "python3-skimage"])
    if not glob.glob(os.path.join(PHOTOS, "*.jpg")):
        subprocess.check_call(["apt-get", "install", "-y", "darknet"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--segments", type=int, default=200)
    ap.add_argument("--compactness", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--go-reps", type=int, default=10)
    args = ap.parse_args()
    ensure_peers()
    import numpy as np
    import skimage
    from skimage import io
    from skimage.segmentation import slic

    binary = os.path.join(os.environ.get("TMPDIR", "/tmp"), "labelfree-bench-slic")
    subprocess.check_call(["go", "build", "-o", binary, "./bench/slic"])
    go = subprocess.Popen([binary, "-segments", str(args.segments), "-compactness", str(args.compactness)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run_go(path, reps):
        go.stdin.write(f"{path} {reps}\n")
        go.stdin.flush()
        wall, cpu, n = go.stdout.readline().split()
        return float(wall), float(cpu), int(n)

    paths = sorted(glob.glob(os.path.join(PHOTOS, "*.jpg")))
    imgs = {p: np.ascontiguousarray(io.imread(p)[..., :3]) for p in paths}
    for p in paths:  # warm up both
        slic(imgs[p], n_segments=args.segments, compactness=args.compactness, start_label=0)
        run_go(p, 1)

    keys = ("sk_t", "sk_c", "sk_px", "go_t", "go_c", "go_px")
    stats = {p: dict.fromkeys(keys, 0) for p in paths}

    def go_half(p, px):
        wall, cpu, n = run_go(p, args.go_reps // 2)
        s = stats[p]
        s["go_t"] += wall
        s["go_c"] += cpu
        s["go_px"] += px * (args.go_reps // 2)
        s["go_n"] = n

    for _ in range(args.rounds):
        for p in paths:
            img = imgs[p]
            px = img.shape[0] * img.shape[1]
            go_half(p, px)
            c, t = time.process_time(), time.perf_counter()
            lab = slic(img, n_segments=args.segments, compactness=args.compactness, start_label=0)
            s = stats[p]
            s["sk_t"] += time.perf_counter() - t
            s["sk_c"] += time.process_time() - c
            s["sk_px"] += px
            s["sk_n"] = int(lab.max()) + 1
            go_half(p, px)
    go.stdin.close()
    go.wait()

    print(f"SLIC n_segments={args.segments} compactness={args.compactness}, "
          f"scikit-image {skimage.__version__}, {os.cpu_count()} CPUs, {args.rounds} rounds")
    print(f"{'':<22} {'wall-clock MP/s':^30} {'MP/s per CPU-second':^30}")
    print(f"{'photo':<12} {'size':>9} {'skimage':>9} {'labelfree':>10} {'ratio':>8} "
          f"{'skimage':>9} {'labelfree':>10} {'ratio':>8} {'segments sk/lf':>15}")
    tot = dict.fromkeys(keys, 0)

    def row(name, size, s, extra=""):
        skw, lfw = s["sk_px"] / s["sk_t"] / 1e6, s["go_px"] / s["go_t"] / 1e6
        skc, lfc = s["sk_px"] / s["sk_c"] / 1e6, s["go_px"] / s["go_c"] / 1e6
        print(f"{name:<12} {size:>9} {skw:>9.2f} {lfw:>10.1f} {lfw / skw:>7.1f}x "
              f"{skc:>9.2f} {lfc:>10.1f} {lfc / skc:>7.1f}x {extra}")

    for p in paths:
        s = stats[p]
        for k in keys:
            tot[k] += s[k]
        h, w = imgs[p].shape[:2]
        row(os.path.basename(p), f"{w}x{h}", s, f"{s['sk_n']:>7}/{s['go_n']:<7}")
    row("all", "", tot)


if __name__ == "__main__":
    sys.exit(main())
