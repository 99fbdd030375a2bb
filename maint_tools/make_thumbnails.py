"""Draw the gallery pictures of the two Inception examples, which the docs build cannot run.

    python maint_tools/make_thumbnails.py

Writes, at sphinx-gallery's thumbnail size (400 x 280 px):

* ``docs/_static/thumbnails/inception_bottleneck.png``: the time of each fold of the
  bottleneck model's patient-grouped 5-fold CV, read from
  ``benchmarks/results/table5/models/inception_bottleneck.json``
  (``benchmarks/studies/table5.py run``).
  The first fold computes the frozen base's features of every image; the later folds find
  them in the feature cache and train only the head.
* ``docs/_static/thumbnails/inception_fine_tuning.png``: which parts of Inception-V3 each
  stage of ``mode="fine_tune"`` trains (the head, then the head and the top
  ``n_trainable_blocks=2`` blocks), from skxray's own block count. A diagram, no
  measurement.

The examples name these files with ``# sphinx_gallery_thumbnail_path``.
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "_static" / "thumbnails"
SIZE = (4.0, 2.8)  # inches at 100 dpi: sphinx-gallery's 400 x 280 thumbnail
FROZEN, TRAINED = "#d0d0d0", "#d62728"


def bottleneck_fold_times():
    path = ROOT / "benchmarks" / "results" / "table5" / "models" / "inception_bottleneck.json"
    record = json.loads(path.read_text())
    times = [fold["fit_time"] for fold in record["folds"]]
    fig, ax = plt.subplots(figsize=SIZE, dpi=100, layout="constrained")
    colors = [TRAINED] + ["#1f77b4"] * (len(times) - 1)
    bars = ax.bar(range(1, len(times) + 1), times, color=colors)
    ax.bar_label(bars, labels=[f"{t:.0f} s" for t in times], fontsize=12)
    ax.set_title("Bottleneck CV: time per fold", fontsize=13)
    ax.text(1.5, times[0] * 0.75, "features\ncomputed", fontsize=13, color=TRAINED)
    ax.text(2.5, times[0] * 0.3, "features from\nthe cache", fontsize=13, color="#1f77b4")
    ax.set_ylim(0, times[0] * 1.15)
    ax.set_xticks(range(1, len(times) + 1))
    ax.tick_params(labelsize=11)
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    fig.savefig(OUT / "inception_bottleneck.png")
    plt.close(fig)


def fine_tuning_stages(n_trainable_blocks=2):
    from skxray.models._transfer import N_BLOCKS

    parts = ["stem"] + [f"mixed{i}" for i in range(N_BLOCKS)] + ["head"]
    fig, ax = plt.subplots(figsize=SIZE, dpi=100, layout="constrained")
    rows = {
        "stage 1: the head": {"head"},
        f"stage 2: head + top {n_trainable_blocks} blocks": {
            "head",
            *parts[-1 - n_trainable_blocks : -1],
        },
    }
    for row, (label, trained) in enumerate(rows.items()):
        y = 1.6 - 1.4 * row
        ax.text(0, y + 0.7, label, fontsize=13)
        for i, part in enumerate(parts):
            color = TRAINED if part in trained else FROZEN
            ax.add_patch(Rectangle((i, y), 0.85, 0.55, color=color))
        ax.text(0, y - 0.1, "stem", fontsize=9, va="top")
        ax.text(len(parts) - 0.15, y - 0.1, "head", fontsize=9, va="top", ha="right")
    ax.text(0, -0.55, "red: trained, grey: frozen", fontsize=12)
    ax.set_xlim(-0.2, len(parts))
    ax.set_ylim(-0.7, 2.7)
    ax.set_axis_off()
    ax.set_title("Fine-tuning Inception-V3", fontsize=13)
    fig.savefig(OUT / "inception_fine_tuning.png")
    plt.close(fig)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    bottleneck_fold_times()
    fine_tuning_stages()
    print(f"wrote {OUT / 'inception_bottleneck.png'} and {OUT / 'inception_fine_tuning.png'}")
