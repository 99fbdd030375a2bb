"""skxray: pneumonia detection on chest X-rays, as scikit-learn estimators on Keras 3.

Subpackages, one per topic (each a public namespace):

- ``skxray.io``: decoding images and DICOM, folder trees and labels, streams (no Keras);
- ``skxray.preprocessing``: ``HistogramEqualizer``, ``BorderCrop`` (NumPy only);
- ``skxray.models``: the classifiers, augmentation, callbacks and recipes (their training
  machinery in the private ``skxray.models._training``);
- ``skxray.explain``: CAM heatmaps, their displays and the shortcut audit;
- ``skxray.evaluation``: scores, bootstrap intervals, reports, training histories, and
  ``check_inputs`` (is an image one the model can judge?);
- ``skxray.persistence``: safe model files and model cards;
- ``skxray.datasets``: the bundled sample, the public layout, synthetic X-rays;
- ``skxray.cli``: the ``skxray`` command;
- ``skxray.utils``: validation, defaults, progress, Dask helpers, ``show_versions``.

Every public name is also importable from ``skxray`` itself.
"""

import importlib
import os
import sys
from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:  # for linters and IDEs; at run time, __getattr__ imports on first use
    from .evaluation import (
        EvaluationReport,
        InputCheck,
        MulticlassEvaluationReport,
        TrainingHistoryDisplay,
        binary_scores,
        check_inputs,
        evaluate,
        plot_learning_curves,
    )
    from .explain import (
        HeatmapDisplay,
        ShortcutAudit,
        cam_explain,
        overlay_heatmap,
        plot_heatmaps,
        region_masks,
        shortcut_audit,
    )
    from .io import (
        IMAGE_EXTENSIONS,
        ImageDirLoader,
        ImageLoadError,
        ImageStream,
        decode_image,
        load_image_folder,
        patient_id,
        pneumonia_subtype,
    )
    from .models import (
        FEATURE_CACHE,
        RECIPES,
        EpochScores,
        FeatureCache,
        InceptionTransferClassifier,
        ScratchCNNClassifier,
        TransferClassifier,
        WeightsNotAvailableError,
        XrayAugmenter,
        recommended_classifier,
    )
    from .persistence import (
        ModelFileError,
        list_pretrained,
        load,
        load_metadata,
        load_pretrained,
        model_card,
        pretrained_path,
        save,
        write_model_card,
    )
    from .preprocessing import BorderCrop, HistogramEqualizer
    from .utils import limit_worker_threads, show_versions

SUBPACKAGES = (
    "cli",
    "datasets",
    "evaluation",
    "explain",
    "io",
    "models",
    "persistence",
    "preprocessing",
    "utils",
)
"""The topic subpackages, public namespaces: ``from skxray.explain import cam_explain``."""

_KERAS_FREE = ("io", "preprocessing", "utils")

# Each public name and the subpackage that exports it. They are imported on first use
# (PEP 562), so that `import skxray` and `skxray --help` do not load TensorFlow.
_LAZY = {
    "binary_scores": "evaluation",
    "BorderCrop": "preprocessing",
    "cam_explain": "explain",
    "decode_image": "io",
    "EpochScores": "models",
    "evaluate": "evaluation",
    "EvaluationReport": "evaluation",
    "FEATURE_CACHE": "models",
    "FeatureCache": "models",
    "HeatmapDisplay": "explain",
    "HistogramEqualizer": "preprocessing",
    "IMAGE_EXTENSIONS": "io",
    "ImageDirLoader": "io",
    "ImageLoadError": "io",
    "ImageStream": "io",
    "InceptionTransferClassifier": "models",
    "limit_worker_threads": "utils",
    "load": "persistence",
    "load_image_folder": "io",
    "load_metadata": "persistence",
    "load_pretrained": "persistence",
    "check_inputs": "evaluation",
    "InputCheck": "evaluation",
    "list_pretrained": "persistence",
    "pretrained_path": "persistence",
    "model_card": "persistence",
    "ModelFileError": "persistence",
    "MulticlassEvaluationReport": "evaluation",
    "overlay_heatmap": "explain",
    "patient_id": "io",
    "plot_heatmaps": "explain",
    "plot_learning_curves": "evaluation",
    "pneumonia_subtype": "io",
    "RECIPES": "models",
    "recommended_classifier": "models",
    "region_masks": "explain",
    "save": "persistence",
    "ScratchCNNClassifier": "models",
    "shortcut_audit": "explain",
    "ShortcutAudit": "explain",
    "show_versions": "utils",
    "TrainingHistoryDisplay": "evaluation",
    "TransferClassifier": "models",
    "WeightsNotAvailableError": "models",
    "write_model_card": "persistence",
    "XrayAugmenter": "models",
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
    "load_pretrained",
    "check_inputs",
    "InputCheck",
    "list_pretrained",
    "pretrained_path",
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
    if name in SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    package = _LAZY.get(name)
    if package is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if package not in _KERAS_FREE and "keras" not in sys.modules:
        from .utils._quiet import import_quietly, wants_native_logs

        if not wants_native_logs():  # TensorFlow's C++ log lines stay off stderr
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the lines after start-up
            import_quietly("keras")  # the start-up lines, which ignore that variable
    value = getattr(importlib.import_module(f".{package}", __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(SUBPACKAGES))
