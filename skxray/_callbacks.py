"""Keras callbacks used by skxray's estimators."""

import keras
import numpy as np

from ._metrics import (
    PROBABILITY_SCORES,
    SCORE_ALIASES,
    SCORE_NAMES,
    probability_score,
    scores_from_counts,
)
from ._validation import StrOptions, invalid, validate_params

COUNT_METRICS = {
    "tn": keras.metrics.TrueNegatives,
    "fp": keras.metrics.FalsePositives,
    "fn": keras.metrics.FalseNegatives,
    "tp": keras.metrics.TruePositives,
}
"""The epoch logs' names of the confusion counts :class:`EpochScores` reads, and their metrics."""


def count_metrics():
    """Fresh Keras metrics of the confusion counts, named as :class:`EpochScores` reads them.

    Compile them with a binary (one sigmoid output) model for
    :class:`EpochScores` to score its epochs. They call a case positive when
    its probability is above 0.5, as Keras's ``Precision`` and ``Recall`` do.

    Returns
    -------
    metrics : list of keras.metrics.Metric
        ``TrueNegatives(name="tn")``, ``FalsePositives(name="fp")``,
        ``FalseNegatives(name="fn")`` and ``TruePositives(name="tp")``.

    Examples
    --------
    >>> from skxray._callbacks import count_metrics
    >>> [metric.name for metric in count_metrics()]
    ['tn', 'fp', 'fn', 'tp']
    """
    return [metric(name=name) for name, metric in COUNT_METRICS.items()]


class EpochScores(keras.callbacks.Callback):
    """Add a score of the positive class (F1 by default) to the epoch logs.

    For a threshold score (F1, precision, recall/sensitivity, specificity,
    accuracy, balanced accuracy), the score is computed by
    :func:`~skxray._metrics.scores_from_counts`, the one definition of
    skxray's scores, from the confusion counts of :func:`count_metrics`,
    which the model must be compiled with (logs ``tn``, ``fp``, ``fn``,
    ``tp``). Keras accumulates these counts over the whole epoch (over all
    training batches, and over the *whole* validation data), so the score is
    that of the full set, not a batch average: the 2018 report's mistake.
    Training-set figures are those of the augmented batches as the weights
    changed during the epoch, as usual in Keras. It is logged under the
    ``scoring`` name, with its ``val_`` twin when there is validation data;
    without the counts in the logs (a multiclass model), nothing is added.

    For a probability score (``"roc_auc"``, ``"average_precision"``),
    ``validation_data`` is predicted at each epoch's end and only
    ``val_<scoring>`` is logged, computed by
    :func:`~skxray._metrics.probability_score` (exact, unlike Keras's
    ``AUC`` metric, whose ``val_roc_auc`` it replaces).

    Parameters
    ----------
    scoring : str, default="f1"
        One of ``"f1"``, ``"precision"``, ``"recall"``, ``"sensitivity"``
        (= recall), ``"specificity"``, ``"accuracy"``,
        ``"balanced_accuracy"``, ``"roc_auc"`` and ``"average_precision"``.
    validation_data : (X, y) pair, default=None
        Needed by, and only used by, the probability scores: inputs as the
        network takes them, and labels 0/1.

    Examples
    --------
    >>> from skxray._callbacks import EpochScores
    >>> logs = {"tn": 3.0, "fp": 2.0, "fn": 0.0, "tp": 2.0}
    >>> EpochScores().on_epoch_end(0, logs)
    >>> round(logs["f1"], 4)
    0.6667
    >>> EpochScores("specificity").on_epoch_end(0, logs)
    >>> logs["specificity"]
    0.6
    """

    _parameter_constraints = {
        "scoring": [StrOptions(set(SCORE_NAMES))],
        "validation_data": [tuple, list, None],
    }

    def __init__(self, scoring="f1", *, validation_data=None):
        super().__init__()
        self.scoring = scoring
        self.validation_data = validation_data
        self._validate_params()

    def _validate_params(self):
        params = {"scoring": self.scoring, "validation_data": self.validation_data}
        validate_params(self._parameter_constraints, params, type(self).__name__)
        needs_data = self.scoring in PROBABILITY_SCORES
        if needs_data and (self.validation_data is None or len(self.validation_data) != 2):
            requirement = f"an (X, y) pair for scoring={self.scoring!r}"
            invalid("validation_data", type(self).__name__, requirement, self.validation_data)

    def on_train_begin(self, logs=None):
        self._validate_params()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        if self.scoring in PROBABILITY_SCORES:
            logs["val_" + self.scoring] = self._validation_probability_score()
            return
        name = SCORE_ALIASES.get(self.scoring, self.scoring)
        for prefix in ("", "val_"):
            counts = [logs.get(prefix + key) for key in COUNT_METRICS]
            if all(count is not None for count in counts):
                scores = scores_from_counts(*(float(count) for count in counts))
                logs[prefix + self.scoring] = scores[name]

    def _validation_probability_score(self):
        X, y = self.validation_data
        proba = np.asarray(self.model.predict(X, verbose=0))
        if proba.ndim > 1 and proba.shape[-1] != 1:
            raise ValueError(
                f"EpochScores(scoring={self.scoring!r}) needs a binary model with one "
                f"sigmoid output; this one has {proba.shape[-1]} outputs."
            )
        return probability_score(self.scoring, np.asarray(y).ravel(), proba.ravel())
