"""skxray: pneumonia detection on chest X-rays, as scikit-learn estimators on Keras 3."""

import importlib
from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:  # for linters and IDEs; at run time, __getattr__ imports on first use
    from ._audit import ShortcutAudit, region_masks, shortcut_audit
    from ._augment import XrayAugmenter
    from ._callbacks import EpochScores
    from ._cam import cam_explain
    from ._cam_plot import HeatmapDisplay, overlay_heatmap, plot_heatmaps
    from ._card import model_card, write_model_card
    from ._decode import IMAGE_EXTENSIONS, ImageLoadError, decode_image
    from ._evaluate import EvaluationReport, evaluate
    from ._evaluate_multiclass import MulticlassEvaluationReport
    from ._features import FEATURE_CACHE, FeatureCache, WeightsNotAvailableError
    from ._io import ImageDirLoader, load_image_folder
    from ._labels import patient_id, pneumonia_subtype
    from ._metrics import TrainingHistoryDisplay, binary_scores, plot_learning_curves
    from ._parallel import limit_worker_threads
    from ._persist import ModelFileError, load, load_metadata, save
    from ._preprocess import BorderCrop, HistogramEqualizer
    from ._recipe import RECIPES, recommended_classifier
    from ._scratch import ScratchCNNClassifier
    from ._show_versions import show_versions
    from ._streaming import ImageStream
    from ._transfer import InceptionTransferClassifier, TransferClassifier

# Each public name and the private module that defines it. They are imported on first
# use (PEP 562), so that `import skxray` and `skxray --help` do not load TensorFlow.
_LAZY = {
    "ShortcutAudit": "._audit",
    "region_masks": "._audit",
    "shortcut_audit": "._audit",
    "XrayAugmenter": "._augment",
    "EpochScores": "._callbacks",
    "cam_explain": "._cam",
    "HeatmapDisplay": "._cam_plot",
    "overlay_heatmap": "._cam_plot",
    "plot_heatmaps": "._cam_plot",
    "model_card": "._card",
    "write_model_card": "._card",
    "IMAGE_EXTENSIONS": "._decode",
    "ImageLoadError": "._decode",
    "decode_image": "._decode",
    "EvaluationReport": "._evaluate",
    "MulticlassEvaluationReport": "._evaluate_multiclass",
    "evaluate": "._evaluate",
    "FEATURE_CACHE": "._features",
    "FeatureCache": "._features",
    "WeightsNotAvailableError": "._features",
    "ImageDirLoader": "._io",
    "ImageStream": "._streaming",
    "load_image_folder": "._io",
    "patient_id": "._labels",
    "pneumonia_subtype": "._labels",
    "TrainingHistoryDisplay": "._metrics",
    "binary_scores": "._metrics",
    "plot_learning_curves": "._metrics",
    "limit_worker_threads": "._parallel",
    "ModelFileError": "._persist",
    "load": "._persist",
    "load_metadata": "._persist",
    "save": "._persist",
    "BorderCrop": "._preprocess",
    "HistogramEqualizer": "._preprocess",
    "RECIPES": "._recipe",
    "recommended_classifier": "._recipe",
    "ScratchCNNClassifier": "._scratch",
    "show_versions": "._show_versions",
    "InceptionTransferClassifier": "._transfer",
    "TransferClassifier": "._transfer",
}

__all__ = [
    "BorderCrop",
    "EpochScores",
    "EvaluationReport",
    "MulticlassEvaluationReport",
    "FEATURE_CACHE",
    "FeatureCache",
    "HeatmapDisplay",
    "HistogramEqualizer",
    "IMAGE_EXTENSIONS",
    "ImageDirLoader",
    "ImageStream",
    "ImageLoadError",
    "ModelFileError",
    "RECIPES",
    "InceptionTransferClassifier",
    "ScratchCNNClassifier",
    "ShortcutAudit",
    "TrainingHistoryDisplay",
    "TransferClassifier",
    "WeightsNotAvailableError",
    "XrayAugmenter",
    "__version__",
    "binary_scores",
    "cam_explain",
    "decode_image",
    "evaluate",
    "load",
    "load_image_folder",
    "limit_worker_threads",
    "model_card",
    "load_metadata",
    "overlay_heatmap",
    "patient_id",
    "pneumonia_subtype",
    "plot_heatmaps",
    "plot_learning_curves",
    "recommended_classifier",
    "region_masks",
    "save",
    "show_versions",
    "shortcut_audit",
    "write_model_card",
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
