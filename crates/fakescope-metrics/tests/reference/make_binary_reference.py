"""Writes binary_reference.json: the expected values of fakescope-metrics' binary detection
metrics, computed by the official code, for seeded score sets.

    python make_binary_reference.py \
        ASVSPOOF5/evaluation-package DEEPFAKEBENCH/training/metrics [OUT.json]

(run with numpy 1.26, scikit-learn 1.9.1, scipy and pandas from PyPI)

- ASVspoof 5 (`evaluation-package/calculate_modules.py`, imported from the first path):
  compute_eer, compute_mindcf, compute_actDCF, calculate_CLLR.
- DeepfakeBench (`training/metrics/utils.py`, imported from the second path): get_test_metrics
  (acc at 0.5, auc, eer, ap).
- scikit-learn: roc_curve (both drop_intermediate settings), roc_auc_score,
  average_precision_score, accuracy_score, balanced_accuracy_score.
- Written here, from their definitions (no upstream code): the numerically stable Cllr
  (np.logaddexp), minCllr (PAV with sklearn's IsotonicRegression, ties pooled; LLR = logit of
  the PAV posterior minus logit of the empirical prior; no BOSARIS 1e-6 monotonicity offset),
  TPR at FPR (highest TPR on the full ROC whose FPR <= x), the DeepfakeBench EER threshold
  (the roc_curve threshold at the index DeepfakeBench picks).

The committed fixture came from asvspoof5 fe23d30 and DeepfakeBench 8a4a7bf (each exported with
`git archive`), scikit-learn 1.9.1 and NumPy 1.26.4.

Scores are stored in fakescope's convention (label true = fake, higher = more fake); the
ASVspoof functions get `bona fide = -score of real trials`, `spoof = -score of fake trials`,
and their thresholds are negated back. Non-finite numbers are written as "inf" / "-inf" / "nan".
"""

import importlib.util
import json
import math
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.isotonic import IsotonicRegression

DCF_PARAMS = [(0.05, 1.0, 10.0), (0.3, 2.0, 5.0)]
THRESHOLDS = [0.5, 0.0, -1.0]
MAX_FPRS = [0.0, 0.01, 0.05, 0.1, 0.3, 1.0]
FULL_CURVE_MAX_N = 200


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(path))
    spec.loader.exec_module(module)
    return module


