"""skxray: pneumonia detection on chest X-rays, as scikit-learn estimators on Keras 3."""

from ._audit import ShortcutAudit, region_masks, shortcut_audit
from ._augment import XrayAugmenter
from ._callbacks import EpochScores
from ._cam import cam_explain
from ._cam_plot import HeatmapDisplay, overlay_heatmap, plot_heatmaps
from ._decode import IMAGE_EXTENSIONS, ImageLoadError, decode_image
from ._evaluate import EvaluationReport, evaluate
from ._features import FEATURE_CACHE, FeatureCache, WeightsNotAvailableError
from ._io import ImageDirLoader, load_image_folder, patient_id
from ._metrics import TrainingHistoryDisplay, binary_scores, plot_learning_curves
from ._preprocess import BorderCrop, HistogramEqualizer
from ._recipe import RECIPES, recommended_classifier
from ._scratch import ScratchCNNClassifier
from ._show_versions import show_versions
from ._transfer import InceptionTransferClassifier
from ._version import __version__

__all__ = [
    "BorderCrop",
    "EpochScores",
    "EvaluationReport",
    "FEATURE_CACHE",
    "FeatureCache",
    "HeatmapDisplay",
    "HistogramEqualizer",
    "IMAGE_EXTENSIONS",
    "ImageDirLoader",
    "ImageLoadError",
    "RECIPES",
    "InceptionTransferClassifier",
    "ScratchCNNClassifier",
    "ShortcutAudit",
    "TrainingHistoryDisplay",
    "WeightsNotAvailableError",
    "XrayAugmenter",
    "__version__",
    "binary_scores",
    "cam_explain",
    "decode_image",
    "evaluate",
    "load_image_folder",
    "overlay_heatmap",
    "patient_id",
    "plot_heatmaps",
    "plot_learning_curves",
    "recommended_classifier",
    "region_masks",
    "show_versions",
    "shortcut_audit",
]
