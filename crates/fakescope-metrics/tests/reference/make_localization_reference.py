"""Reference AP/AR for tests/localization_parity.rs, computed by the AV-Deepfake1M evaluator.

Usage (the evaluator's compiled extension, from the installed `avdeepfake1m` 0.0.4 wheel):

    python make_localization_reference.py \
        /path/to/site-packages/avdeepfake1m/_evaluation.cpython-311-x86_64-linux-gnu.so

It writes localization_{av_deepfake1m,lav_df,single_count}.json next to this script: each holds
seeded synthetic metadata and predictions, the parameters, and what `ap_ar_1d` returned for them.
The extension is loaded on its own because `import avdeepfake1m` also imports its video loader
(torchaudio), which this computation does not need.

The synthetic sets stress what decides the numbers: equal scores within and across videos,
proposals whose IoU with a segment is exactly a threshold (it must not count: IoU must be
strictly greater), duplicated proposals, proposal lists out of score order (AR keeps the first n
in file order), real videos with proposals, videos with more proposals than the largest AR count,
and videos whose proposal list is empty. Some proposals sit on a threshold only to the last f32
bit: with fps 1, ends exactly halfway between two f32 values (so reading the JSON number to f64
must be exact before rounding to f32); with fps 25, fractional frame numbers whose division by
25 must be done in f32, as the evaluator does. The single-count set exists because ndarray sums
the recalls of a lone AR count in another order; its count is chosen so that the order shows.

Empty lists need care: the evaluator's JSON reader panics on `[]`, so it cannot score them
directly. fakescope counts the segments of such a video as missed, in AP and in AR. The evaluator
is given an input on which its own code computes exactly that: the video is left out, and its
segments are appended, shifted far beyond every proposal, to the segments of another video that
has proposals. They then add to the number of segments (AP's recall denominator) and to AR's
misses, match nothing, and change nothing else (not the ranking, not any other match). The
fixture keeps the original data; only the evaluator's temporary input is rewritten.
"""

import importlib.util
import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
AR_IOUS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
FAR_AWAY = 100000.0  # seconds; beyond every proposal of the synthetic sets


