#!/usr/bin/python3
"""Generate scikit-learn reference outputs for the features package tests.

Run from the repository root with Debian's python3-sklearn (1.2) and numpy:

    apt-get install -y python3-sklearn
    /usr/bin/python3 features/testdata/gen_sklearn.py

It writes features/testdata/sklearn_logreg.json and
features/testdata/sklearn_metrics.json. The data are drawn from fixed seeds,
so the files only change when scikit-learn's answers change.
"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))


def blobs(rng, n, d, k, sep, weights=None):
    """Gaussian blobs: class c centred at sep * a fixed random direction."""
    centres = rng.normal(size=(k, d)) * sep
    if weights is None:
        weights = np.ones(k) / k
    y = rng.choice(k, size=n, p=weights)
    x = centres[y] + rng.normal(size=(n, d))
    # Features on different scales, as CNN embeddings are.
    x = x * rng.uniform(0.2, 5.0, size=d) + rng.uniform(-3, 3, size=d)
    return x.astype(np.float32), y


def logreg_cases():
    rng = np.random.RandomState(20261125)
    cases = []

    def case(name, x, y, standardize=False, **kw):
        kw.setdefault("C", 1.0)
        if kw.get("penalty") == "elasticnet":
            # saga is scikit-learn's only elastic-net solver; it needs
            # standardised features to converge.
            clf = LogisticRegression(solver="saga", tol=1e-12, max_iter=1000000, **kw)
        else:
            clf = LogisticRegression(solver="lbfgs", tol=1e-10, max_iter=100000, **kw)
        xf = x.astype(np.float64)
        if standardize:
            xf = StandardScaler().fit_transform(xf)
        clf.fit(xf, y)
        proba = clf.predict_proba(xf)
        # The objective the Go fit minimises: C·Σ sᵢ·ℓᵢ + ½‖W‖², divided by
        # C·n, evaluated at scikit-learn's solution in numpy.
        sw = np.ones(len(y))
        cw = kw.get("class_weight")
        if cw == "balanced":
            counts = np.bincount(y)
            sw = len(y) / (len(counts) * counts[y])
        elif isinstance(cw, dict):
            sw = np.array([cw.get(c, 1.0) for c in y])
        p_true = np.clip(proba[np.arange(len(y)), y], 1e-300, 1)
        loss = float(np.sum(sw * -np.log(p_true)) / len(y))
        rho = kw.get("l1_ratio") or 0.0
        objective = loss + ((1 - rho) * float(np.sum(clf.coef_ ** 2)) / 2
                            + rho * float(np.sum(np.abs(clf.coef_)))) / (kw["C"] * len(y))
        entry = {
            "name": name,
            "x": x.tolist(),
            "y": y.tolist(),
            "C": kw["C"],
            "fit_intercept": kw.get("fit_intercept", True),
            "standardize": standardize,
            "class_weight": kw.get("class_weight"),
            "l1_ratio": kw.get("l1_ratio") or 0.0,
            "coef": clf.coef_.tolist(),
            "intercept": np.atleast_1d(clf.intercept_).tolist(),
            "proba": proba.tolist(),
            "accuracy": float((clf.predict(xf) == y).mean()),
            "loss": loss,
            "objective": objective,
            "n_iter": int(np.max(clf.n_iter_)),
        }
        if isinstance(entry["class_weight"], dict):
            entry["class_weight"] = [kw["class_weight"].get(c, 1.0) for c in range(max(y) + 1)]
        cases.append(entry)

    x, y = blobs(rng, 200, 5, 2, 1.0)
    case("binary", x, y)
    case("binary_C0.01", x, y, C=0.01)
    case("binary_noint", x, y, fit_intercept=False)
    case("binary_std", x, y, standardize=True, C=0.1)
    x, y = blobs(rng, 300, 4, 3, 1.5)
    case("multinomial3", x, y)
    case("multinomial3_C0.05", x, y, C=0.05)
    x, y = blobs(rng, 400, 6, 5, 1.0)
    case("multinomial5_std", x, y, standardize=True)
    x, y = blobs(rng, 300, 5, 2, 0.7, weights=[0.9, 0.1])
    case("imbalanced_balanced", x, y, class_weight="balanced")
    case("imbalanced_weights", x, y, class_weight={0: 1.0, 1: 4.0})
    x, y = blobs(rng, 240, 5, 3, 1.0, weights=[0.6, 0.3, 0.1])
    case("multinomial_balanced", x, y, class_weight="balanced")
    # Elastic net: informative features plus pure noise, which the L1 part
    # should zero out.
    x, y = blobs(rng, 300, 4, 2, 1.0)
    x = np.hstack([x, rng.normal(size=(300, 6)).astype(np.float32)])
    case("elasticnet_binary", x, y, standardize=True, penalty="elasticnet", l1_ratio=0.5, C=0.05)
    x, y = blobs(rng, 300, 4, 3, 1.2)
    x = np.hstack([x, rng.normal(size=(300, 4)).astype(np.float32)])
    case("elasticnet_multinomial", x, y, standardize=True, penalty="elasticnet", l1_ratio=0.7, C=0.1)
    return cases


def metric_cases():
    rng = np.random.RandomState(7)
    cases = []

    def binary(name, y, s):
        p = np.stack([1 - s, s], axis=1)
        fpr, tpr, thr = metrics.roc_curve(y, s, drop_intermediate=False)
        prec, rec, pthr = metrics.precision_recall_curve(y, s)
        cases.append({
            "name": name,
            "labels": y.tolist(),
            "proba": p.tolist(),
            "accuracy": metrics.accuracy_score(y, p.argmax(1)),
            "roc_auc": metrics.roc_auc_score(y, s),
            "average_precision": metrics.average_precision_score(y, s),
            "log_loss": metrics.log_loss(y, p, labels=[0, 1]),
            "confusion": metrics.confusion_matrix(y, p.argmax(1), labels=[0, 1]).tolist(),
            "roc_fpr": fpr.tolist(),
            "roc_tpr": tpr.tolist(),
            # thresholds[0] is max+1 in sklearn 1.2; the Go curve starts at +Inf.
            "roc_thresholds": thr[1:].tolist(),
            "pr_precision": prec.tolist(),
            "pr_recall": rec.tolist(),
        })

    y = rng.randint(0, 2, 500)
    s = np.clip(0.5 + 0.25 * (2 * y - 1) + rng.normal(scale=0.3, size=500), 0, 1)
    binary("binary_continuous", y, s)
    binary("binary_ties", y, np.round(s, 1))
    y = (rng.uniform(size=400) < 0.08).astype(int)
    s = np.clip(0.2 + 0.3 * y + rng.normal(scale=0.2, size=400), 0, 1)
    binary("binary_rare", y, np.round(s, 2))

    k = 4
    y = rng.randint(0, k, 300)
    logits = rng.normal(size=(300, k)) + 1.5 * np.eye(k)[y]
    logits = np.round(logits, 1)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    cases.append({
        "name": "multiclass4",
        "labels": y.tolist(),
        "proba": p.tolist(),
        "accuracy": metrics.accuracy_score(y, p.argmax(1)),
        "roc_auc": metrics.roc_auc_score(y, p, multi_class="ovr", average="macro"),
        "average_precision": float(np.mean([
            metrics.average_precision_score(y == c, p[:, c]) for c in range(k)])),
        "log_loss": metrics.log_loss(y, p, labels=list(range(k))),
        "confusion": metrics.confusion_matrix(y, p.argmax(1), labels=list(range(k))).tolist(),
    })
    return cases


def main():
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__}
    with open(os.path.join(HERE, "sklearn_logreg.json"), "w") as f:
        json.dump({"meta": meta, "cases": logreg_cases()}, f)
    with open(os.path.join(HERE, "sklearn_metrics.json"), "w") as f:
        json.dump({"meta": meta, "cases": metric_cases()}, f)


if __name__ == "__main__":
    main()
