"""
Fine-tuning Inception-V3 (real data, not run in the docs build)
===============================================================

``mode="fine_tune"`` first trains the head on frozen features, then unfreezes
the top ``n_trainable_blocks`` Inception blocks (``mixed10`` downwards) and
trains them with the head at a low learning rate. BatchNormalization layers
stay frozen. The 2018 report did the opposite (it unfroze the stem and froze
the head).

Needs the ImageNet weights and the public dataset. Keras downloads the weights
to ``~/.keras/models`` on first use; offline, put
``inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`` there yourself, or
pass ``weights="/path/to/that.h5"``. Run it with
``python examples/inception_fine_tuning.py /path/to/chest_xray``.

Its gallery picture is not from this script, which needs the ImageNet weights
and far more than a docs build's time: it is a diagram, drawn by
``maint_tools/make_thumbnails.py``, of what each stage trains (red) and keeps
frozen (grey). :doc:`/table5` reports both Inception models, cross-validated
and on the test split.
"""

# sphinx_gallery_thumbnail_path = "_static/thumbnails/inception_fine_tuning.png"
import sys

from sklearn.model_selection import StratifiedGroupKFold, cross_validate

from skxray import ImageDirLoader, InceptionTransferClassifier, plot_learning_curves
from skxray.datasets import load_chest_xray

root = sys.argv[1] if len(sys.argv) > 1 else "chest_xray"
data = load_chest_xray(root, split="train")
X = ImageDirLoader(image_size=150, n_jobs=-1).transform(data.paths)
clf = InceptionTransferClassifier(
    "fine_tune",
    weights="imagenet",
    input_size=150,
    head_units=256,
    dropout=0.3,
    epochs=10,
    n_trainable_blocks=2,
    fine_tune_epochs=3,
    fine_tune_learning_rate=1e-5,
    validation_split=0.1,
    class_weight="balanced",
    random_state=0,
)
results = cross_validate(
    clf, X, data.target, groups=data.groups, cv=StratifiedGroupKFold(5), scoring=["f1", "roc_auc"]
)
print({k: v.mean().round(3) for k, v in results.items()})
display = plot_learning_curves(clf.fit(X, data.target))  # stage 1 then stage 2 in history_
