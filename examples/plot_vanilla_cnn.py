"""
The vanilla CNN, and what its "F1 = 0.625" really meant
=======================================================

The 2018 report's baseline is a small CNN (conv 16/32/64, kernel 2, dense 128)
trained with rmsprop. Its reported "F1" of 0.625 was the test *accuracy* of a
model that called every image PNEUMONIA (390 of 624 test images are
pneumonia). Here we train the same network on the bundled real X-rays and
score it properly, next to the trivial all-PNEUMONIA baseline.
"""

# %%
# Data: a patient-grouped split of the bundled sample
# ---------------------------------------------------
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import StratifiedGroupKFold

from skxray import ScratchCNNClassifier, binary_scores
from skxray.datasets import load_sample_xrays

data = load_sample_xrays(image_size=96)
train, test = next(
    StratifiedGroupKFold(4, shuffle=True, random_state=0).split(
        data.images, data.target, data.groups
    )
)

# %%
# Train the report's vanilla network
# ----------------------------------
vanilla = ScratchCNNClassifier(
    "vanilla", optimizer="rmsprop", epochs=10, batch_size=20, random_state=0
)
vanilla.fit(data.images[train], data.target[train])
proba = vanilla.predict_proba(data.images[test])[:, 1]

# %%
# Compare with calling everything PNEUMONIA
# -----------------------------------------
# The trivial model has perfect sensitivity and zero specificity; its F1 looks
# respectable, which is why F1 alone (let alone accuracy) is not enough.
for name, scores in [
    ("vanilla CNN", binary_scores(data.target[test], proba)),
    ("all PNEUMONIA", binary_scores(data.target[test], np.ones(len(test)))),
]:
    print(
        f"{name:>14}: "
        + ", ".join(f"{k} {scores[k]:.2f}" for k in ("f1", "sensitivity", "specificity", "roc_auc"))
    )
cm_display = ConfusionMatrixDisplay.from_predictions(
    data.target[test], (proba >= 0.5).astype(int), display_labels=data.target_names
)
