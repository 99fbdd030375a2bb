"""
The optimized CNN: dropout, augmentation, learning curves
=========================================================

The report's optimized network adds a fourth conv block (16 filters, kernel
4, max-pool 4), dropout 0.4 and 0.2 and a 500-unit dense layer. Augmentation
is applied to the *training* batches only (the report applied it to its
validation and test data). Precision, recall, F1 and ROC-AUC are computed on
the whole validation data at the end of every epoch.
"""

# %%
from sklearn.model_selection import StratifiedGroupKFold

from skxray import ScratchCNNClassifier, XrayAugmenter, binary_scores, plot_learning_curves
from skxray.datasets import load_sample_xrays

data = load_sample_xrays(image_size=128)
train, test = next(
    StratifiedGroupKFold(4, shuffle=True, random_state=0).split(
        data.images, data.target, data.groups
    )
)

clf = ScratchCNNClassifier(
    "optimized",
    optimizer="adam",
    optimizer__learning_rate=1e-3,
    epochs=20,
    batch_size=16,
    augmenter=XrayAugmenter(),
    validation_split=0.2,
    random_state=0,
)
clf = clf.fit(data.images[train], data.target[train])

# %%
# Learning curves: loss and F1 per epoch, training vs validation
# --------------------------------------------------------------
display = plot_learning_curves(clf)

# %%
# Held-out scores
# ---------------
scores = binary_scores(data.target[test], clf.predict_proba(data.images[test])[:, 1])
for name, value in scores.items():
    if name != "confusion_matrix":
        print(f"{name:<18} {value:.3f}")
