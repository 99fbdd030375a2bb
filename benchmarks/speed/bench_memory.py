"""Resident memory over many fits in one process, as GridSearchCV runs them (issue 23).

    python -m benchmarks.speed.bench_memory [--fits 50] [--out FILE]

Each case runs in a fresh subprocess: ``--fits`` times clone, fit, predict_proba, drop
and ``gc.collect()``, on 200 synthetic 64 px X-rays (``make_synthetic_xrays``, seed 0),
with Keras functions traced as outside the tests. It records the RSS after every fit and
reports the slope of a least-squares line through fits 5 to N (MiB per fit; the first
fits load libraries). Cases:

- ``scratch``: ``ScratchCNNClassifier("optimized", epochs=1)``;
- ``inception``: ``InceptionTransferClassifier(weights=None, input_size=75)``, bottleneck,
  1 epoch;
- ``pipeline``: the default recipe (``recommended_classifier()``), 1 epoch;
- ``scratch, traces kept``: ``scratch`` with ``release_traced_gradients``
  replaced by a no-op, i.e. the behaviour before the fix, side by side.

It also counts TensorFlow's "triggered tf.function retracing" warnings. Target: at most
1 MiB per fit for every case but the last.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]
ROOT = BENCHMARKS.parent  # the children run here, to import benchmarks._common

CHILD = r"""
import gc, io, json, logging, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, psutil
from sklearn.base import clone
from benchmarks._common import keep_traced_gradients
from skxray import InceptionTransferClassifier, ScratchCNNClassifier, recommended_classifier
from skxray.datasets import make_synthetic_xrays

case, fits = sys.argv[1], int(sys.argv[2])
if case == "scratch-kept":
    keep_traced_gradients()
log = io.StringIO()
logging.getLogger("tensorflow").addHandler(logging.StreamHandler(log))
data = make_synthetic_xrays(200, 64, random_state=0)
X, y = data.images, data.target
if case.startswith("scratch"):
    base = ScratchCNNClassifier("optimized", epochs=1, random_state=0)
elif case == "inception":
    X = np.repeat(X, 3, axis=-1)
    base = InceptionTransferClassifier(weights=None, input_size=75, head_units=8, epochs=1,
                                       random_state=0)
else:
    base = recommended_classifier(n_seeds=1).set_params(classifier__epochs=1)
process, rss = psutil.Process(), []
for _ in range(fits):
    model = clone(base).fit(X, y)
    model.predict_proba(X)
    del model
    gc.collect()
    rss.append(process.memory_info().rss / 2**20)
slope = float(np.polyfit(np.arange(4, fits), rss[4:], 1)[0])
print(json.dumps({"case": case, "fits": fits, "rss_mib": [round(r, 1) for r in rss],
                  "mib_per_fit": round(slope, 2),
                  "retracing_warnings": log.getvalue().count("triggered tf.function retracing")}))
"""

CASES = {
    "scratch": "ScratchCNNClassifier('optimized', epochs=1)",
    "inception": "InceptionTransferClassifier(weights=None, input_size=75), bottleneck",
    "pipeline": "recommended_classifier(), 1 epoch",
    "scratch-kept": "scratch, traces kept (before the fix)",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=50)
    parser.add_argument("--kept-fits", type=int, default=20, help="fits of the 'before' case")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument(
        "--out", default=str(BENCHMARKS / "results" / "bench_memory" / "bench_memory.json")
    )
    args = parser.parse_args()
    rows = []
    for case in args.cases:
        fits = args.kept_fits if case == "scratch-kept" else args.fits
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, case, str(fits)], capture_output=True,
                              text=True, check=True, cwd=ROOT)  # fmt: skip
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["seconds"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        print(f"{CASES[case]:<72} {row['mib_per_fit']:>6.2f} MiB/fit  RSS "
              f"{row['rss_mib'][0]:.0f} -> {row['rss_mib'][-1]:.0f} MiB over {fits} fits, "
              f"{row['retracing_warnings']} retracing warnings", flush=True)  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "command": "python -m benchmarks.speed.bench_memory"}  # fmt: skip
    out.write_text(json.dumps({**meta, "rows": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
