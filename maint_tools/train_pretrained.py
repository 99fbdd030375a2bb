"""Rebuild the models that ship with skxray (issue 22), from the public train split.

    python -m maint_tools.train_pretrained [--check]

For each shipped model, ``recommended_classifier(paths=True)`` (the default recipe, random_state 0)
is fitted on all 5216 images of ``chest_xray/train`` (Kermany et al. 2018, CC BY 4.0) and
saved with :func:`skxray.save` into ``skxray/persistence/pretrained/``, with the recipe, the
commit and the training data recorded in the file (``provenance``) and in
``registry.json`` (file, SHA-256, size, fit time). ``--check`` fits each model a second time
in this process and reports the largest difference of the two fits' probabilities on the
bundled sample (max |dp|); results go to
``benchmarks/results/train_pretrained/train_pretrained.json``. Data: ``$SKXRAY_SHARED`` or
``../shared`` beside the checkout (as for the benchmarks).
"""

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

import skxray
from skxray import load_image_folder, recommended_classifier, save
from skxray.datasets import load_sample_xrays
from skxray.io._labels import fit_labels
from skxray.models._recipe import DEFAULT_RECIPE, RECIPES
from skxray.persistence._pretrained import PRETRAINED_DIR

ROOT = Path(__file__).resolve().parents[1]  # the checkout
SHARED = Path(os.environ.get("SKXRAY_SHARED", ROOT.parent / "shared"))
MODELS = {
    "pneumonia": dict(
        target="folder",
        description="NORMAL vs PNEUMONIA: the default recipe, random_state 0.",
    ),
    "pneumonia-subtype": dict(
        target="subtype",
        description=(
            "NORMAL, BACTERIA, VIRUS: the default recipe with target='subtype', random_state 0."
        ),
    ),
}
TRAINED_ON = (
    "the 5216 images of the public train split of Kermany, Zhang and Goldbaum (2018), "
    "Labeled Optical Coherence Tomography (OCT) and Chest X-Ray Images for Classification, "
    "Mendeley Data V2, doi:10.17632/rscbjbr9sj.2, CC BY 4.0: paediatric antero-posterior "
    "chest X-rays of one hospital (Guangzhou Women and Children's Medical Center)"
)


def commit():
    """The commit the models are built from; ``-dirty`` when the checkout has changes."""
    done = subprocess.run(["git", "describe", "--always", "--dirty", "--exclude", "*"],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    return done.stdout.strip() or "unknown"


def machine():
    """This machine in words, CPU model first: fit times differ by CPU kind (3x here)."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{model} ({platform.machine()}), {os.cpu_count()} CPU cores, no GPU"


def fit(target):
    data = load_image_folder(SHARED / "data" / "chest_xray" / "train", target=target)
    model = recommended_classifier(paths=True, random_state=0)
    start = time.perf_counter()
    model.fit(data.paths, fit_labels(data.target, data.target_names))  # 3 classes: names
    return model, data, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fit twice, report max |dp|")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train_pretrained"))
    args = parser.parse_args()
    built_from = commit()  # before any model file is written: they are tracked files
    sample = load_sample_xrays(load_images=False).paths
    registry, results = {"models": {}}, {}
    for name, spec in MODELS.items():
        model, data, seconds = fit(spec["target"])
        path = PRETRAINED_DIR / f"{name}.skxray"
        provenance = {
            "name": name,
            "recipe": DEFAULT_RECIPE,
            "recipe_description": RECIPES[DEFAULT_RECIPE]["description"],
            "random_state": 0,
            "target": spec["target"],
            "commit": built_from,
            "trained_on": TRAINED_ON,
            "n_train": len(data.paths),
            "skxray": skxray.__version__,
            "keras_backend": keras.backend.backend(),
        }
        names = list(data.target_names) if len(data.target_names) == 2 else None  # classes_
        save(model, path, target_names=names, training_paths=data.paths, provenance=provenance)
        blob = path.read_bytes()
        registry["models"][name] = {
            "file": path.name,
            "sha256": hashlib.sha256(blob).hexdigest(),
            "size_bytes": len(blob),
            "classes": [str(c) for c in model.classes_] if names is None else names,
            "recipe": DEFAULT_RECIPE,
            "commit": provenance["commit"],
            "trained_on": TRAINED_ON,
            "n_train": len(data.paths),
            "fit_seconds": round(seconds, 1),
            "description": spec["description"],
        }
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
        row = {"fit_seconds": round(seconds, 1), "size_bytes": len(blob),
               "peak_rss_gib_so_far": round(peak, 2)}  # fmt: skip
        if args.check:
            again, _, seconds2 = fit(spec["target"])
            delta = np.abs(again.predict_proba(sample) - model.predict_proba(sample)).max()
            row.update(refit_seconds=round(seconds2, 1), max_abs_dp=float(delta))
        results[name] = row
        print(name, row, flush=True)
    (PRETRAINED_DIR / "registry.json").write_text(json.dumps(registry, indent=1) + "\n")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "command": " ".join(["python -m maint_tools.train_pretrained", *sys.argv[1:]]),
    }
    (out / "train_pretrained.json").write_text(json.dumps({**meta, "models": results}, indent=1))


if __name__ == "__main__":
    main()
