"""Which recipe changes survive a scanner-like shift: grouped CV, clean and shifted validation.

    python -m benchmarks.studies.recipe_shift [--n 1200] [--folds 5] [--out FILE]

The public test split is known to differ from train (models over-call pneumonia on
its normal images), and it is held out. This script asks which changes to the Inception
bottleneck recipe hold up when the *validation* images of each patient-grouped fold are
made to look as if they came from another machine:

* ``darker, low contrast``: ``0.1 + 0.6 * x ** 1.4``
* ``brighter (gamma 0.6)``: ``x ** 0.6``
* ``blur + noise``: Gaussian blur (sigma 1.2 px at 150 px) plus N(0, 0.03) noise

Training images are never shifted. Variants: balanced class weights (reference), + label
smoothing, + offline intensity augmentation (one brightness/contrast-jittered copy of each
training image, drawn with :class:`skxray.XrayAugmenter`), + histogram equalisation of
every image (train and validation), + equalisation and one blurred/noisy copy of each
training image (random sigma and noise, a family that contains the "blur + noise" shift,
so its shifted scores are optimistic), + sigmoid calibration, + 3-seed mean, and input
size 128 / 224 (``--equalized-sizes`` adds equalised runs at other sizes). The feature
cache makes each distinct image go through the base once.

Prints a Markdown row per variant as it finishes (mean over folds; "shifted" = mean over
the three shifts) and writes every fold and shift score to ``--out`` (by default
``benchmarks/results/recipe_shift/recipe_shift.json``).
"""

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import brier_score_loss

from benchmarks._common import INCEPTION, RESULTS, load_train, print_markdown, shift_rows
from benchmarks._protocol import SHIFTS, SeedEnsemble, grouped_folds
from skxray import InceptionTransferClassifier, XrayAugmenter, binary_scores


def blur_noise_copy(X, seed=0):
    """One copy of X with a random blur (sigma 0.3-2 px at 150 px) and noise (sd 0-0.05) each."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(X)
    for i, im in enumerate(X):
        sigma = rng.uniform(0.3, 2.0) * X.shape[1] / 150
        blurred = cv2.GaussianBlur(im[..., 0], (0, 0), sigma)[..., None]
        out[i] = np.clip(blurred + rng.normal(0, rng.uniform(0, 0.05), im.shape), 0, 1)
    return out


def equalize(X):
    """Per-image histogram equalisation (cv2), float [0, 1] in and out."""
    u8 = np.round(np.clip(X, 0, 1) * 255).astype(np.uint8)
    out = np.stack([cv2.equalizeHist(im[..., 0]) for im in u8])[..., None]
    return out.astype(np.float32) / 255


def recipe(size, **params):
    settings = {**INCEPTION, "input_size": size, "class_weight": "balanced"}
    return InceptionTransferClassifier("bottleneck", **{**settings, **params})


def variants(size):
    intensity = XrayAugmenter(
        rotation_range=0,
        width_shift_range=0,
        height_shift_range=0,
        zoom_range=0,
        brightness_range=0.2,
        contrast_range=0.4,
    )
    # name: (make model, train-time transform of X_train -> (X, y multiplier), eval transform)
    same = None
    return {
        "balanced class weights (reference)": (lambda: recipe(size), same, same),
        "+ label smoothing 0.1": (lambda: recipe(size, label_smoothing=0.1), same, same),
        "+ intensity augmentation (1 offline copy)": (
            lambda: recipe(size),
            lambda X: np.concatenate([X, intensity.augment(X, random_state=0)]),
            same,
        ),
        "+ histogram equalisation (train and test)": (lambda: recipe(size), equalize, equalize),
        "+ histogram equalisation + blur/noise augmentation (1 offline copy)": (
            lambda: recipe(size),
            lambda X: equalize(np.concatenate([X, blur_noise_copy(X)])),
            equalize,
        ),
        "+ sigmoid calibration (inner 3-fold)": (
            lambda: CalibratedClassifierCV(recipe(size), method="sigmoid", cv=3),
            same,
            same,
        ),
        "+ mean of 3 seeds": (
            lambda: SeedEnsemble(lambda **kw: recipe(size, **kw), seeds=(0, 1, 2)),
            same,
            same,
        ),
    }


def score(model, X, y):
    proba = model.predict_proba(X)[:, 1]
    s = binary_scores(y, proba)
    return {
        "f1": s["f1"],
        "roc_auc": s["roc_auc"],
        "sensitivity": s["sensitivity"],
        "specificity": s["specificity"],
        "brier": brier_score_loss(y, proba),
    }


def evaluate(name, make, train_tf, eval_tf, X, y, folds, shifted):
    record = {"variant": name, "folds": []}
    for train, test in folds:
        Xtr, ytr = X[train], y[train]
        if train_tf is not None:
            Xtr = train_tf(Xtr)
            ytr = np.tile(ytr, len(Xtr) // len(ytr))
        start = time.perf_counter()
        model = make().fit(Xtr, ytr)
        fit_time = time.perf_counter() - start
        tf = eval_tf or (lambda a: a)
        fold = {"fit_time": fit_time, "clean": score(model, tf(X[test]), y[test])}
        for shift, Xs in shifted.items():
            fold[shift] = score(model, tf(Xs[test]), y[test])
        record["folds"].append(fold)
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1200)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sizes", default="128,224", help="extra input sizes to try")
    parser.add_argument(
        "--equalized-sizes", default="", help="extra input sizes to try with equalisation"
    )
    parser.add_argument("--skip-150", action="store_true", help="only the extra sizes")
    parser.add_argument("--cnn", action="store_true", help="also the vanilla CNN at 96 px")
    parser.add_argument("--only", default="", help="run the variants whose name contains this")
    parser.add_argument("--out", default=str(RESULTS / "recipe_shift" / "recipe_shift.json"))
    args = parser.parse_args()
    size = 150
    X, y, groups = load_train(args.n, size)
    folds = grouped_folds(X, y, groups, args.folds)
    print(f"{len(X)} images ({y.mean():.0%} PNEUMONIA), {args.folds}-fold grouped CV, stand-in")
    records = []
    runs = [] if args.skip_150 else [(name, *v, size) for name, v in variants(size).items()]
    for extra in [int(s) for s in args.sizes.split(",") if s]:
        name = f"input size {extra} (instead of 150)"
        runs.append((name, lambda e=extra: recipe(e), None, None, extra))
    for extra in [int(s) for s in args.equalized_sizes.split(",") if s]:
        name = f"+ histogram equalisation, input size {extra}"
        runs.append((name, lambda e=extra: recipe(e), equalize, equalize, extra))
    if args.cnn:  # Table 5's vanilla CNN settings, for comparison with a from-scratch model
        from skxray import ScratchCNNClassifier

        def cnn():
            return ScratchCNNClassifier("vanilla", epochs=5, batch_size=32, random_state=0)

        runs.append(("vanilla CNN, 96 px, 5 epochs (no class weights)", cnn, None, None, 96))
        runs.append(("vanilla CNN + histogram equalisation", cnn, equalize, equalize, 96))
    shifted = None
    for name, make, train_tf, eval_tf, load_size in [r for r in runs if args.only in r[0]]:
        if load_size != X.shape[1]:  # a real resolution change: decode the files at that size
            X, shifted = load_train(args.n, load_size)[0], None
        if shifted is None:  # once per image size
            shifted = {k: np.clip(f(X), 0, 1).astype(np.float32) for k, f in SHIFTS.items()}
        records.append(evaluate(name, make, train_tf, eval_tf, X, y, folds, shifted))
        print_markdown(*shift_rows(records[-1:]))
        Path(args.out).write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
