"""
The recommended recipe, from folder to saved model (real data, not run in the docs build)
=========================================================================================

:func:`skxray.recommended_classifier` is a ``Pipeline`` of
:class:`skxray.HistogramEqualizer` and the mean probability of 3 seeds of the
optimized CNN at 128 px, trained with :class:`skxray.XrayAugmenter` and
balanced class weights. Rules written before the measurements chose it, in two
rounds, by how well the candidates hold up under geometric and exposure shifts,
across seeds, and in a shortcut audit (see "The recommended recipe"). With
``paths=True`` it reads image files itself.

This example needs the public dataset, so the docs build shows it without
running it. Run it with
``python examples/recommended_recipe.py /path/to/chest_xray``; the final fit's
time on 2 CPU cores is on "The recommended recipe" page, and the 5-fold
cross-validation takes about four times as long.

Its gallery picture is not from this script, which the docs build cannot run:
it is the top row of ``benchmarks/results/default_fit/default_fit.png``, drawn by
``benchmarks/speed/default_fit.py`` from this recipe fitted on all 5216 train images
(mean Grad-CAM over the 16 val images, with the border band blanked, and on a
constant grey image).
"""

# sphinx_gallery_thumbnail_path = "_static/thumbnails/recommended_recipe.png"
import sys

from sklearn.model_selection import StratifiedGroupKFold, cross_validate

import skxray
from skxray import evaluate, recommended_classifier, shortcut_audit
from skxray.datasets import load_chest_xray

root = sys.argv[1] if len(sys.argv) > 1 else "chest_xray"
train = load_chest_xray(root, split="train")
clf = recommended_classifier(paths=True)  # or a preset: recommended_classifier("inception", ...)

# %%
# Cross-validation grouped by patient: no patient is on both sides of a split.
cv = cross_validate(
    clf,
    train.paths,
    train.target,
    groups=train.groups,
    cv=StratifiedGroupKFold(5, shuffle=True, random_state=0),
    scoring=["f1", "roc_auc", "balanced_accuracy"],
    error_score="raise",
)
for name in ("test_f1", "test_roc_auc", "test_balanced_accuracy"):
    print(f"{name}: {cv[name].mean():.3f} ± {cv[name].std():.3f}")

# %%
# Fit on all of train and check on the official (tiny) val split.
clf.fit(train.paths, train.target)
val = load_chest_xray(root, split="val")
report = evaluate(clf, val.paths, val.target, random_state=0, target_names=val.target_names)
print(report)

# %%
# Does it read the lungs or the acquisition? Blank the border band, the corners and a
# central box of the same area, and see how far the predicted probability moves.
print(shortcut_audit(clf, val.paths))

# %%
# Save it with :func:`skxray.save`: one file that :func:`skxray.load` and the command line
# read without unpickling, with the class names and a fingerprint of the training files.
# Then, from a shell: ``skxray evaluate pneumonia_model.skxray chest_xray/test`` (scores
# with 95 % intervals; ``--card`` also writes ``MODEL_CARD.md``), ``skxray predict
# pneumonia_model.skxray scans/`` or ``skxray explain pneumonia_model.skxray scans/``.
skxray.save(
    clf, "pneumonia_model.skxray", target_names=train.target_names, training_paths=train.paths
)