def num(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def nums(xs):
    return [num(x) for x in xs]


def cases():
    """(name, scores, labels) in fakescope's convention, each in a seeded random order."""
    rng = np.random.default_rng(20240611)
    out = []

    def add(name, fake, real):
        fake = np.asarray(fake, dtype=float)
        real = np.asarray(real, dtype=float)
        scores = np.concatenate([fake, real])
        labels = np.concatenate([np.ones(fake.size, bool), np.zeros(real.size, bool)])
        order = rng.permutation(scores.size)
        out.append((name, scores[order], labels[order]))

    # The check vectors, negated from ASVspoof's bona-fide-high convention.
    add("issue_check", -np.array([-2, -1, 0, 0.5, 1.5]), -np.array([2, 1, 0.5, -0.5]))
    add("issue_check_ties", -np.array([1, 0, -1]), -np.array([1, 1, 0]))
    for n in [2, 3, 5, 10, 40, 200, 1000, 2000]:
        n_fake = max(1, n // 2 + int(rng.integers(-n // 4, n // 4 + 1)))
        n_real = max(1, n - n_fake)
        # Ten decimals keep the fixture small and make ties vanishingly rare.
        fake, real = rng.normal(1.0, 1.0, n_fake), rng.normal(0.0, 1.0, n_real)
        add(f"normal_{n}", np.round(fake, 10), np.round(real, 10))
    add("ties_1dp", np.round(rng.normal(0.8, 1, 300), 1), np.round(rng.normal(0, 1, 250), 1))
    add("ties_int", rng.integers(-3, 4, 150), rng.integers(-4, 3, 170))
    add("ties_two_values", rng.integers(0, 2, 40), rng.integers(0, 2, 60))
    add("constant", np.full(7, 0.25), np.full(4, 0.25))
    add("one_each", [0.7], [0.3])
    add("one_each_inverted", [0.3], [0.7])
    add("one_each_tied", [1.0], [1.0])
    add("separable", rng.normal(5, 1, 30), rng.normal(-5, 1, 30))
    add("inverted", rng.normal(-5, 1, 30), rng.normal(5, 1, 30))
    add("huge_1e300", [1e300, -1e300, 5e299, 0.0, 1e300], [-1e300, 2e299, -7e299, 1e300])
    add("huge_1e15", rng.normal(0.5, 1, 20) * 1e15, rng.normal(0, 1, 25) * 1e15)
    add("tiny_1e-300", [1e-300, 3e-300, -1e-300, 0.0, 2e-300], [-2e-300, 1e-300, 0.0, -5e-300])
    add("mixed_signs_llr", rng.normal(2, 3, 80), rng.normal(-2, 3, 90))
    block_f, block_r = rng.normal(0.6, 1, 9), rng.normal(0, 1, 7)
    add("duplicated_blocks", np.tile(block_f, 5), np.tile(block_r, 5))
    add("imbalanced_1_fake", [0.4], rng.normal(0, 1, 500))
    add("imbalanced_1_real", rng.normal(0, 1, 300), [0.1])
    add("probabilities", rng.uniform(0.3, 1, 120), rng.uniform(0, 0.7, 110))
    return out


def single_class_behaviour(fn):
    """What the official code does with one class: 'error: ...', 'warning: ...' or 'value: ...'."""
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        try:
            value = fn()
        except Warning as w:
            return f"warning: {type(w).__name__}: {w}"
        except Exception as e:
            return f"error: {type(e).__name__}: {e}"
    return f"value: {value!r}"


def stable_cllr(scores, labels):
    real, fake = scores[~labels], scores[labels]
    return 0.5 * (np.mean(np.logaddexp(0, real)) + np.mean(np.logaddexp(0, -fake))) / np.log(2)


def min_cllr(scores, labels):
    # Dense ranks keep order and exact ties (IsotonicRegression merges x closer than 1e-15).
    ranks = np.unique(scores, return_inverse=True)[1].astype(float)
    posterior = IsotonicRegression(increasing=True).fit_transform(ranks, labels.astype(float))
    prior_log_odds = np.log(labels.sum() / (~labels).sum())
    with np.errstate(divide="ignore"):
        llr = np.log(posterior) - np.log1p(-posterior) - prior_log_odds
    real, fake = llr[~labels], llr[labels]
    return 0.5 * (np.mean(np.logaddexp(0, real)) + np.mean(np.logaddexp(0, -fake))) / np.log(2)


def main():
    asv = load(os.path.join(sys.argv[1], "calculate_modules.py"), "calculate_modules")
    dfb = load(os.path.join(sys.argv[2], "utils.py"), "deepfakebench_metrics_utils")
    out_path = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "binary_reference.json")

    records = []
    for name, scores, labels in cases():
        y = labels.astype(int)
        rec = {"name": name, "scores": nums(scores), "labels": [bool(v) for v in labels]}
        bona, spoof = -scores[~labels], -scores[labels]

        # scikit-learn
        sk = {}
        for drop in (True, False):
            if drop or scores.size <= FULL_CURVE_MAX_N:
                fpr, tpr, thr = metrics.roc_curve(y, scores, drop_intermediate=drop)
                key = "roc_drop" if drop else "roc_full"
                sk[key] = {"fpr": nums(fpr), "tpr": nums(tpr), "thresholds": nums(thr)}
        sk["roc_auc"] = float(metrics.roc_auc_score(y, scores))
        sk["average_precision"] = float(metrics.average_precision_score(y, scores))
        fpr, tpr, _ = metrics.roc_curve(y, scores, drop_intermediate=False)
        sk["tpr_at_fpr"] = [[x, float(tpr[fpr <= x].max())] for x in MAX_FPRS]
        sk["at_threshold"] = [
            {
                "threshold": t,
                "accuracy": float(metrics.accuracy_score(y, scores > t)),
                "balanced_accuracy": float(metrics.balanced_accuracy_score(y, scores > t)),
                "confusion": [int(v) for v in metrics.confusion_matrix(y, scores > t, labels=[0, 1]).ravel()],
            }
            for t in THRESHOLDS
        ]
        rec["sklearn"] = sk

        # DeepfakeBench get_test_metrics (video-level branch: img_names is a list of lists).
        got = dfb.get_test_metrics(scores.copy(), y.copy(), [[name]])
        fpr, tpr, thr = metrics.roc_curve(y, scores)
        index = np.nanargmin(np.absolute((1 - tpr) - fpr))
        assert fpr[index] == got["eer"]
        rec["deepfakebench"] = {
            "acc": float(got["acc"]),
            "auc": float(got["auc"]),
            "eer": float(got["eer"]),
            "eer_threshold": num(thr[index]),
            "ap": float(got["ap"]),
        }

        # ASVspoof 5 evaluation package
        with np.errstate(over="ignore"):
            eer, frr, far, thr, eer_thr = asv.compute_eer(bona, spoof)
            a = {
                "eer": float(eer),
                "eer_threshold": num(-eer_thr),
                "dcf": [],
                "cllr": num(asv.calculate_CLLR(bona, spoof)),
            }
            if scores.size <= FULL_CURVE_MAX_N:
                a["det"] = {"frr": nums(frr), "far": nums(far), "thresholds": nums(-thr)}
            for p_spoof, c_miss, c_fa in DCF_PARAMS:
                m, m_thr = asv.compute_mindcf(frr, far, thr, p_spoof, c_miss, c_fa)
                act, act_thr = asv.compute_actDCF(bona, spoof, p_spoof, c_miss, c_fa)
                a["dcf"].append({
                    "params": [p_spoof, c_miss, c_fa],
                    "min_dcf": float(m), "min_dcf_threshold": num(-m_thr),
                    "act_dcf": float(act), "act_dcf_threshold": num(-act_thr),
                })
        rec["asvspoof5"] = a
        rec["stable_cllr"] = num(stable_cllr(scores, labels))
        rec["min_cllr"] = num(min_cllr(scores, labels))
        records.append(rec)

    # One class: what the official code does (we return Err(OneClass) instead).
    one_class = {}
    for present, y in (("fake", np.ones(6, int)), ("real", np.zeros(6, int))):
        s = np.linspace(-1, 1, 6)
        bona, spoof = (s[:0], -s) if present == "fake" else (-s, s[:0])
        one_class[present] = {
            "scores": nums(s),
            "roc_curve": single_class_behaviour(lambda: metrics.roc_curve(y, s)),
            "roc_auc_score": single_class_behaviour(lambda: metrics.roc_auc_score(y, s)),
            "average_precision_score": single_class_behaviour(
                lambda: metrics.average_precision_score(y, s)),
            "balanced_accuracy_score": single_class_behaviour(
                lambda: metrics.balanced_accuracy_score(y, s > 0)),
            "compute_eer": single_class_behaviour(lambda: asv.compute_eer(bona, spoof)),
            "compute_actDCF": single_class_behaviour(
                lambda: asv.compute_actDCF(bona, spoof, 0.05, 1, 10)),
            "calculate_CLLR": single_class_behaviour(lambda: asv.calculate_CLLR(bona, spoof)),
        }

    doc = {
        "generator": "tests/reference/make_binary_reference.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "convention": "label true = fake; higher score = more likely fake",
        "cases": records,
        "one_class": one_class,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{len(records)} cases -> {out_path} ({os.path.getsize(out_path)} bytes)")


if __name__ == "__main__":
    main()
