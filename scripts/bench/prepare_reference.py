"""Times DeepfakeBench's preprocessing steps (preprocessing/preprocess.py, fixed_num_frames mode)
on a folder of videos, for comparison with `fakescope prepare`.

Steps per video, as DeepfakeBench runs them: OpenCV reads every frame; on each of the N frames
numpy's linspace picks, dlib's HOG detector runs on the whole frame (upsampled once), the largest
face is aligned (skimage similarity onto the ArcFace template, cv2.warpAffine to 256x256, margin
1.3), the detector runs again on the crop, and the crop is written as PNG and landmarks as .npy.
Videos run on a thread pool of os.cpu_count() workers, as in DeepfakeBench (with one detector
per video rather than one shared).

One step is left out: dlib's 81-point landmark predictor (shape_predictor_81_face_landmarks.dat
is not available offline here). Its five points are replaced by fixed points inside the face
box, so the alignment does the same work on other coordinates. The predictor takes a few
milliseconds per call, so the time printed is a lower bound on DeepfakeBench's.

    python prepare_reference.py VIDEO_DIR OUT_DIR [N]

Needs dlib (the dlib-bin wheel), opencv-python-headless, numpy and scikit-image.
"""

import concurrent.futures
import glob
import os
import sys
import time
from pathlib import Path

import cv2
import dlib
import numpy as np
from skimage import transform as trans

TEMPLATE = np.array(
    [[30.2946, 51.6963], [65.5318, 51.5014], [48.0252, 71.7366], [33.5493, 92.3655], [62.7299, 92.2041]],
    dtype=np.float32,
)


def destination(res=256, scale=1.3):
    dst = TEMPLATE.copy()
    dst[:, 0] += 8.0
    dst[:, 0] = dst[:, 0] * res / 112
    dst[:, 1] = dst[:, 1] * res / 112
    margin = res * (scale - 1) / 2.0
    dst += margin
    dst *= res / (res + 2 * margin)
    return dst


def box_points(face):
    """Five points at fixed places in the box, standing in for the landmark predictor."""
    x, y, w, h = face.left(), face.top(), face.width(), face.height()
    rel = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]], dtype=np.float32)
    return rel * [w, h] + [x, y]


def video(path, out, n):
    # One detector per video: sharing one across threads, as DeepfakeBench does, crashes the
    # dlib-bin wheel (dlib 20).
    detector = dlib.get_frontal_face_detector()
    cap = cv2.VideoCapture(str(path))
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = set(np.linspace(0, count - 1, n, endpoint=True, dtype=int).tolist())
    done = 0
    dst = destination()
    for index in range(count):
        ok, frame = cap.read()
        if not ok:
            break
        if index not in wanted:
            continue
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        faces = detector(rgb, 1)
        if not len(faces):
            continue
        face = max(faces, key=lambda r: r.width() * r.height())
        tform = trans.SimilarityTransform()
        tform.estimate(box_points(face), dst)
        crop = cv2.warpAffine(rgb, tform.params[0:2, :], (256, 256))
        crop = cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)
        detector(crop, 1)
        frames = out / "frames" / path.stem
        frames.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(frames / f"{index:03d}.png"), crop)
        marks = out / "landmarks" / path.stem
        marks.mkdir(parents=True, exist_ok=True)
        np.save(str(marks / f"{index:03d}.npy"), box_points(face))
        done += 1
    cap.release()
    return done


def main():
    videos = sorted(Path(p) for p in glob.glob(os.path.join(sys.argv[1], "**/*.mp4"), recursive=True))
    out = Path(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        crops = sum(pool.map(lambda p: video(p, out, n), videos))
    seconds = time.monotonic() - start
    print(f"{len(videos)} videos, {crops} crops in {seconds:.1f} s = {crops / seconds:.2f} frames/s")


if __name__ == "__main__":
    main()
