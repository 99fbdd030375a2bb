"""
The recommended recipe, from folder to saved model (real data, not run in the docs build)
=========================================================================================

:func:`skxray.recommended_classifier` is a ``Pipeline`` of
:class:`skxray.HistogramEqualizer` and the vanilla CNN at 96 px with balanced
class weights, chosen by patient-grouped cross-validation on clean and
scanner-shifted images (see "The recommended recipe"). With ``paths=True`` it
reads image files itself.

This example needs the public dataset, so the docs build shows it without
running it. Run it with
``python examples/recommended_recipe.py /path/to/chest_xray``; on 2 CPU cores
the cross-validation takes a few minutes, the final fit under a minute.
"""

# %%
import sys

import joblib
from sklearn.model_selection import StratifiedGroupKFold, cross_validate

from skxray import evaluate, recommended_classifier
from skxray.datasets import load_chest_xray

root = sys.argv[1] if len(sys.argv) > 1 else "chest_xray"
train = load_chest_xray(root, split="train")
clf = recommended_classifier(paths=True)  # model="inception" for the Inception-V3 recipe

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
# Fit on all of train, check on the official (tiny) val split, and save.
clf.fit(train.paths, train.target)
val = load_chest_xray(root, split="val")
report = evaluate(clf, val.paths, val.target, random_state=0)
print(report)
joblib.dump(clf, "pneumonia_model.joblib")  # then: skxray evaluate pneumonia_model.joblib DIR
