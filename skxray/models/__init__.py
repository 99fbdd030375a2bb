"""The classifiers: networks trained from scratch, transfer learning, augmentation, recipes.

Their training machinery (the scikeras base class, callbacks, losses, seeding, batches)
is the private subpackage ``skxray.models._training``.
"""

from ..evaluation._input_check import InputCheck, check_inputs  # their home is evaluation
from ._augment import XrayAugmenter
from ._feature_cache import FEATURE_CACHE, FeatureCache
from ._recipe import RECIPES, recommended_classifier
from ._scratch import ScratchCNNClassifier
from ._training._callbacks import EpochScores
from ._transfer import InceptionTransferClassifier, TransferClassifier
from ._weights import WeightsNotAvailableError

__all__ = [
    "FEATURE_CACHE",
    "RECIPES",
    "EpochScores",
    "FeatureCache",
    "InceptionTransferClassifier",
    "InputCheck",  # also skxray.evaluation.InputCheck, where it is defined
    "ScratchCNNClassifier",
    "TransferClassifier",
    "WeightsNotAvailableError",
    "XrayAugmenter",
    "check_inputs",  # also skxray.evaluation.check_inputs, where it is defined
    "recommended_classifier",
]
