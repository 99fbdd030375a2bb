"""
Inception-V3 bottleneck features (real data, not run in the docs build)
=======================================================================

``InceptionTransferClassifier(mode="bottleneck")`` freezes an ImageNet
Inception-V3 and trains a dense head on its pooled features. The base's
features of each distinct image are computed once and cached, so a grid
search over head parameters is fast.

This example needs the ImageNet weights (downloaded by Keras to
``~/.keras/models`` on first use) and the public dataset, so the docs build
shows it without running it. Run it with
``python examples/inception_bottleneck.py /path/to/chest_xray``.
"""

# %%
import sys

from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from skxray import ImageDirLoader, InceptionTransferClassifier
from skxray.datasets import load_chest_xray

root = sys.argv[1] if len(sys.argv) > 1 else "chest_xray"
data = load_chest_xray(root, split="train")
X = ImageDirLoader(image_size=150, n_jobs=-1).transform(data.paths)
clf = InceptionTransferClassifier(
    "bottleneck",
    weights="imagenet",
    input_size=150,
    epochs=15,
    batch_size=64,
    class_weight="balanced",
    random_state=0,
)
search = GridSearchCV(
    clf,
    {"head_units": [64, 256, 1024], "dropout": [0.0, 0.5]},
    cv=StratifiedGroupKFold(5),
    scoring="f1",
    error_score="raise",
)
search.fit(X, data.target, groups=data.groups)
print(search.best_params_, round(search.best_score_, 3))
