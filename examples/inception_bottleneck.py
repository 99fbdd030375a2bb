"""
Inception-V3 bottleneck features (real data, not run in the docs build)
=======================================================================

``InceptionTransferClassifier(mode="bottleneck")`` freezes an ImageNet
Inception-V3 and trains a dense head on its pooled features. The base's
features of each distinct image are computed once and cached, so a grid
search over head parameters is fast.

This example needs the ImageNet weights and the public dataset, so the docs
build shows it without running it. Keras downloads the weights to
``~/.keras/models`` on first use; offline, put
``inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`` there yourself, or
pass ``weights="/path/to/that.h5"``. Run it with
``python examples/inception_bottleneck.py /path/to/chest_xray``.

Its gallery picture is not from this script, which needs the ImageNet weights
and far more than a docs build's time: drawn by
``maint_tools/make_thumbnails.py``, it shows the time of each fold of the
bottleneck model's patient-grouped cross-validation in :doc:`/table5` (150 px,
with a stand-in for the ImageNet weights;
``benchmarks/results/table5/models/inception_bottleneck.json``): the first fold
computes the base's features of the images, the other folds find them in the
cache.
"""

# sphinx_gallery_thumbnail_path = "_static/thumbnails/inception_bottleneck.png"
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
