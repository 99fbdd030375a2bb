"""
Choosing a threshold for high sensitivity
=========================================

A screening model should miss few pneumonias. ``TunedThresholdClassifierCV``
picks the decision threshold by cross-validation; here it maximises
balanced accuracy under grouped folds, and the ROC curve and confusion matrix
show the trade-off on held-out images.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV, train_test_split

from skxray import ScratchCNNClassifier, binary_scores
from skxray.datasets import load_sample_xrays

data = load_sample_xrays(image_size=64)
X_train, X_test, y_train, y_test = train_test_split(
    data.images, data.target, test_size=0.3, stratify=data.target, random_state=0
)
base = ScratchCNNClassifier("optimized", epochs=12, batch_size=16, random_state=0)
tuned = TunedThresholdClassifierCV(
    base, scoring="balanced_accuracy", cv=StratifiedKFold(3, shuffle=True, random_state=0)
)
tuned.fit(X_train, y_train)
print(f"chosen threshold: {tuned.best_threshold_:.2f}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
RocCurveDisplay.from_estimator(tuned.estimator_, X_test, y_test, ax=ax1)
negative, positive = data.target_names  # name the classes rather than "Positive label: 1"
ax1.set(
    xlabel=f"False positive rate ({negative} called {positive})",
    ylabel=f"True positive rate ({positive} found)",
)
ConfusionMatrixDisplay.from_estimator(
    tuned, X_test, y_test, ax=ax2, display_labels=data.target_names
)
proba = tuned.estimator_.predict_proba(X_test)[:, 1]
scores = binary_scores(y_test, proba, threshold=tuned.best_threshold_)
for name, value in scores.items():
    if name != "confusion_matrix":  # drawn above
        print(f"{name:<18} {value:.3f}")
