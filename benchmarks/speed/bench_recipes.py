"""Fit time and peak memory of every recipe of ``RECIPES`` on all 5216 train images.

    python -m benchmarks.speed.bench_recipes [--recipes NAME,NAME] [--out FILE]

Each recipe is fitted as a user would fit it, ``recommended_classifier(name,
paths=True).fit(paths, y)`` on the public train split, in a fresh Python process of its
own, one after another (never two at once): the wall time of ``fit`` (decoding included)
and the process's peak resident memory (``ru_maxrss``: TensorFlow, the decoded images and
the fit). The budget of issue 21 is 30 min and 6 GiB on 2 CPU cores. The ``"inception"``
recipe uses the stand-in Inception-V3 weights of ``../shared/weights`` (built on demand).

Results are merged into ``--out`` (by default ``results/bench_recipes/recipes.json``), one
entry per recipe with its date, so a rerun of one recipe keeps the others; ``recipes.csv``
beside it is the table of the "Recommended recipe" docs page.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks._common import RESULTS, ROOT, SHARED, WEIGHTS, machine


def _one(name):
    """In the child process: fit the recipe, print one JSON line."""
    from skxray import load_image_folder, recommended_classifier

    data = load_image_folder(SHARED / "data" / "chest_xray" / "train")
    model = recommended_classifier(name, paths=True, weights=WEIGHTS)
    start = time.perf_counter()
    model.fit(data.paths, data.target)
    fit_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(json.dumps({"n_images": len(data.paths), "fit_s": round(fit_s, 1),
                      "peak_rss_gib": round(peak, 2)}))  # fmt: skip


def _ensure_weights():
    if not Path(WEIGHTS).exists():
        builder = SHARED / "weights" / "build_standin.py"
        subprocess.run([sys.executable, str(builder), WEIGHTS], check=True)


def main():
    from skxray import RECIPES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default="", help="comma-separated names (default: all)")
    parser.add_argument("--out", default=str(RESULTS / "bench_recipes" / "recipes.json"))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return _one(args.one)
    names = args.recipes.split(",") if args.recipes else list(RECIPES)  # in the order given
    unknown = sorted(set(names) - set(RECIPES))
    if unknown:
        parser.error(f"unknown recipes {unknown}; choose from {sorted(RECIPES)}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(out.read_text()) if out.exists() else {}
    for name in names:
        if RECIPES[name]["model"] != "cnn":
            _ensure_weights()
        print(f"{name} ...", flush=True)
        child = subprocess.run(
            [sys.executable, "-m", __spec__.name, "--one", name],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if child.returncode:
            sys.exit(f"{name} failed:\n{child.stderr[-3000:]}")
        result = json.loads(child.stdout.strip().splitlines()[-1])
        result.update(
            date=time.strftime("%Y-%m-%d"),
            machine=machine(),
            command="python -m benchmarks.speed.bench_recipes --recipes " + name,
        )
        saved[name] = result
        out.write_text(json.dumps(saved, indent=1) + "\n")
        print(f"{name}: fit {result['fit_s'] / 60:.1f} min, peak {result['peak_rss_gib']} GiB")
        with open(out.with_suffix(".csv"), "w", newline="") as f:  # the docs' table
            rows = [["recipe", "fit on 5216 images (min)", "peak memory (GiB)", "date"]]
            rows += [[key, f"{saved[key]['fit_s'] / 60:.1f}", f"{saved[key]['peak_rss_gib']:.2f}",
                      saved[key]["date"]] for key in RECIPES if key in saved]  # fmt: skip
            csv.writer(f).writerows(rows)


if __name__ == "__main__":
    main()
