#!/usr/bin/env python3
"""Reference values for tests/sasv_parity.rs from the official ASVspoof 5 evaluation package.

Usage:
    git -C <asvspoof5 repo> archive HEAD evaluation-package | tar -x -C /tmp/asv5
    python make_sasv_reference.py /tmp/asv5/evaluation-package [out_dir]

The package is imported from the given path (nothing of it is copied here). Each case is a
seeded random Track 2 score set: classes 0 = target, 1 = non-target, 2 = spoof, and SASV, CM
and ASV scores rounded to a few decimals so that ties occur. Written: sasv_<case>.json.
The committed fixtures come from asvspoof-challenge/asvspoof5 at commit fe23d30.
"""
import json
import os
import subprocess
import sys

import numpy as np

PKG = os.path.abspath(sys.argv[1])
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, PKG)

import a_dcf  # noqa: E402
import calculate_metrics  # noqa: E402
import calculate_modules as cm  # noqa: E402

CLASS_NAMES = np.array(["target", "nontarget", "spoof"])


def package_commit():
    try:
        return subprocess.run(["git", "-C", PKG, "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:
        return "exported archive (see the usage line above)"


def make_case(seed, n_tar, n_non, n_spoof, decimals, chance=False):
    rng = np.random.default_rng(seed)
    cls = np.concatenate([np.zeros(n_tar, int), np.ones(n_non, int), np.full(n_spoof, 2)])
    rng.shuffle(cls)
    n = cls.size
    if chance:
        sasv, cmv, asv = (rng.normal(0, 1, n) for _ in range(3))
    else:
        # means per class: target, non-target, spoof
        sasv = rng.normal(np.array([2.0, 0.0, 0.6])[cls], np.array([1.0, 1.0, 1.3])[cls])
        cmv = rng.normal(np.array([1.5, 1.6, -1.0])[cls], 1.0)
        asv = rng.normal(np.array([2.0, -1.0, 1.0])[cls], np.array([1.0, 1.0, 1.5])[cls])
    return cls, np.round(sasv, decimals), np.round(cmv, decimals), np.round(asv, decimals)


def reference(cls, sasv, cmv, asv, full_search):
    asv_keys = CLASS_NAMES[cls]
    cm_keys = np.where(cls == 2, "spoof", "bonafide")
    tar, non, spf = (cls == 0), (cls == 1), (cls == 2)

    # The package's Track 2 entry point, with the defaults it hard-codes.
    adcf, min_tdcf, teer = calculate_metrics.calculate_aDCF_tdcf_tEER(
        cmv, asv, sasv, cm_keys, asv_keys, output_file=None, printout=False)

    # Same defaults as calculate_aDCF_tdcf_tEER, to read the thresholds it does not return.
    p_spoof = 0.05
    model = {"Pspoof": p_spoof, "Ptar": (1 - p_spoof) * 0.99, "Pnon": (1 - p_spoof) * 0.01,
             "Cmiss": 1, "Cfa": 10, "Cfa_spoof": 10}
    cost_adcf = a_dcf.CostModel(Ptrg=model["Ptar"], Pnontrg=model["Pnon"], Pspf=p_spoof,
                                Cmiss=1, Cfa_asv=10, Cfa_cm=10)
    adcf_res = a_dcf._calculate_a_dcf(sasv[tar], sasv[non], sasv[spf], cost_adcf, False)
    assert adcf_res["min_a_dcf"] == adcf

    bona_cm, spoof_cm = cmv[cm_keys == "bonafide"], cmv[cm_keys == "spoof"]
    organizers = (0.01881016557566423, 0.01880141010575793, 0.4607082907604729)
    curve, thr = cm.compute_tDCF(bona_cm, spoof_cm, *organizers, model, False)
    assert curve[np.argmin(curve)] == min_tdcf

    # ASV rates at the ASV's own EER threshold: the package's branch for given ASV scores.
    _, _, _, _, asv_thr = cm.compute_eer(asv[tar], asv[non])
    pfa_non, pmiss, pmiss_spf, pfa_spf = cm.obtain_asv_error_rates(
        asv[tar], asv[non], asv[spf], asv_thr)
    curve_eer, thr_eer = cm.compute_tDCF(bona_cm, spoof_cm, pfa_non, pmiss, pfa_spf, model, False)
    # calculate_aDCF_tdcf_tEER itself takes element 2 of obtain_asv_error_rates, the spoof
    # *miss* rate, as the spoof false-alarm rate; record what it reports as well.
    _, min_tdcf_pkg_branch, _ = calculate_metrics.calculate_aDCF_tdcf_tEER(
        cmv, asv, sasv, cm_keys, asv_keys, output_file=None, printout=False,
        asv_scores_org=asv, asv_keys_org=asv_keys)
    curve_pkg, _ = cm.compute_tDCF(bona_cm, spoof_cm, pfa_non, pmiss, pmiss_spf, model, False)
    assert curve_pkg[np.argmin(curve_pkg)] == min_tdcf_pkg_branch

    expected = {
        "a_dcf": float(adcf),
        "a_dcf_threshold": float(adcf_res["min_a_dcf_thresh"]),
        "t_dcf": float(min_tdcf),
        "t_dcf_threshold": float(thr[np.argmin(curve)]),
        "t_eer_percent": float(teer),
        "asv_eer_threshold": float(asv_thr),
        "asv_eer_p_miss": float(pmiss),
        "asv_eer_p_fa_nontarget": float(pfa_non),
        "asv_eer_p_fa_spoof": float(pfa_spf),
        "t_dcf_at_asv_eer": float(curve_eer[np.argmin(curve_eer)]),
        "t_dcf_at_asv_eer_threshold": float(thr_eer[np.argmin(curve_eer)]),
        "t_dcf_package_asv_branch": float(min_tdcf_pkg_branch),
    }
    pm_asv, pfa_n, pfa_s, tau_asv = cm.compute_Pmiss_Pfa_Pspoof_curves(asv[tar], asv[non], asv[spf])
    pm_cm, pfa_cm, tau_cm = cm.compute_det_curve(np.concatenate([cmv[tar], cmv[non]]), cmv[spf])
    if tau_asv.size < 3000:
        # compute_teer_accelerated runs the plain search here: read its thresholds too.
        value, (ia, ic) = cm.compute_teer(pm_cm, pfa_cm, tau_cm, pm_asv, pfa_n, pfa_s, tau_asv,
                                          flag_return_index=True)
        assert value == teer
        expected["t_eer_asv_threshold"] = float(tau_asv[ia])
        expected["t_eer_cm_threshold"] = float(tau_cm[ic])
    elif full_search:
        full = cm.compute_teer(pm_cm, pfa_cm, tau_cm, pm_asv, pfa_n, pfa_s, tau_asv)
        print(f"  accelerated t-EER {teer!r} vs full search {full!r}")
    return expected


CASES = [
    # name, seed, n_target, n_nontarget, n_spoof, decimals, chance
    ("ties", 1, 60, 50, 70, 1, False),
    ("continuous", 2, 150, 120, 180, 6, False),
    ("chance", 3, 40, 40, 40, 2, True),
    ("few_nontargets", 4, 90, 7, 60, 1, False),
    ("window", 5, 1200, 900, 1100, 2, False),
    ("coarse", 6, 2400, 1800, 2300, 2, False),
]


def main():
    commit = package_commit()
    for name, seed, n_tar, n_non, n_spoof, decimals, chance in CASES:
        cls, sasv, cmv, asv = make_case(seed, n_tar, n_non, n_spoof, decimals, chance)
        print(name, cls.size, "trials")
        expected = reference(cls, sasv, cmv, asv, full_search=(name == "coarse"))
        doc = {
            "generator": "make_sasv_reference.py",
            "package": f"ASVspoof 5 evaluation-package, {commit}",
            "case": name,
            "class": cls.tolist(),
            "sasv": sasv.tolist(),
            "cm": cmv.tolist(),
            "asv": asv.tolist(),
            "expected": expected,
        }
        path = os.path.join(OUT, f"sasv_{name}.json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        print(" ", path, os.path.getsize(path), "bytes", json.dumps(expected))


if __name__ == "__main__":
    main()