def load_evaluator(path):
    spec = importlib.util.spec_from_file_location("avdeepfake1m._evaluation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_video(rng, index, n_segments, n_proposals, fps, sort_scores):
    """One video: segments in seconds (multiples of 1/25 s), proposals in units of 1/fps s."""
    duration = rng.randint(200, 600) / 25
    segments = []
    t = rng.randint(0, 25) / 25
    for _ in range(n_segments):
        start = t + rng.randint(0, 50) / 25
        end = start + rng.choice([rng.randint(1, 60) / 25, 2.0, 4.0, 20.0, 10.0])
        segments.append([start, end])
        t = end
    # Some segments in whole seconds, so proposals can hit IoU 0.5, 0.75, 0.9, 0.95 exactly.
    if segments and rng.random() < 0.5:
        base = float(rng.choice([0, 1, 2, 3, 37, 64, 100]))
        length = rng.choice([2.0, 4.0, 10.0, 20.0])
        segments[0] = [base, base + length]
        segments.sort(key=lambda s: s[0])
    scores = [k / 16 for k in range(17)]
    proposals = []
    for _ in range(n_proposals):
        kind = rng.random()
        if segments and kind < 0.3:
            s, e = rng.choice(segments)
            length = e - s
            # exact-threshold IoUs on whole-second segments: shrink the end to t × length
            shrink = rng.choice([1.0, 0.5, 0.75, 0.9, 0.95, 0.55, 0.85])
            if length == round(length) and (length * shrink) == round(length * shrink):
                start, end = s, s + length * shrink
            else:
                start, end = s, e
        elif segments and kind < 0.7:
            s, e = rng.choice(segments)
            start = max(0.0, s + rng.randint(-12, 12) / 25)
            end = max(start, e + rng.randint(-12, 12) / 25)
        elif proposals and kind < 0.78:
            _, start, end = rng.choice(proposals)  # a duplicate span, maybe the same score
            proposals.append([rng.choice(scores), start, end])
            continue
        else:
            start = rng.randint(0, int(duration * 25)) / 25
            end = start + rng.randint(0, 80) / 25
        score = rng.choice(scores) if rng.random() < 0.7 else round(rng.random(), 6)
        start, end = start * fps, end * fps
        if fps != 1.0 and rng.random() < 0.4:  # fractional frame numbers, as from a regressor
            start = start + round(rng.random(), 4)
            end = max(start, end + round(rng.random(), 4) + 0.5)
        proposals.append([score, start, end])
    if sort_scores:
        proposals.sort(key=lambda p: -p[0])
    return f"video_{index:04d}.mp4", segments, proposals


def make_set(rng, n_videos, fps):
    metadata, predictions = [], {}
    for index in range(n_videos):
        n_segments = rng.choice([0, 0, 1, 1, 1, 2, 2, 3, 4, 5])
        roll = rng.random()
        if roll < 0.06:
            n_proposals = 0
        elif roll < 0.12:
            n_proposals = rng.randint(90, 120)
        else:
            n_proposals = rng.randint(1, 35)
        file, segments, proposals = make_video(
            rng, index, n_segments, n_proposals, fps, sort_scores=rng.random() < 0.8
        )
        whole = [seg for seg in segments if seg[0] == int(seg[0]) and seg[1] == int(seg[1])]
        if proposals and whole:
            if fps == 1.0:
                edge = midpoint_proposal(rng, whole[0])
            else:
                edge = edge_proposal(rng, whole[0], fps)
            if edge:
                proposals.insert(rng.choice([0, len(proposals)]), edge)
        metadata.append((file, segments))
        predictions[file] = proposals
    return metadata, predictions


def iou_inside(segment_start, segment_end):
    """IoU, in f32, of a segment with a proposal that starts where it does, as a function of
    the proposal's end (f32)."""
    s, e = np.float32(segment_start), np.float32(segment_end)
    return lambda end: (min(end, e) - s) / (max(end, e) - s)


def naive_parse(text):
    """A decimal read as fast JSON parsers do by default: its digits as one integer, rounded
    to f64, then one division by a power of ten. Off by one ulp for many 17-digit numbers."""
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    shift = len(fraction) - int(exponent or 0)
    digits = int(whole + fraction)
    return digits / 10.0**shift if shift >= 0 else digits * 10.0**-shift


def midpoint_proposal(rng, segment):
    """A proposal inside `segment` whose end, in seconds, lies exactly halfway between two
    adjacent f32 values, one on each side of a threshold. The evaluator parses it to f64 and
    rounds that to f32 (half to even); a parser one f64 ulp off can land on the other side.
    Thresholds are tried until the naive parse does land there, so that the fixture tells
    the two apart."""
    f32 = np.float32
    iou = iou_inside(*segment)
    candidate = None
    for threshold in rng.sample(AR_IOUS, len(AR_IOUS)):
        t = f32(threshold)
        a = f32(segment[0] + (segment[1] - segment[0]) * threshold)
        for _ in range(64):
            b = np.nextafter(a, f32(np.inf))
            if (iou(a) > t) != (iou(b) > t):
                break
            a = b if iou(b) <= t else np.nextafter(a, f32(-np.inf))
        else:
            continue
        middle = (float(a) + float(b)) / 2  # exact in f64
        candidate = [rng.choice([k / 16 for k in range(17)]), segment[0], middle]
        if f32(naive_parse(repr(middle))) != f32(middle):
            break
    return candidate


def edge_proposal(rng, segment, fps):
    """A proposal inside `segment` whose IoU with it is above a threshold or not depending on
    whether its end, a fractional frame number, is divided by fps in f32 (as the evaluator)
    or in f64 and then rounded. IoU is computed here from its definition, in f32."""
    f32 = np.float32
    threshold = rng.choice(AR_IOUS)
    t, iou = f32(threshold), iou_inside(*segment)
    target = (segment[0] + (segment[1] - segment[0]) * threshold) * fps
    for k in range(1, 4000):
        for end_frames in (round(target + k * 1e-7, 7), round(target - k * 1e-7, 7)):
            in_f32 = f32(end_frames) / f32(fps)
            in_f64 = f32(end_frames / fps)
            if (iou(in_f32) > t) != (iou(in_f64) > t):
                return [rng.choice([k / 16 for k in range(17)]), segment[0] * fps, end_frames]
    return None


def evaluator_input(metadata, predictions, value_key):
    """The equivalent input the evaluator can read: empty proposal lists folded away."""
    rows, host = [], None
    orphans = []
    for file, segments in metadata:
        if predictions[file]:
            rows.append({"file": file, value_key: [list(s) for s in segments]})
            host = host if host is not None else len(rows) - 1
        else:
            orphans.extend(segments)
    rows[host][value_key].extend([s + FAR_AWAY, e + FAR_AWAY] for s, e in orphans)
    preds = {file: props for file, props in predictions.items() if props}
    return rows, preds


def sum_order_matters(evaluator, metadata, predictions, n, ious):
    """Whether AR@n differs when it is computed alone (eight-lane sum) or beside another count."""
    rows, preds = evaluator_input(metadata, predictions, "fake_segments")
    with tempfile.TemporaryDirectory() as tmp:
        meta_path, pred_path = Path(tmp, "metadata.json"), Path(tmp, "predictions.json")
        meta_path.write_text(json.dumps(rows))
        pred_path.write_text(json.dumps(preds))
        args = (str(pred_path), str(meta_path), "file", "fake_segments", 1.0)
        alone = evaluator.ar_1d(*args, [n], ious)[n]
        beside = evaluator.ar_1d(*args, [n, 1000], ious)[n]
    return alone != beside


def reference(evaluator, name, metadata, predictions, value_key, params, note):
    rows, preds = evaluator_input(metadata, predictions, value_key)
    with tempfile.TemporaryDirectory() as tmp:
        meta_path, pred_path = Path(tmp, "metadata.json"), Path(tmp, "predictions.json")
        meta_path.write_text(json.dumps(rows))
        pred_path.write_text(json.dumps(preds))
        out = evaluator.ap_ar_1d(
            str(pred_path), str(meta_path), "file", value_key, params["fps"],
            params["ap_iou_thresholds"], params["ar_proposal_counts"], params["ar_iou_thresholds"],
        )
    # Dictionary keys are the thresholds as f32; values come in the order of the parameters.
    ap = list(out["ap"].values())
    ar = [out["ar"][n] for n in params["ar_proposal_counts"]]
    assert len(ap) == len(params["ap_iou_thresholds"])
    # The challenge's single number, as examples/batfd/evaluate.py computes it.
    score = 0.5 * sum(ap) / len(ap) + 0.5 * sum(ar) / len(ar)
    fixture = {
        "note": note,
        "value_key": value_key,
        "params": params,
        "metadata": [{"file": f, value_key: s} for f, s in metadata],
        "predictions": predictions,
        "expected": {
            "ap": ap,
            "ar": ar,
            "mean_ap": sum(ap) / len(ap),
            "mean_ar": sum(ar) / len(ar),
            "score": score,
        },
    }
    path = HERE / f"localization_{name}.json"
    path.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"{path.name}: {path.stat().st_size} bytes, ap={ap}, ar={ar}")


