"""Reference for tests/input.rs: what the ASVspoof 5 evaluation package reads from
scores.tsv and key.tsv (its util.load_cm_scores_keys joins them by filename).

Usage: python make_reference.py PATH/TO/asvspoof5/evaluation-package
(e.g. a checkout of https://github.com/asvspoof-challenge/asvspoof5 at fe23d30).
Writes reference.json next to this script.
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, sys.argv[1])
import util  # noqa: E402  (the evaluation package's own module)

scores, keys = util.load_cm_scores_keys(
    os.path.join(here, "scores.tsv"), os.path.join(here, "key.tsv")
)
with open(os.path.join(here, "reference.json"), "w") as f:
    json.dump(
        {
            "source": "asvspoof5 evaluation-package util.load_cm_scores_keys (fe23d30)",
            "cm_scores": [float(s) for s in scores],
            "cm_keys": [str(k) for k in keys],
        },
        f,
        indent=1,
    )
