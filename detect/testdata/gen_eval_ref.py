#!/usr/bin/env python3
"""Reference AP figures for detect.Evaluate (eval_ref.json).

A numpy transcription of pycocotools' COCOeval.evaluateImg and accumulate
for bounding boxes (area range "all", maxDets 100, no crowd annotations),
run on random scenes. Needs only numpy (Debian python3-numpy):

    /usr/bin/python3 detect/testdata/gen_eval_ref.py > detect/testdata/eval_ref.json
"""
import json
import numpy as np

IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
MAX_DETS = 100


def iou(d, g):
    # boxes as [x0, y0, x1, y1]
    out = np.zeros((len(d), len(g)))
    for i, a in enumerate(d):
        for j, b in enumerate(g):
            iw = min(a[2], b[2]) - max(a[0], b[0])
            ih = min(a[3], b[3]) - max(a[1], b[1])
            inter = max(iw, 0) * max(ih, 0)
            ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            out[i, j] = inter / ua if ua > 0 else 0
    return out


def evaluate_img(dt, gt):
    """dt: list of (box, score); gt: list of boxes. pycocotools evaluateImg."""
    dtind = np.argsort([-d[1] for d in dt], kind='mergesort')
    dt = [dt[i] for i in dtind[:MAX_DETS]]
    ious = iou([d[0] for d in dt], gt) if len(dt) and len(gt) else np.zeros((len(dt), len(gt)))
    T = len(IOU_THRS)
    gtm = np.zeros((T, len(gt)))
    dtm = np.zeros((T, len(dt)))
    for tind, t in enumerate(IOU_THRS):
        for dind in range(len(dt)):
            best = min([t, 1 - 1e-10])
            m = -1
            for gind in range(len(gt)):
                if gtm[tind, gind] > 0:
                    continue
                if ious[dind, gind] < best:
                    continue
                best = ious[dind, gind]
                m = gind
            if m == -1:
                continue
            dtm[tind, dind] = 1
            gtm[tind, m] = 1
    return np.array([d[1] for d in dt]), dtm


def accumulate(per_img, npig):
    """per_img: list of (scores, dtm); returns AP per threshold (-1 if no gt)."""
    if npig == 0:
        return [-1.0] * len(IOU_THRS)
    dt_scores = np.concatenate([e[0] for e in per_img]) if per_img else np.zeros(0)
    inds = np.argsort(-dt_scores, kind='mergesort')
    dtm = np.concatenate([e[1] for e in per_img], axis=1)[:, inds] if per_img else np.zeros((len(IOU_THRS), 0))
    tps = dtm.astype(bool)
    fps = np.logical_not(dtm)
    tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
    fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
    aps = []
    for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
        tp = np.array(tp)
        fp = np.array(fp)
        nd = len(tp)
        rc = tp / npig
        pr = tp / (fp + tp + np.spacing(1))
        q = np.zeros((len(REC_THRS),))
        pr = pr.tolist()
        q = q.tolist()
        for i in range(nd - 1, 0, -1):
            if pr[i] > pr[i - 1]:
                pr[i - 1] = pr[i]
        inds = np.searchsorted(rc, REC_THRS, side='left')
        try:
            for ri, pi in enumerate(inds):
                q[ri] = pr[pi]
        except IndexError:
            pass
        aps.append(float(np.mean(np.array(q))))
    return aps


def case(rng, n_img, n_cls):
    imgs = []
    for _ in range(n_img):
        gts = []
        for _ in range(rng.integers(0, 4)):
            x0, y0 = rng.uniform(0, 200, 2)
            w, h = rng.uniform(10, 80, 2)
            gts.append([float(x0), float(y0), float(x0 + w), float(y0 + h), 1.0, int(rng.integers(0, n_cls))])
        dts = []
        for g in gts:
            if rng.uniform() < 0.8:
                j = rng.normal(0, 0.12, 4) * np.array([g[2] - g[0], g[3] - g[1]] * 2)
                b = [g[0] + j[0], g[1] + j[1], g[2] + j[2], g[3] + j[3]]
                if b[2] > b[0] + 1 and b[3] > b[1] + 1:
                    dts.append([float(v) for v in b] + [float(np.round(rng.uniform(0.3, 1), 2)), g[5]])
        for _ in range(rng.integers(0, 3)):
            x0, y0 = rng.uniform(0, 200, 2)
            w, h = rng.uniform(10, 80, 2)
            dts.append([float(x0), float(y0), float(x0 + w), float(y0 + h), float(np.round(rng.uniform(0, 0.8), 2)), int(rng.integers(0, n_cls))])
        imgs.append({"truths": gts, "dets": dts})
    classes = sorted({b[5] for im in imgs for b in im["truths"] + im["dets"]})
    ap = {}
    for c in classes:
        per = []
        npig = 0
        for im in imgs:
            gt = [b[:4] for b in im["truths"] if b[5] == c]
            dt = [(b[:4], b[4]) for b in im["dets"] if b[5] == c]
            npig += len(gt)
            if len(gt) == 0 and len(dt) == 0:
                continue
            per.append(evaluate_img(dt, gt))
        ap[str(c)] = accumulate(per, npig)
    valid = [v for v in ap.values() if v[0] > -1]
    mean_t = np.mean(np.array(valid), axis=0) if valid else None
    return {
        "images": imgs,
        "ap_per_class": ap,
        "ap": float(np.mean(mean_t)) if valid else None,
        "ap50": float(mean_t[0]) if valid else None,
        "ap75": float(mean_t[5]) if valid else None,
    }


def main():
    rng = np.random.default_rng(20261125)
    cases = [case(rng, int(rng.integers(1, 12)), int(rng.integers(1, 4))) for _ in range(40)]
    print(json.dumps({"generator": "gen_eval_ref.py (pycocotools evaluateImg/accumulate in numpy)", "cases": cases}, indent=None))


if __name__ == "__main__":
    main()
