"""Times the Python reference metrics on a score file, for `scripts/bench-eval`.

Usage: python eval_reference.py SCORES.csv ASVSPOOF5_EVALUATION_PACKAGE_DIR

Reads `id,label,fake_probability` (label 1 = fake), then times
- scikit-learn: roc_auc_score, average_precision_score, roc_curve + DeepfakeBench's EER rule,
  accuracy and balanced accuracy at 0.5;
- the ASVspoof 5 evaluation package (imported from the directory given, not copied):
  compute_eer, compute_mindcf, compute_actDCF, calculate_CLLR, on bona fide LLR = -logit(p).
Prints one JSON object with the seconds of each step and the values.
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn import metrics

path, package_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, package_dir)
import calculate_modules as asv  # noqa: E402  (the official package, from its own checkout)

times = {}
values = {}
t0 = time.perf_counter()
df = pd.read_csv(path)
y = df["label"].to_numpy()
p = df["fake_probability"].to_numpy()
times["read_csv_pandas"] = time.perf_counter() - t0

t = time.perf_counter()
values["auc"] = metrics.roc_auc_score(y, p)
values["ap"] = metrics.average_precision_score(y, p)
fpr, tpr, _ = metrics.roc_curve(y, p)
values["eer_deepfakebench"] = fpr[np.nanargmin(np.abs((1 - tpr) - fpr))]
values["acc"] = float(((p > 0.5).astype(int) == y).mean())
values["balanced_acc"] = metrics.balanced_accuracy_score(y, (p > 0.5).astype(int))
times["sklearn_metrics"] = time.perf_counter() - t

eps = np.finfo(float).eps
q = np.clip(p, np.finfo(float).tiny, 1 - eps / 2)
llr_bona = -(np.log(q) - np.log1p(-q))
bona, spoof = llr_bona[y == 0], llr_bona[y == 1]
t = time.perf_counter()
eer, frr, far, thr, _ = asv.compute_eer(bona, spoof)
values["eer_asvspoof"] = float(eer)
t_mid = time.perf_counter()
values["min_dcf"] = float(asv.compute_mindcf(frr, far, thr, 0.05, 1, 10)[0])
times["asvspoof5_mindcf_loop"] = time.perf_counter() - t_mid
values["act_dcf"] = float(asv.compute_actDCF(bona, spoof, 0.05, 1, 10)[0])
values["cllr"] = float(asv.calculate_CLLR(bona, spoof))
times["asvspoof5_metrics"] = time.perf_counter() - t
times["total"] = time.perf_counter() - t0
print(json.dumps({"seconds": times, "values": {k: float(v) for k, v in values.items()}}))
