"""
Cross-validation grouped by patient
===================================

Several images can come from one patient. If one patient's images fall in
both the training and the validation fold, scores are inflated. The loaders
return patient IDs parsed from the file names as ``groups``; pass them with a
grouped splitter. Here a ``Pipeline`` reads the image files itself.
"""

# %%
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
from sklearn.pipeline import Pipeline

from skxray import ImageDirLoader, ScratchCNNClassifier, load_image_folder
from skxray.datasets import get_sample_xrays_path

data = load_image_folder(get_sample_xrays_path())
model = Pipeline(
    [
        ("load", ImageDirLoader(image_size=64)),
        ("cnn", ScratchCNNClassifier("optimized", epochs=10, batch_size=16, random_state=0)),
    ]
)
scores = cross_val_score(
    model,
    data.paths,
    data.target,
    groups=data.groups,
    cv=StratifiedGroupKFold(5, shuffle=True, random_state=0),
    scoring="f1",
    error_score="raise",
    verbose=2,  # one line a fold, with its score and time
)
print(f"F1 per fold: {scores.round(3)}; mean {scores.mean():.3f} ± {scores.std():.3f}")

# %%
# Per-fold F1
# -----------
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.bar(range(1, len(scores) + 1), scores)
ax.axhline(scores.mean(), color="k", linestyle="--", label=f"mean {scores.mean():.2f}")
ax.set(xlabel="fold", ylabel="F1 (PNEUMONIA)", ylim=(0, 1))
ax.legend()
plt.show()
