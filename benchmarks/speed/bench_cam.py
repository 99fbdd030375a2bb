"""Heatmap cost vs a plain predict_proba, on the same batch, measured side by side.

    python -m benchmarks.speed.bench_cam [--n 64] [--size 128] [--repeat 7]

For ScratchCNNClassifier("optimized") and InceptionTransferClassifier (random weights,
input_size 150, feature cache off so that predict_proba really runs the base), each
fitted for one epoch on the bundled sample: times ``predict_proba(X)`` and
``cam_explain(X, method=...)`` on one batch of n images, interleaved, after a warm-up
of each. Prints the best and median times.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from skxray import InceptionTransferClassifier, ScratchCNNClassifier, cam_explain
from skxray.datasets import load_sample_xrays


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    data = load_sample_xrays(image_size=args.size)
    X = data.images[: args.n]
    models = {
        "ScratchCNNClassifier('optimized')": ScratchCNNClassifier(
            "optimized", epochs=1, batch_size=64, random_state=0
        ),
        "InceptionTransferClassifier(input_size=150)": InceptionTransferClassifier(
            weights=None,
            input_size=150,
            head_units=256,
            epochs=1,
            batch_size=64,
            feature_cache=False,
            random_state=0,
        ),
    }
    print(f"{args.n} images of {args.size} px, {args.repeat} interleaved runs")
    for label, clf in models.items():
        clf.fit(data.images, data.target)
        jobs = {
            "predict_proba": lambda clf=clf: clf.predict_proba(X),
            "gradcam": lambda clf=clf: cam_explain(clf, X, batch_size=args.n),
            "gradcam++": lambda clf=clf: cam_explain(clf, X, method="gradcam++", batch_size=args.n),
        }
        times = {name: [] for name in jobs}
        for job in jobs.values():
            job()  # warm-up: tracing and graph building
        for _ in range(args.repeat):
            for name, job in jobs.items():
                start = time.perf_counter()
                job()
                times[name].append(time.perf_counter() - start)
        base = np.median(times["predict_proba"])
        print(label)
        for name, values in times.items():
            print(
                f"  {name:<14} best {1e3 * min(values):8.1f} ms  median "
                f"{1e3 * np.median(values):8.1f} ms  ratio to predict_proba (median) "
                f"{np.median(values) / base:5.2f}x"
            )


if __name__ == "__main__":
    main()
