#!/usr/bin/env python3
"""Reference values for tests/calibration.rs from scikit-learn's logistic regression.

Usage: python make_calibration_reference.py [out_dir]   (writes calibration_reference.json)

For each seeded dataset (scores: higher = more likely fake; labels: 1 = fake) and target prior
pi, LogisticRegression without penalty (C=inf) is fitted with sample weights pi/N_fake and
(1-pi)/N_real; its coefficient is the calibration slope a and its intercept is b + logit(pi).
The objective is then evaluated with NumPy:
    pi * mean_fake(log(1 + exp(-(a s + b + logit pi)))) + (1-pi) * mean_real(log(1 + exp(...)))
and the gradient at the solution is recorded to show that the solver converged.
"""
import json
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def dataset(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "overlap":
        fake = rng.normal(1.0, 1.0, 700)
        real = rng.normal(-0.5, 1.3, 500)
    elif kind == "imbalanced":
        fake = rng.normal(2.0, 0.8, 60)
        real = rng.normal(0.0, 1.0, 900)
    elif kind == "nearly_separable":
        # Two fake trials below the highest real ones: a finite but steep optimum.
        fake = np.concatenate([rng.uniform(0.5, 3.0, 400), [0.3, 0.45]])
        real = np.concatenate([rng.uniform(-3.0, 0.5, 400), [0.55, 0.62]])
    elif kind == "probabilities":
        # Sigmoid outputs with ties, as a detector's fake_probability column looks.
        fake = np.round(1 / (1 + np.exp(-rng.normal(1.2, 1.5, 500))), 3)
        real = np.round(1 / (1 + np.exp(-rng.normal(-1.0, 1.5, 600))), 3)
    elif kind == "shifted":
        # Large offset, small spread: the fit must not depend on the raw scale.
        fake = 1000.0 + rng.normal(0.02, 0.01, 300)
        real = 1000.0 + rng.normal(0.0, 0.012, 300)
    else:
        raise ValueError(kind)
    scores = np.round(np.concatenate([fake, real]), 6)
    labels = np.concatenate([np.ones(fake.size, bool), np.zeros(real.size, bool)])
    order = rng.permutation(scores.size)
    return scores[order], labels[order]


def objective(scores, labels, prior, a, b):
    t = a * scores + b + np.log(prior / (1 - prior))
    return (prior * np.mean(np.logaddexp(0, -t[labels]))
            + (1 - prior) * np.mean(np.logaddexp(0, t[~labels])))


def gradient(scores, labels, prior, a, c):
    t = a * scores + c
    w = np.where(labels, prior / labels.sum(), (1 - prior) / (~labels).sum())
    r = w * (1 / (1 + np.exp(-t)) - labels)
    return [float(np.sum(r * scores)), float(np.sum(r))]


def fit(scores, labels, prior, center):
    w = np.where(labels, prior / labels.sum(), (1 - prior) / (~labels).sum())
    # Centring (an exact reparametrisation, undone below) helps the solver on shifted scores.
    x = (scores - center).reshape(-1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a convergence warning must not pass silently
        lr = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-14, max_iter=1000)
        lr.fit(x, labels.astype(int), sample_weight=w)
    a = float(lr.coef_[0, 0])
    c = float(lr.intercept_[0]) - a * center
    return a, c


CASES = [
    # name, kind, seed, prior
    ("overlap_p50", "overlap", 1, 0.5),
    ("overlap_p05", "overlap", 1, 0.05),
    ("overlap_p90", "overlap", 1, 0.9),
    ("imbalanced_p50", "imbalanced", 2, 0.5),
    ("nearly_separable_p50", "nearly_separable", 3, 0.5),
    ("nearly_separable_p05", "nearly_separable", 3, 0.05),
    ("probabilities_p20", "probabilities", 4, 0.2),
    ("shifted_p50", "shifted", 5, 0.5),
]


def main():
    cases = []
    for name, kind, seed, prior in CASES:
        scores, labels = dataset(kind, seed)
        center = float(np.mean(scores))
        a, c = fit(scores, labels, prior, center)
        b = c - float(np.log(prior / (1 - prior)))
        grad = gradient(scores - center, labels, prior, a, c + a * center)
        slope_per_sd = abs(a) * float(np.std(scores))
        print(f"{name}: a={a!r} b={b!r} slope/sd={slope_per_sd:.3f} grad={grad}")
        assert slope_per_sd < 100, "the reference must lie inside the slope limit"
        assert max(abs(g) for g in grad) < 1e-10, "sklearn did not converge"
        cases.append({
            "name": name,
            "prior": prior,
            "scores": scores.tolist(),
            "fake": labels.astype(int).tolist(),
            "a": a,
            "b": b,
            "sklearn_intercept": c,
            "objective": float(objective(scores, labels, prior, a, b)),
        })
    doc = {
        "generator": "make_calibration_reference.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "solver": "LogisticRegression(C=inf, solver='newton-cholesky', tol=1e-14)",
        "cases": cases,
    }
    path = os.path.join(OUT, "calibration_reference.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
