"""The earlier recipe study (until commit 0e8eb71): fit time, grouped CV, shifts, val split.

    python benchmarks/studies/recommended.py [--model cnn|inception] [--n 0] [--out FILE]

1. Fit time of the recipe (``recommended(model)`` below; until 0e8eb71 the
   ``model=`` argument of ``recommended_classifier``) on every train image (for Inception from
   an empty feature cache, and of its 3-seed ensemble afterwards): the ≤ 30 min target on
   2 CPU cores.
2. Patient-grouped 5-fold CV of the recipe and of variants (without class weights; CNN:
   without equalisation; Inception: the 3-seed ensemble), on clean validation folds and on
   the three scanner-like shifts of ``recipe_shift.py``.
3. The model fitted on all of train, scored on the official 16-image val split, both as
   distributed (224 px) and decoded from the full-resolution originals.

Inception uses the stand-in weights (``../shared/weights/build_standin.py``). Results go to
``benchmarks/results/recommended/recommended_<model>.json``.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common

import numpy as np
from _common import RESULTS, SHARED, WEIGHTS, load_train
from recipe_shift import SHIFTS, score
from recipe_tables import print_markdown, recommended_rows
from sklearn.ensemble import VotingClassifier
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from skxray import (
    FEATURE_CACHE,
    RECIPES,
    HistogramEqualizer,
    ImageDirLoader,
    ScratchCNNClassifier,
    load_image_folder,
    recommended_classifier,
)

# The "cnn" recipe studied here was skxray's default until commit 0e8eb71 and is no longer a
# preset (see select_recipe.py); "inception" is the preset of that name.
OLD_CNN = dict(preset="vanilla", optimizer="adam", epochs=5, batch_size=32, class_weight="balanced")
IMAGE_SIZES = {"cnn": 96, "inception": RECIPES["inception"]["image_size"]}  # OLD_CNN ran at 96 px


def recommended(model, n_seeds=1):
    if model == "inception":
        return recommended_classifier("inception", weights=WEIGHTS, n_seeds=n_seeds)
    members = [
        (f"seed{k}", ScratchCNNClassifier(random_state=k, **OLD_CNN)) for k in range(n_seeds)
    ]
    classifier = members[0][1] if n_seeds == 1 else VotingClassifier(members, voting="soft")
    return Pipeline([("histogramequalizer", HistogramEqualizer()), ("classifier", classifier)])


def variants(model):
    def recipe(**kw):
        return recommended(model, **kw)

    out = {
        f"recommended {model} (equalised, balanced)": recipe,
        "without class weights": lambda: recipe().set_params(classifier__class_weight=None),
    }
    if model == "cnn":
        out["without equalisation"] = lambda: recipe().set_params(histogramequalizer="passthrough")
    out["mean of 3 seeds"] = lambda: recipe(n_seeds=3)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cnn", choices=["cnn", "inception"])
    parser.add_argument("--n", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--only", default=None, help="CV of this variant only, added to an existing --out file"
    )
    args = parser.parse_args()
    args.out = args.out or str(RESULTS / "recommended" / f"recommended_{args.model}.json")
    size = IMAGE_SIZES[args.model]
    X, y, groups = load_train(args.n, size)
    out = {"n_images": len(X), "date": time.strftime("%Y-%m-%d"), "cpu_count": os.cpu_count()}
    if args.only:
        out = json.loads(Path(args.out).read_text())
        return cross_validate(args, X, y, groups, out)

    FEATURE_CACHE.clear()
    start = time.perf_counter()
    full = recommended(args.model).fit(X, y)
    out["full_fit_s"] = time.perf_counter() - start
    print(f"fit on {len(X)} images: {out['full_fit_s']:.0f} s", flush=True)
    if args.model == "inception":
        start = time.perf_counter()
        recommended(args.model, n_seeds=3).fit(X, y)
        out["full_fit_3_seeds_cached_s"] = time.perf_counter() - start
        print(f"3 seeds afterwards: {out['full_fit_3_seeds_cached_s']:.0f} s", flush=True)

    val = {}
    for name, root in [
        ("val (224 px files)", SHARED / "data" / "chest_xray" / "val"),
        ("val (full-resolution files)", SHARED / "data" / "chest_xray_fullres_val"),
    ]:
        if root.is_dir():
            data = load_image_folder(root)
            images = ImageDirLoader(size).transform(data.paths)
            val[name] = score(full, images, data.target)
            val[name]["n"] = len(images)
            print(name, {k: round(v, 3) for k, v in val[name].items()}, flush=True)
    out["val"] = val
    cross_validate(args, X, y, groups, out)


def cross_validate(args, X, y, groups, out):
    """Grouped CV of the variants (or ``args.only``) on clean and shifted folds, into out."""
    folds = list(StratifiedGroupKFold(args.folds, shuffle=True, random_state=0).split(X, y, groups))
    shifted = {k: np.clip(f(X), 0, 1).astype(np.float32) for k, f in SHIFTS.items()}
    out.setdefault("cv", {})
    for name, make in variants(args.model).items():
        if args.only and name != args.only:
            continue
        folds_out = []
        for train, test in folds:
            start = time.perf_counter()
            model = make().fit(X[train], y[train])
            fold = {"fit_time": time.perf_counter() - start}
            fold["clean"] = score(model, X[test], y[test])
            for shift, Xs in shifted.items():
                fold[shift] = score(model, Xs[test], y[test])
            folds_out.append(fold)
        out["cv"][name] = folds_out
        print_markdown(*recommended_rows({args.model: {"cv": {name: folds_out}}}))
        Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
