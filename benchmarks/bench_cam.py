"""Heatmap cost vs a plain predict_proba, on the same batch, measured side by side.

    python benchmarks/bench_cam.py [--n 64] [--size 128] [--repeat 7]

Fits ScratchCNNClassifier("optimized") for one epoch on the bundled sample, then
times ``predict_proba(X)`` and ``cam_explain(X, method=...)`` on one batch of n
images, interleaved, after a warm-up of each. Prints the best and median times.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from skxray import ScratchCNNClassifier, cam_explain
from skxray.datasets import load_sample_xrays


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    data = load_sample_xrays(image_size=args.size)
    clf = ScratchCNNClassifier("optimized", epochs=1, batch_size=64, random_state=0)
    clf.fit(data.images, data.target)
    X = data.images[: args.n]
    jobs = {
        "predict_proba": lambda: clf.predict_proba(X),
        "gradcam": lambda: cam_explain(clf, X, batch_size=args.n),
        "gradcam++": lambda: cam_explain(clf, X, method="gradcam++", batch_size=args.n),
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
    print(
        f"{args.n} images of {args.size} px, ScratchCNNClassifier('optimized'), "
        f"{args.repeat} interleaved runs"
    )
    for name, values in times.items():
        print(
            f"{name:<14} best {1e3 * min(values):7.1f} ms  median {1e3 * np.median(values):7.1f} "
            f"ms  ratio to predict_proba (median) {np.median(values) / base:5.2f}x"
        )


if __name__ == "__main__":
    main()
