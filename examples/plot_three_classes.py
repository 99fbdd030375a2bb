"""
Three classes: normal, bacterial and viral pneumonia
====================================================

The public data set's pneumonia file names carry the subtype
(``person1946_bacteria_4874.jpeg``, ``person1015_virus_1701.jpeg``), so
``target="subtype"`` turns the binary folders into three classes. Every skxray
estimator, :func:`~skxray.evaluate` and :func:`~skxray.cam_explain` take them
as they are. This example trains the recommended recipe on the 200 bundled
X-rays, scores it on held-out patients and draws, for one image of each class,
the evidence the network found for each of the three classes.

The bundled sample holds only 16 viral images, so the held-out scores below
are noisy; ``benchmarks/README.md`` reports patient-grouped cross-validation
on the 5216 images of the full train split.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from skxray import cam_explain, evaluate, overlay_heatmap, recommended_classifier
from skxray.datasets import load_sample_xrays

data = load_sample_xrays(target="subtype", image_size=128)
print(data.target_names, np.bincount(data.target))
train, test = next(
    StratifiedGroupKFold(4, shuffle=True, random_state=0).split(
        data.images, data.target, data.groups
    )
)
clf = recommended_classifier(n_seeds=1, random_state=0).set_params(classifier__epochs=20)
clf = clf.fit(data.images[train], data.target[train])

# %%
# Held-out scores, per class and macro-averaged
# ---------------------------------------------
# A three-class model predicts the most probable class. ``evaluate`` reports
# the macro F1 (scikit-learn's ``f1_macro``), the one-vs-rest scores of each
# class, the 3x3 confusion matrix, and the one-vs-rest ROC curves.
# ``print(report)`` shows it all; here the macro scores (``report.scores``,
# with their bootstrap intervals in ``report.ci``) and the per-class scores
# (``report.per_class``) are printed as two short tables, and the figure has
# the confusion matrix.
report = evaluate(
    clf,
    data.images[test],
    data.target[test],
    n_bootstrap=200,
    random_state=0,
    target_names=data.target_names,
)
print(f"{'score':<18} value  {report.confidence:.0%} CI (macro averages, and accuracy)")
for name, value in report.scores.items():
    low, high = report.ci[name]
    print(f"{name:<18} {value:.3f}  [{low:.3f}, {high:.3f}]")
columns = ("f1", "precision", "sensitivity", "specificity", "roc_auc")
print(f"\n{'class':<9}" + " ".join(f"{c:>{max(len(c), 5)}}" for c in columns))
for name, scores in report.per_class.items():
    print(f"{name:<9}" + " ".join(f"{scores[c]:>{max(len(c), 5)}.2f}" for c in columns))

# %%
# The evidence for each class
# ---------------------------
# Rows: one held-out image of each true class. Columns: the Grad-CAM heatmap of
# each class (``target=0, 1, 2``), with its predicted probability. Each map is
# scaled to its own maximum, so compare regions within a map, not colours
# across maps; a blank map means no positive evidence for that class (Grad-CAM
# keeps positive contributions only). Heat on the image border or on the side
# markers rather than on the lungs is a shortcut: measure it with
# :func:`~skxray.shortcut_audit` before trusting a model.
pick = [test[data.target[test] == k][0] for k in range(3)]
images = data.images[pick]
proba = clf.predict_proba(images)
maps = [cam_explain(clf, images, target=k) for k in range(3)]
fig, axes = plt.subplots(3, 4, figsize=(9, 7.2), layout="constrained")
for row, image in enumerate(images):
    axes[row, 0].imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
    axes[row, 0].set_title(f"true: {data.target_names[data.target[pick[row]]]}", fontsize=9)
    for k, name in enumerate(data.target_names):
        axes[row, k + 1].imshow(overlay_heatmap(image, maps[k][row]))
        axes[row, k + 1].set_title(f"{name}: p = {proba[row, k]:.2f}", fontsize=9)
for ax in axes.ravel():
    ax.set_axis_off()
plt.show()
