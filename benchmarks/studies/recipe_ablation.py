"""What helps the Inception bottleneck recipe: class weights, label smoothing, threshold, seeds.

    python -m benchmarks.studies.recipe_ablation [--n 0] [--size 150] [--folds 5]

All 5216 real train images (or a random ``--n``), 5-fold StratifiedGroupKFold by patient,
stand-in weights. Every variant reuses the in-process feature cache, so the frozen base
runs once per image. Prints one Markdown row per variant: F1, ROC-AUC, sensitivity,
specificity (mean ± std over folds) and fit time per fold.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.model_selection import TunedThresholdClassifierCV

from benchmarks._common import INCEPTION, load_train
from benchmarks._protocol import SeedEnsemble, grouped_folds
from skxray import InceptionTransferClassifier, binary_scores


def base(size, **params):
    return InceptionTransferClassifier("bottleneck", **{**INCEPTION, "input_size": size, **params})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=0)
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    X, y, groups = load_train(args.n, args.size)
    folds = grouped_folds(X, y, groups, args.folds)
    size = args.size
    variants = {
        "baseline (no class weights)": lambda: base(size),
        "+ balanced class weights": lambda: base(size, class_weight="balanced"),
        "+ balanced + label smoothing 0.1": lambda: base(
            size, class_weight="balanced", label_smoothing=0.1
        ),
        "+ balanced + threshold tuned (balanced accuracy, inner 3-fold)": lambda: (
            TunedThresholdClassifierCV(
                base(size, class_weight="balanced"), scoring="balanced_accuracy", cv=3
            )
        ),
        "+ balanced, mean of 3 seeds": lambda: SeedEnsemble(
            lambda **kw: base(size, class_weight="balanced", **kw), seeds=(0, 1, 2)
        ),
    }
    print(f"{len(X)} images, {size} px, {args.folds}-fold grouped CV, stand-in weights")
    print("| variant | F1 | ROC-AUC | sensitivity | specificity | fit time per fold |")
    print("|---|---|---|---|---|---|")
    for name, make in variants.items():
        rows = []
        for train, test in folds:
            start = time.perf_counter()
            model = make().fit(X[train], y[train])
            fit_time = time.perf_counter() - start
            proba = model.predict_proba(X[test])[:, 1]
            threshold = getattr(model, "best_threshold_", 0.5)
            s = binary_scores(y[test], proba, threshold=threshold)
            rows.append([s["f1"], s["roc_auc"], s["sensitivity"], s["specificity"], fit_time])
        rows = np.array(rows)
        cells = [
            f"{m:.3f} ± {d:.3f}" for m, d in zip(rows.mean(0)[:4], rows.std(0)[:4], strict=True)
        ]
        print(
            f"| {name} | " + " | ".join(cells) + f" | {np.median(rows[:, 4]):.0f} s |", flush=True
        )


if __name__ == "__main__":
    main()
