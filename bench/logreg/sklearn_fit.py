#!/usr/bin/python3
"""Fit scikit-learn's LogisticRegression (lbfgs) on the embeddings the Go
benchmark wrote, and print one JSON line with the fit time (fit only, no
loading), iterations, test accuracy and the objective
mean(loss) + ||W||^2 / (2 C n) at its solution, so it compares with the Go
fit's FitResult.Objective. Called by bench/logreg (main.go); see run.sh.
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

prefix, C, tol, max_iter = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
meta = json.load(open(prefix + ".json"))
n, d, ntr = meta["n"], meta["d"], meta["n_train"]
x = np.fromfile(prefix + ".x.f32", dtype="<f4").reshape(n, d).astype(np.float64)
y = np.fromfile(prefix + ".y.i32", dtype="<i4")
xtr, ytr, xte, yte = x[:ntr], y[:ntr], x[ntr:], y[ntr:]
clf = LogisticRegression(solver="lbfgs", C=C, tol=tol, max_iter=max_iter)
t0, c0 = time.perf_counter(), time.process_time()
clf.fit(xtr, ytr)
fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
p = clf.predict_proba(xtr)
loss = float(np.mean(-np.log(np.clip(p[np.arange(ntr), ytr], 1e-300, 1))))
obj = loss + float(np.sum(clf.coef_ ** 2)) / (2 * C * ntr)
print(json.dumps({
    "fit_s": fit_s,
    "cpu_s": cpu_s,
    "iterations": int(np.max(clf.n_iter_)),
    "test_accuracy": float((clf.predict(xte) == yte).mean()),
    "objective": obj,
}))
