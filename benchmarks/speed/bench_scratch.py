"""ScratchCNNClassifier.fit vs the same Keras model with model.fit; RSS over repeated fits.

    python -m benchmarks.speed.bench_scratch [--n 1000] [--size 128] [--epochs 3] [--repeat 3]

Part 1 times, interleaved and side by side, on the same arrays with the same
epochs and batch size: (a) ``ScratchCNNClassifier("optimized").fit`` and (b)
building and compiling the identical functional model (same layers, optimizer,
loss and metrics) and calling ``model.fit`` directly. Both include model
construction. Part 2 fits a classifier 20 times in a row and prints the
process's resident memory after each fit.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import psutil

from skxray import ScratchCNNClassifier
from skxray.datasets import load_sample_xrays


def data(n, size):
    sample = load_sample_xrays(image_size=size)
    reps = int(np.ceil(n / len(sample.target)))
    order = np.random.default_rng(0).permutation(len(sample.target) * reps)
    X = np.concatenate([sample.images] * reps)[order][:n]
    y = np.concatenate([sample.target] * reps)[order][:n]
    return X, y


def fit_skxray(X, y, epochs, batch):
    start = time.perf_counter()
    clf = ScratchCNNClassifier("optimized", epochs=epochs, batch_size=batch, random_state=0)
    clf.fit(X, y)
    return time.perf_counter() - start, clf


def fit_keras(X, y, epochs, batch, template):
    start = time.perf_counter()
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = keras.Model.from_config(template.get_config())
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=[keras.metrics.Precision(), keras.metrics.Recall(), keras.metrics.AUC()],
    )
    model.fit(X, y.astype("float32"), epochs=epochs, batch_size=batch, verbose=0)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fits", type=int, default=20)
    args = parser.parse_args()
    X, y = data(args.n, args.size)
    print(f"{len(X)} images of {X.shape[1:]}, {args.epochs} epochs, batch {args.batch}")
    _, clf = fit_skxray(X[:64], y[:64], 1, args.batch)  # warm-up of both paths
    template = clf.model_
    fit_keras(X[:64], y[:64], 1, args.batch, template)
    times = {"skxray": [], "keras": []}
    for _ in range(args.repeat):
        times["skxray"].append(fit_skxray(X, y, args.epochs, args.batch)[0])
        times["keras"].append(fit_keras(X, y, args.epochs, args.batch, template))
    for name, values in times.items():
        print(
            f"{name:<7} fit: best {min(values):.2f} s, median {np.median(values):.2f} s "
            f"over {args.repeat}: {', '.join(f'{v:.2f}' for v in values)}"
        )
    overhead = min(times["skxray"]) / min(times["keras"]) - 1
    median = np.median(times["skxray"]) / np.median(times["keras"]) - 1
    print(f"skxray overhead: {100 * overhead:+.1f} % (best), {100 * median:+.1f} % (median)")

    process = psutil.Process()
    rss = []
    Xs, ys = X[:200], y[:200]
    for _ in range(args.fits):
        ScratchCNNClassifier("optimized", epochs=1, batch_size=args.batch, random_state=0).fit(
            Xs, ys
        )
        rss.append(process.memory_info().rss / 2**20)
    print(f"RSS after each of {args.fits} fits (MiB): {', '.join(f'{r:.0f}' for r in rss)}")
    half = args.fits // 2
    print(
        f"growth from fit 1 to {args.fits}: {rss[-1] - rss[0]:+.1f} MiB; from fit {half} to "
        f"{args.fits}: {rss[-1] - rss[half - 1]:+.1f} MiB "
        f"({(rss[-1] - rss[half - 1]) / (args.fits - half):+.2f} MiB/fit)"
    )


if __name__ == "__main__":
    main()
