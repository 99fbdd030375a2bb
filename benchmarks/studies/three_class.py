"""Three classes (NORMAL, BACTERIA, VIRUS): patient-grouped 5-fold CV on the 5216 train images.

    python -m benchmarks.studies.three_class [--folds 5] [--epochs 10] [--out FILE]

Labels come from ``load_image_folder(train, target="subtype")``: the NORMAL folder, and the
subtype in each pneumonia file name. Each fold fits the default recipe
(``recommended_classifier()``: histogram equalisation, the augmented optimized CNN at 128 px,
balanced class weights, test-time translations) on the other folds and predicts its own
images; no patient is in two folds (``StratifiedGroupKFold``, shuffled, seed 0). The
out-of-fold probabilities are scored by :func:`skxray.evaluate`'s multiclass report (macro
and per-class F1, one-vs-rest ROC-AUC, the 3x3 confusion matrix; bootstrap intervals over
images). The pneumonia-vs-normal scores of the same model (P(bacteria) + P(virus)) are given
for comparison with the binary figures.

These are in-distribution figures: on this data set, grouped CV on train overestimated the
binary recipes' scores on the independent test split (F1 0.969 promised, 0.82-0.85 found).
Read them as an upper bound.

Results: ``--out`` (by default ``benchmarks/results/three_class/three_class.json``) and the
README's ``three-class`` table.
"""

import argparse
import json
import os
import platform
import resource
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.metrics import f1_score

from benchmarks._common import (
    RESULTS,
    SHARED,
    evaluate_multiclass_scores,
    members,
    write_between_markers,
)
from benchmarks._protocol import grouped_folds
from skxray import ImageDirLoader, binary_scores, load_image_folder, recommended_classifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default=str(RESULTS / "three_class" / "three_class.json"))
    args = parser.parse_args()

    data = load_image_folder(SHARED / "data" / "chest_xray" / "train", target="subtype")
    names = data.target_names
    start = time.perf_counter()
    images = ImageDirLoader(128, dtype="uint8", n_jobs=-1).transform(data.paths)
    decode_s = time.perf_counter() - start
    print(f"{len(images)} images, {np.bincount(data.target).tolist()} per class {names}")

    proba = np.zeros((len(images), len(names)))
    folds = []
    for k, (train, test) in enumerate(grouped_folds(images, data.target, data.groups, args.folds)):
        clf = recommended_classifier(random_state=0)
        for member in members(clf):
            member.set_params(epochs=args.epochs)
        tic = time.perf_counter()
        clf.fit(images[train], data.target[train])
        fit_s = time.perf_counter() - tic
        proba[test] = clf.predict_proba(images[test])
        predicted = proba[test].argmax(axis=1)
        fold = {
            "fold": k,
            "n_train": int(len(train)),
            "n_test": int(len(test)),
            "fit_s": round(fit_s, 1),
            "f1_macro": float(f1_score(data.target[test], predicted, average="macro")),
            "f1_per_class": f1_score(data.target[test], predicted, average=None).tolist(),
        }
        folds.append(fold)
        print(
            f"fold {k}: {len(test)} images, macro F1 {fold['f1_macro']:.3f}, per class "
            f"{np.round(fold['f1_per_class'], 3).tolist()}, fit {fit_s:.0f} s",
            flush=True,
        )

    report = evaluate_multiclass_scores(
        data.target, proba, n_bootstrap=1000, random_state=0, target_names=names
    )
    print(report)
    pneumonia = binary_scores((data.target > 0).astype(int), proba[:, 1:].sum(axis=1))
    result = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, TensorFlow backend",
        "command": "python -m benchmarks.studies.three_class "
        + " ".join(f"--{k} {v}" for k, v in (("folds", args.folds), ("epochs", args.epochs))),
        "recipe": "recommended_classifier() (default preset), 3 classes",
        "n_images": int(len(images)),
        "class_counts": dict(zip(names, np.bincount(data.target).tolist(), strict=True)),
        "decode_s": round(decode_s, 1),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "folds": folds,
        "out_of_fold": {
            "scores": report.scores,
            "ci95": report.ci,
            "per_class": report.per_class,
            "confusion_matrix": report.confusion_matrix.tolist(),
        },
        "pneumonia_vs_normal": {
            key: pneumonia[key]
            for key in ("f1", "sensitivity", "specificity", "roc_auc", "accuracy")
        },
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    write_between_markers("three-class", _readme_lines(result))
    print(f"wrote {args.out}")


def _readme_lines(result):
    oof = result["out_of_fold"]
    lines = [
        f"{result['date']}, {result['machine']}: `{result['command']}` "
        f"({result['n_images']} images, {result['class_counts']}).",
        "",
        "| out of fold | value | 95% CI |",
        "|---|---|---|",
    ]
    for key in ("f1", "roc_auc", "accuracy", "balanced_accuracy"):
        low, high = oof["ci95"][key]
        label = {"f1": "macro F1", "roc_auc": "macro one-vs-rest ROC-AUC"}.get(key, key)
        lines.append(f"| {label} | {oof['scores'][key]:.3f} | {low:.3f}-{high:.3f} |")
    for name, scores in oof["per_class"].items():
        lines.append(f"| F1 {name} | {scores['f1']:.3f} | |")
    folds = ", ".join(f"{fold['f1_macro']:.3f}" for fold in result["folds"])
    lines += [
        "",
        f"Macro F1 per fold: {folds}. Confusion matrix (rows true, columns predicted, "
        f"{' / '.join(oof['per_class'])}): {oof['confusion_matrix']}.",
    ]
    return lines


if __name__ == "__main__":
    main()