def main():
    evaluator = load_evaluator(sys.argv[1])
    av1m = {
        "ap_iou_thresholds": [0.5, 0.75, 0.9, 0.95],
        "ar_proposal_counts": [50, 30, 20, 10, 5],
        "ar_iou_thresholds": AR_IOUS,
        "fps": 1.0,
    }
    metadata, predictions = make_set(random.Random(1), 260, av1m["fps"])
    reference(evaluator, "av_deepfake1m", metadata, predictions, "fake_segments", av1m,
              "AV-Deepfake1M parameters; proposals in seconds")

    lavdf = {
        "ap_iou_thresholds": [0.5, 0.75, 0.95],
        "ar_proposal_counts": [100, 50, 20, 10],
        "ar_iou_thresholds": AR_IOUS,
        "fps": 25.0,
    }
    metadata, predictions = make_set(random.Random(2), 240, lavdf["fps"])
    reference(evaluator, "lav_df", metadata, predictions, "fake_periods", lavdf,
              "LAV-DF parameters; proposals in frames at 25 fps, fake_periods in seconds")

    # One AR count: upstream then averages recall with ndarray's eight-lane sum, not in order.
    # The count is chosen so that the two orders give different f32 sums on this set.
    single = {
        "ap_iou_thresholds": [0.3, 0.5, 0.7],
        "ar_proposal_counts": None,
        "ar_iou_thresholds": [0.3, 0.35, 0.4, 0.45] + AR_IOUS + [0.97],
        "fps": 1.0,
    }
    for seed in range(3, 100):
        metadata, predictions = make_set(random.Random(seed), 120, single["fps"])
        counts = [n for n in range(1, 121) if sum_order_matters(
            evaluator, metadata, predictions, n, single["ar_iou_thresholds"])]
        if counts:
            single["ar_proposal_counts"] = counts[:1]
            break
    reference(evaluator, "single_count", metadata, predictions, "fake_segments", single,
              "custom parameters: a single AR count, fifteen AR thresholds")


if __name__ == "__main__":
    main()
