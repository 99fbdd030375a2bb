"""Why the batch-normalised candidates collapsed: Keras' moving averages against statistics
recomputed from the final weights (issue 21).

    python -m benchmarks.studies.bn_statistics [--n 2400] [--seeds 0,1]

``ScratchCNNClassifier("bn-cnn")`` is trained as round 2's candidates were (histogram
equalisation, 10 epochs, balanced class weights, ``XrayAugmenter()``) on the training part
of the first patient-grouped fold of a random subset of ``--n`` train images, with the
recomputation that ``fit`` now does switched off. Its held-out ROC-AUC, sensitivity and
specificity (threshold 0.5) are scored with Keras' moving averages, then again after
``recompute_batch_norm_statistics`` (what ``fit`` runs) on the training images:
same weights, only the normalisation statistics differ. Results:
``results/select_network/bn_statistics.json``.

The first measurement (2026-12-02, seed 0, ``bn_diagnosis.log`` beside it) was taken by
an ad-hoc script before the library recomputed the statistics, by the same procedure
with the momentum set by hand.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks._common import RESULTS, recompute_batch_norm_statistics, train_subset
from benchmarks._protocol import grouped_folds
from skxray import (
    HistogramEqualizer,
    ImageDirLoader,
    ScratchCNNClassifier,
    XrayAugmenter,
    binary_scores,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2400)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", default=str(RESULTS / "select_network" / "bn_statistics.json"))
    args = parser.parse_args()
    paths, y, groups = train_subset(args.n)
    X = HistogramEqualizer().fit_transform(ImageDirLoader(128, n_jobs=-1).transform(paths))
    train, test = grouped_folds(paths, y, groups, 3)[0]
    result = {"date": time.strftime("%Y-%m-%d"), "cpu_count": os.cpu_count(),
              "command": " ".join(["python -m benchmarks.studies.bn_statistics", *sys.argv[1:]]),
              "n_train": len(train), "n_test": len(test), "seeds": {}}  # fmt: skip
    for seed in map(int, args.seeds.split(",")):
        clf = ScratchCNNClassifier("bn-cnn", epochs=10, augmenter=XrayAugmenter(),
                                   class_weight="balanced", random_state=seed)  # fmt: skip
        clf._fit_stages = super(ScratchCNNClassifier, clf)._fit_stages  # Keras' averages only
        clf.fit(X[train], y[train])

        def scored(clf=clf):
            s = binary_scores(y[test], clf.predict_proba(X[test])[:, 1])
            return {k: round(s[k], 3) for k in ("roc_auc", "sensitivity", "specificity")}

        moving = scored()
        recompute_batch_norm_statistics(clf.model_, X[train], clf.batch_size)
        result["seeds"][seed] = {"keras_moving_averages": moving, "recomputed": scored()}
        print(seed, result["seeds"][seed], flush=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
