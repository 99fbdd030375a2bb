"""InceptionTransferClassifier on real X-rays: the feature cache, and grouped CV of both modes.

    python -m benchmarks.speed.bench_transfer cache [--n 300] [--size 150]
    python -m benchmarks.speed.bench_transfer cv [--n 1000] [--size 150] [--folds 5]

Uses the stand-in pretrained weights built by ``../shared/weights/build_standin.py``
(``$SKXRAY_STANDIN_WEIGHTS`` or its default path) and images from
``../shared/data/chest_xray/train``, a random subset of ``--n`` images (seed 0).

``cache``: GridSearchCV over 6 head configurations x 3 folds (scoring f1), once with
the feature cache and once without, in the same run; prints times and both score
vectors. ``cv``: StratifiedGroupKFold by patient; for ``bottleneck`` and ``fine_tune``
prints F1, ROC-AUC, sensitivity, specificity and fit time, mean +- std over folds.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.model_selection import GridSearchCV

from benchmarks._common import INCEPTION_HEAD, WEIGHTS, load_train
from benchmarks._protocol import grouped_folds
from skxray import FEATURE_CACHE, InceptionTransferClassifier, binary_scores

HEAD = {**INCEPTION_HEAD, "class_weight": "balanced"}


def bench_cache(args):
    X, y, groups = load_train(args.n, args.size)
    cv = grouped_folds(X, y, groups, 3)
    grid = {"head_units": [64, 256], "dropout": [0.0, 0.3, 0.5]}
    results = {}
    for cache in (True, False):
        FEATURE_CACHE.clear()
        clf = InceptionTransferClassifier(
            weights=WEIGHTS,
            input_size=args.size,
            random_state=0,
            feature_cache=cache,
            **{**HEAD, "epochs": 5},
        )
        start = time.perf_counter()
        search = GridSearchCV(clf, grid, cv=cv, scoring="f1", refit=False, error_score="raise").fit(
            X, y
        )
        results[cache] = (time.perf_counter() - start, search.cv_results_["mean_test_score"])
        print(
            f"cache={cache!s:<5} {results[cache][0]:7.1f} s; images through the base: "
            f"{FEATURE_CACHE.n_computed if cache else 'all, every fit'}; mean f1 per "
            f"candidate: {np.round(results[cache][1], 4).tolist()}",
            flush=True,
        )
    speedup = results[False][0] / results[True][0]
    same = np.allclose(results[True][1], results[False][1], atol=1e-6)
    print(
        f"{len(X)} images of {args.size} px, 6 candidates x 3 folds: speed-up {speedup:.1f}x, "
        f"identical scores: {same}"
    )


def bench_cv(args):
    X, y, groups = load_train(args.n, args.size)
    splits = grouped_folds(X, y, groups, args.folds)
    modes = {
        "bottleneck": dict(mode="bottleneck"),
        "fine_tune": dict(
            mode="fine_tune", n_trainable_blocks=2, fine_tune_epochs=3, fine_tune_learning_rate=1e-5
        ),
    }
    print(
        f"{len(X)} images ({np.bincount(y).tolist()} NORMAL/PNEUMONIA) of {args.size} px, "
        f"{args.folds}-fold StratifiedGroupKFold by patient, stand-in weights",
        flush=True,
    )
    for name, params in modes.items():
        rows = []
        for train, test in splits:
            clf = InceptionTransferClassifier(
                weights=WEIGHTS, input_size=args.size, random_state=0, **HEAD, **params
            )
            start = time.perf_counter()
            clf.fit(X[train], y[train])
            fit_time = time.perf_counter() - start
            scores = binary_scores(y[test], clf.predict_proba(X[test])[:, 1])
            rows.append(
                [
                    scores["f1"],
                    scores["roc_auc"],
                    scores["sensitivity"],
                    scores["specificity"],
                    fit_time,
                ]
            )
            print(f"  {name} fold: " + ", ".join(f"{v:.3f}" for v in rows[-1]), flush=True)
        rows = np.array(rows)
        cells = [
            f"{m:.3f} ± {s:.3f}" for m, s in zip(rows.mean(0)[:4], rows.std(0)[:4], strict=True)
        ]
        print(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {rows[:, 4].mean():.0f} ± {rows[:, 4].std():.0f} s |",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["cache", "cv"])
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    args.n = args.n or (300 if args.part == "cache" else 1000)
    if not os.path.isfile(WEIGHTS):
        raise SystemExit(
            f"stand-in weights not found at {WEIGHTS}: run "
            "python ../shared/weights/build_standin.py"
        )
    (bench_cache if args.part == "cache" else bench_cv)(args)


if __name__ == "__main__":
    main()
