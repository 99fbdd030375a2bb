"""One grid search, locally and on a Dask LocalCluster of 1 and 2 workers, side by side.

    python -m benchmarks.speed.bench_dask [--n 400] [--size 64] [--epochs 3] [--out FILE]

Results: ``--out`` (JSON, by default ``benchmarks/results/bench_dask/bench_dask.json``), the
table as ``bench_dask.csv`` beside it (included by docs/scaling.rst) and in
benchmarks/README.md between the ``dask`` markers.

The search: ``GridSearchCV`` over a small ``ScratchCNNClassifier`` (vanilla, conv filters
(8, 16), ``random_state=0``), 4 candidates (``dense_units`` x learning rate) x 2 folds, scored
by ROC-AUC and log loss, ``refit=False`` (a refit runs in the calling process anyway), on
``--n`` random train images (seed 0; the 200 bundled sample images when the real data is
absent) at ``--size`` px. Three runs, in this order, in one process:

* ``local``: ``n_jobs=1``, TensorFlow's default threads (one per core);
* ``1 worker``: ``LocalCluster(n_workers=1, threads_per_worker=1)``, TensorFlow limited to
  cores / workers threads by :func:`skxray.limit_worker_threads`; the whole search is one
  task on the worker, because joblib runs a search in the calling process when the cluster
  has a single thread;
* ``2 workers``: ``LocalCluster(n_workers=2, threads_per_worker=1)``, threads as above,
  under ``joblib.parallel_backend("dask")``: one fit per worker at a time;
* ``2 workers, local threads``: the same with as many TensorFlow threads per worker as the
  local run (oversubscribing the cores), which the bit-for-bit guarantee needs.

Each run reports the cluster start-up (processes, imports, thread limits) and the search's
wall time apart, and whether its test scores equal the local run's bit for bit (with the
largest difference).
"""

import argparse
import csv
import json
import os
import platform
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from benchmarks._common import RESULTS, SHARED, load_train, write_between_markers

SCORES = ("roc_auc", "neg_log_loss")


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _data(n, size):
    if (SHARED / "data" / "chest_xray" / "train").is_dir():
        X, y, _ = load_train(n, size)
        return X, y, f"{n} random train images (seed 0)"
    from skxray.datasets import load_sample_xrays

    data = load_sample_xrays(image_size=size)
    return data.images, data.target, "the 200 bundled sample images"


def _search(epochs):
    from skxray import ScratchCNNClassifier

    model = ScratchCNNClassifier(
        "vanilla", conv_filters=(8, 16), dense_units=32, epochs=epochs, random_state=0
    )
    grid = {"dense_units": [16, 32], "optimizer__learning_rate": [1e-3, 3e-3]}
    return GridSearchCV(model, grid, cv=2, scoring=list(SCORES), refit=False)


def _test_scores(search):
    keys = [f"split{i}_test_{s}" for s in SCORES for i in range(2)]
    return np.concatenate([search.cv_results_[key] for key in keys])


def _import_skxray():
    from skxray import ScratchCNNClassifier  # noqa: F401


def _on_cluster(n_workers, threads, search, X, y):
    from distributed import Client, LocalCluster

    from skxray import limit_worker_threads

    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        limit_worker_threads(client, n_threads=threads)
        client.run(_import_skxray)  # part of start-up, not of the search
        startup = time.perf_counter() - start
        start = time.perf_counter()
        if n_workers == 1:
            fitted = client.submit(clone(search).fit, X, y, pure=False).result()
        else:
            with joblib.parallel_backend("dask", client=client):
                fitted = clone(search).fit(X, y)
        seconds = time.perf_counter() - start
    return fitted, startup, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "bench_dask" / "bench_dask.json"))
    args = parser.parse_args()
    X, y, source = _data(args.n, args.size)
    search = _search(args.epochs)

    start = time.perf_counter()
    local = clone(search).fit(X, y)
    runs = [
        {
            "run": "local, n_jobs=1",
            "tf_threads": _cores(),
            "startup_s": 0.0,
            "search_s": time.perf_counter() - start,
        }
    ]
    expected = _test_scores(local)
    cases = [
        ("1 worker", 1, _cores()),
        ("2 workers", 2, max(1, _cores() // 2)),
        ("2 workers, TF threads as local (oversubscribed)", 2, _cores()),
    ]
    for name, n_workers, threads in cases:
        fitted, startup, seconds = _on_cluster(n_workers, threads, search, X, y)
        scores = _test_scores(fitted)
        runs.append(
            {
                "run": name,
                "tf_threads": threads,
                "startup_s": startup,
                "search_s": seconds,
                "scores_equal": bool(np.array_equal(scores, expected)),
                "max_score_difference": float(np.max(np.abs(scores - expected))),
                "same_best": fitted.cv_results_["rank_test_roc_auc"].tolist()
                == local.cv_results_["rank_test_roc_auc"].tolist(),
            }
        )
        print(runs[-1], flush=True)

    import dask
    import tensorflow as tf

    result = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, TensorFlow backend",
        "versions": {"tensorflow": tf.__version__, "dask": dask.__version__},
        "command": "python -m benchmarks.speed.bench_dask "
        f"--n {args.n} --size {args.size} --epochs {args.epochs}",
        "data": f"{source} at {args.size} px",
        "search": "4 candidates x 2 folds, ROC-AUC and log loss, refit=False",
        "mean_test_roc_auc": local.cv_results_["mean_test_roc_auc"].round(4).tolist(),
        "runs": runs,
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    local_s = runs[0]["search_s"]
    header = [
        "run",
        "TF threads per fit",
        "cluster start-up s",
        "search s",
        "vs local",
        "test scores equal to local",
    ]
    rows = []
    for run in runs:
        equal = run.get("scores_equal")
        cell = (
            "(reference)"
            if equal is None
            else "yes, bit for bit"
            if equal
            else f"no (max diff {run['max_score_difference']:.1e})"
        )
        rows.append(
            [
                run["run"],
                run["tf_threads"],
                f"{run['startup_s']:.1f}",
                f"{run['search_s']:.1f}",
                f"{local_s / run['search_s']:.2f}x",
                cell,
            ]
        )
    with open(Path(args.out).with_suffix(".csv"), "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    lines = [
        f"{result['date']}, {result['machine']}, TensorFlow {tf.__version__}, Dask "
        f"{dask.__version__}: `{result['command']}` ({result['data']}; {result['search']}).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows),
    ]
    write_between_markers("dask", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
