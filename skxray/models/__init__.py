"""The classifiers: networks trained from scratch, transfer learning, augmentation, recipes."""

from ._augment import XrayAugmenter
from ._callbacks import EpochScores
from ._feature_cache import FEATURE_CACHE, FeatureCache
from ._input_check import InputCheck, check_inputs
from ._recipe import RECIPES, recommended_classifier
from ._scratch import ScratchCNNClassifier
from ._transfer import InceptionTransferClassifier, TransferClassifier
from ._weights import WeightsNotAvailableError

__all__ = [
    "FEATURE_CACHE",
    "RECIPES",
    "EpochScores",
    "FeatureCache",
    "InputCheck",
    "check_inputs",
    "InceptionTransferClassifier",
    "ScratchCNNClassifier",
    "TransferClassifier",
    "WeightsNotAvailableError",
    "XrayAugmenter",
    "recommended_classifier",
]
