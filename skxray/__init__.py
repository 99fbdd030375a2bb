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

if TYPE_CHECKING:  # for linters and IDEs, the names of _LAZY (tests/test_layout.py checks it)
    from .evaluation import (  # noqa: F401
        EvaluationReport,
        InputCheck,
        MulticlassEvaluationReport,
        TrainingHistoryDisplay,
        binary_scores,
        calibrate_input_check,
        check_inputs,
        evaluate,
        plot_learning_curves,
    )
    from .explain import (  # noqa: F401
        HeatmapDisplay,
        ShortcutAudit,
        cam_explain,
        overlay_heatmap,
        plot_heatmaps,
        region_masks,
        shortcut_audit,
    )
    from .io import (  # noqa: F401
        IMAGE_EXTENSIONS,
        ImageDirLoader,
        ImageLoadError,
        ImageStream,
        decode_image,
        load_image_folder,
        patient_id,
        pneumonia_subtype,
    )
    from .models import (  # noqa: F401
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
    from .persistence import (  # noqa: F401
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
    from .preprocessing import BorderCrop, HistogramEqualizer  # noqa: F401
    from .utils import limit_worker_threads, show_versions  # noqa: F401

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

# The one list of public names: each name and the subpackage that exports it. `__all__` is
# derived from it, and tests/test_layout.py checks the TYPE_CHECKING imports above against
# it. The names are imported on first use (PEP 562), so that `import skxray` and
# `skxray --help` do not load TensorFlow.
_LAZY = {
    # skxray.evaluation
    "EvaluationReport": "evaluation",
    "InputCheck": "evaluation",
    "MulticlassEvaluationReport": "evaluation",
    "TrainingHistoryDisplay": "evaluation",
    "binary_scores": "evaluation",
    "calibrate_input_check": "evaluation",
    "check_inputs": "evaluation",
    "evaluate": "evaluation",
    "plot_learning_curves": "evaluation",
    # skxray.explain
    "HeatmapDisplay": "explain",
    "ShortcutAudit": "explain",
    "cam_explain": "explain",
    "overlay_heatmap": "explain",
    "plot_heatmaps": "explain",
    "region_masks": "explain",
    "shortcut_audit": "explain",
    # skxray.io
    "IMAGE_EXTENSIONS": "io",
    "ImageDirLoader": "io",
    "ImageLoadError": "io",
    "ImageStream": "io",
    "decode_image": "io",
    "load_image_folder": "io",
    "patient_id": "io",
    "pneumonia_subtype": "io",
    # skxray.models
    "FEATURE_CACHE": "models",
    "RECIPES": "models",
    "EpochScores": "models",
    "FeatureCache": "models",
    "InceptionTransferClassifier": "models",
    "ScratchCNNClassifier": "models",
    "TransferClassifier": "models",
    "WeightsNotAvailableError": "models",
    "XrayAugmenter": "models",
    "recommended_classifier": "models",
    # skxray.persistence
    "ModelFileError": "persistence",
    "list_pretrained": "persistence",
    "load": "persistence",
    "load_metadata": "persistence",
    "load_pretrained": "persistence",
    "model_card": "persistence",
    "pretrained_path": "persistence",
    "save": "persistence",
    "write_model_card": "persistence",
    # skxray.preprocessing
    "BorderCrop": "preprocessing",
    "HistogramEqualizer": "preprocessing",
    # skxray.utils
    "limit_worker_threads": "utils",
    "show_versions": "utils",
}

__all__ = [*_LAZY, "__version__"]


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
