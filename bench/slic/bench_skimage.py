#!/usr/bin/python3
"""Side-by-side SLIC benchmark: labelfree's superpixel.SLIC against
scikit-image's slic, same photos, same parameters, alternating in one run.

    /usr/bin/python3 bench/slic/bench_skimage.py [--segments 200] [--rounds 3]

Run from the repository root. Installs its peers with apt-get when missing
(python3-skimage, and darknet for the photos in /usr/share/darknet/data).
Prints megapixels per second for both and the ratio; decoding is outside
both timings, and each side is timed by its own clock around the
segmentation calls only. scikit-image runs on one core (it has no
threading); labelfree uses GOMAXPROCS cores.
"""
import argparse
import glob
import os
import subprocess
import sys
import time

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
        secs, n = go.stdout.readline().split()
        return float(secs), int(n)

    paths = sorted(glob.glob(os.path.join(PHOTOS, "*.jpg")))
    imgs = {p: np.ascontiguousarray(io.imread(p)[..., :3]) for p in paths}
    for p in paths:  # warm up both
        slic(imgs[p], n_segments=args.segments, compactness=args.compactness, start_label=0)
        run_go(p, 1)

    stats = {p: {"sk_t": 0.0, "sk_px": 0, "go_t": 0.0, "go_px": 0} for p in paths}
    for _ in range(args.rounds):
        for p in paths:
            img = imgs[p]
            px = img.shape[0] * img.shape[1]
            t = time.perf_counter()
            lab = slic(img, n_segments=args.segments, compactness=args.compactness, start_label=0)
            stats[p]["sk_t"] += time.perf_counter() - t
            stats[p]["sk_px"] += px
            stats[p]["sk_n"] = int(lab.max()) + 1
            secs, n = run_go(p, args.go_reps)
            stats[p]["go_t"] += secs
            stats[p]["go_px"] += px * args.go_reps
            stats[p]["go_n"] = n
    go.stdin.close()
    go.wait()

    print(f"SLIC n_segments={args.segments} compactness={args.compactness}, "
          f"scikit-image {skimage.__version__}, {os.cpu_count()} CPUs, {args.rounds} rounds")
    print(f"{'photo':<12} {'size':>9} {'skimage MP/s':>13} {'labelfree MP/s':>15} {'ratio':>7} {'segments sk/lf':>15}")
    tot = {"sk_t": 0.0, "sk_px": 0, "go_t": 0.0, "go_px": 0}
    for p in paths:
        s = stats[p]
        for k in tot:
            tot[k] += s[k]
        h, w = imgs[p].shape[:2]
        sk = s["sk_px"] / s["sk_t"] / 1e6
        lf = s["go_px"] / s["go_t"] / 1e6
        print(f"{os.path.basename(p):<12} {w:>4}x{h:<4} {sk:>13.2f} {lf:>15.1f} {lf / sk:>6.1f}x {s['sk_n']:>7}/{s['go_n']:<7}")
    sk = tot["sk_px"] / tot["sk_t"] / 1e6
    lf = tot["go_px"] / tot["go_t"] / 1e6
    print(f"{'all':<12} {'':>9} {sk:>13.2f} {lf:>15.1f} {lf / sk:>6.1f}x")


if __name__ == "__main__":
    sys.exit(main())
