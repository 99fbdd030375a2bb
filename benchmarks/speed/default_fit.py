"""The default recipe on all 5216 train images: fit time, peak memory, shortcut audit, heatmaps.

    python -m benchmarks.speed.default_fit [--preset NAME] [--out FILE]

1. Fits ``recommended_classifier(preset, paths=True)`` on every train image, in this process,
   and records the wall time and the peak resident memory (``ru_maxrss``): the budget of
   30 min and 6 GiB on 2 CPU cores.
2. Fits the previous default (histogram equalisation + vanilla CNN at 96 px, 5 epochs) the
   same way, for comparison.
3. Audits both (:func:`skxray.shortcut_audit`) on the 16 val images, as distributed (224 px)
   and decoded from the full-resolution originals, and on a constant grey image: heat on a
   featureless image can only come from the network's sense of position (padding), not
   from anything in the image.
4. Draws ``default_fit.png``: each model's mean Grad-CAM over the 16 full-resolution val
   images, over the same images with the border band blanked, and on the constant image.

No image used here is used to select anything. Results: ``--out`` (by default
``benchmarks/results/default_fit/default_fit.json``) and ``default_fit.png`` in
``benchmarks/results/default_fit/``.
"""

import argparse
import json
import os
import resource
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.pipeline import make_pipeline

from benchmarks._common import DEFAULT_RECIPE, RESULTS, SHARED, train_subset
from skxray import (
    HistogramEqualizer,
    ImageDirLoader,
    ScratchCNNClassifier,
    cam_explain,
    load_image_folder,
    recommended_classifier,
    region_masks,
    shortcut_audit,
)


def previous_default():
    cnn = ScratchCNNClassifier("vanilla", epochs=5, class_weight="balanced", random_state=0)
    return make_pipeline(ImageDirLoader(96), HistogramEqualizer(), cnn)


def audit_model(model, val_sets):
    out = {}
    for name, paths in val_sets.items():
        out[name] = shortcut_audit(model, paths).summary()
    size = model[0].image_size
    images = model[:-1].transform(val_sets["val (full resolution)"])
    constant = np.full((1, *images.shape[1:]), float(images.mean()), np.float32)
    maps = cam_explain(model.steps[-1][1], constant)
    masks = region_masks((size, size))
    total = maps.sum()
    out["constant image"] = {
        f"heat_ratio_{k}": float((maps * m).sum() / total / m.mean()) if total > 0 else None
        for k, m in masks.items()
    }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=DEFAULT_RECIPE)
    parser.add_argument("--out", default=str(RESULTS / "default_fit" / "default_fit.json"))
    args = parser.parse_args()
    paths, y, _ = train_subset(0)
    val_sets = {
        "val (224 px files)": load_image_folder(SHARED / "data" / "chest_xray" / "val").paths,
        "val (full resolution)": load_image_folder(
            SHARED / "data" / "chest_xray_fullres_val"
        ).paths,
    }
    result = {"date": time.strftime("%Y-%m-%d"), "cpu_count": os.cpu_count(), "n": len(y)}
    models = {}
    for name, make in [
        (f"{args.preset} (default)", lambda: recommended_classifier(args.preset, paths=True)),
        ("previous default (equalised vanilla CNN, 96 px)", previous_default),
    ]:
        model = make().set_params(imagedirloader__n_jobs=-1)
        start = time.perf_counter()
        model.fit(paths, y)
        fit_s = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
        audits = audit_model(model, val_sets)
        result[name] = {"fit_s": fit_s, "peak_rss_gib_so_far": rss, "audit": audits}
        print(f"{name}: fit {fit_s:.0f} s, peak RSS so far {rss:.2f} GiB", flush=True)
        for where, summary in audits.items():
            print(
                f"  {where}: "
                + ", ".join(f"{k} {v:.3f}" for k, v in summary.items() if v is not None)
            )
        models[name] = model
        Path(args.out).write_text(json.dumps(result, indent=1))
    plot(models, val_sets["val (full resolution)"])


def plot(models, paths):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(models), 3, figsize=(7.5, 2.7 * len(models)), layout="constrained")
    for row, (name, model) in zip(axes, models.items(), strict=True):
        images = model[:-1].transform(paths)
        final = model.steps[-1][1]
        band = region_masks(images.shape[1:3])["border"]
        blanked = images.copy()
        for im in blanked:
            im[band] = im[band].mean()
        constant = np.full((1, *images.shape[1:]), float(images.mean()), np.float32)
        panels = [
            ("16 val images", cam_explain(final, images).mean(0)),
            ("border band blanked", cam_explain(final, blanked).mean(0)),
            ("constant grey image", cam_explain(final, constant)[0]),
        ]
        for ax, (title, heat) in zip(row, panels, strict=True):
            im = ax.imshow(heat, cmap="jet", vmin=0, vmax=max(float(heat.max()), 1e-6))
            ax.set_title(title, fontsize=8)
            ax.axis("off")
        row[0].text(
            -0.08,
            0.5,
            name,
            rotation=90,
            va="center",
            ha="right",
            fontsize=7,
            transform=row[0].transAxes,
        )
        fig.colorbar(im, ax=row[-1], shrink=0.8, label="mean Grad-CAM")
    fig.savefig(RESULTS / "default_fit" / "default_fit.png", dpi=100)


if __name__ == "__main__":
    main()
