"""Training from file paths: the decoded array in memory vs streamed batch by batch.

    python -m benchmarks.speed.bench_streaming [--repeat 1] [--epochs 2] [--out FILE]

Fits ``recommended_classifier(paths=True, n_seeds=1)`` (one network of the default:
ImageDirLoader at 128 px, HistogramEqualizer, the augmented optimized CNN) on the 5216
train images and on the same list 4 times (20864 paths), with ``imagedirloader__stream`` False (the
images decoded into one array, then equalised) and True (an ImageStream, decoded and
equalised batch by batch by 2 worker threads while the network trains). Each fit runs
in a fresh subprocess, which reports its peak RSS (``ru_maxrss``) and the wall time of
each epoch; the table gives the last epoch (the first includes graph tracing). Targets
(issue 14): streaming peak RSS <= 1.2x from 5k to 20k images, and time per epoch within
1.15x of in-memory.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]  # results/
ROOT = BENCHMARKS.parent  # the children run here, to import benchmarks._common

CHILD = r"""
import json, os, resource, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras, numpy as np
from benchmarks._common import train_subset
from skxray import recommended_classifier
copies, stream, epochs = int(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3])
paths, y, _ = train_subset()
paths, y = np.tile(paths, copies), np.tile(y, copies)

class EpochTimes(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter() - self.start)

times = []
clf = recommended_classifier(paths=True, n_seeds=1, random_state=0).set_params(
    imagedirloader__stream=stream, imagedirloader__n_jobs=2, classifier__epochs=epochs,
    classifier__callbacks=[EpochTimes()])
start = time.perf_counter()
clf.fit(paths, y)
total = time.perf_counter() - start
print(json.dumps({"n": len(paths), "stream": stream, "fit_s": total, "epoch_s": times,
                  "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
"""


def run(copies, stream, epochs):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(copies), str(int(stream)), str(epochs)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--out", default=str(BENCHMARKS / "results" / "bench_streaming" / "bench_streaming.json")
    )
    args = parser.parse_args()
    configs = [(copies, stream) for copies in (1, 4) for stream in (False, True)]
    runs = {config: [] for config in configs}
    for _ in range(args.repeat):
        for config in configs:  # interleaved
            runs[config].append(run(*config, args.epochs))
            print(runs[config][-1], flush=True)
    rows = []
    for (_, stream), results in runs.items():
        rows.append(
            {
                "n": results[0]["n"],
                "stream": stream,
                "epoch_s": statistics.median(r["epoch_s"][-1] for r in results),
                "fit_s": statistics.median(r["fit_s"] for r in results),
                "peak_rss_gib": statistics.median(r["peak_rss_gib"] for r in results),
            }
        )
    by = {(r["n"], r["stream"]): r for r in rows}
    small, large = sorted({r["n"] for r in rows})
    summary = {
        "stream_rss_ratio_20k_over_5k": by[large, True]["peak_rss_gib"]
        / by[small, True]["peak_rss_gib"],
        "memory_rss_ratio_20k_over_5k": by[large, False]["peak_rss_gib"]
        / by[small, False]["peak_rss_gib"],
        "stream_over_memory_epoch_time_5k": by[small, True]["epoch_s"]
        / by[small, False]["epoch_s"],
        "stream_over_memory_epoch_time_20k": by[large, True]["epoch_s"]
        / by[large, False]["epoch_s"],
    }
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, TensorFlow backend",
        "command": ("python -m benchmarks.speed.bench_streaming " + " ".join(sys.argv[1:])).strip(),
        "rows": rows,
        "summary": summary,
    }
    print("| images | stream | last epoch s | fit s | peak RSS GiB |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['n']} | {r['stream']} | {r['epoch_s']:.1f} | {r['fit_s']:.1f} | "
            f"{r['peak_rss_gib']:.2f} |"
        )
    print(json.dumps(summary, indent=1))
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
