"""Keras callbacks used by skxray's estimators."""

import re
import time

import keras
import numpy as np
from keras import ops

from ...evaluation._scores import (
    PROBABILITY_SCORES,
    SCORE_ALIASES,
    SCORE_NAMES,
    probability_score,
    scores_from_confusion,
    scores_from_counts,
)
from ...utils._param_validation import StrOptions, invalid, validate_params

COUNT_METRICS = {
    "tn": keras.metrics.TrueNegatives,
    "fp": keras.metrics.FalsePositives,
    "fn": keras.metrics.FalseNegatives,
    "tp": keras.metrics.TruePositives,
}
"""The epoch logs' names of the confusion counts :class:`EpochScores` reads, and their metrics."""


_CELL = re.compile(r"^cm_(\d+)_(\d+)$")


@keras.saving.register_keras_serializable(package="skxray")
class ConfusionCell(keras.metrics.Metric):
    """Count of the samples of class ``true_class`` predicted as ``predicted_class``.

    One cell of a multiclass (softmax) model's confusion matrix, accumulated
    over the epoch; the prediction is the arg-max of the output.
    """

    def __init__(self, true_class, predicted_class, name=None, dtype=None):
        super().__init__(name=name or f"cm_{true_class}_{predicted_class}", dtype=dtype)
        self.true_class = int(true_class)
        self.predicted_class = int(predicted_class)
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        y_pred = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        hits = ops.logical_and(
            ops.equal(y_true, self.true_class), ops.equal(y_pred, self.predicted_class)
        )
        hits = ops.cast(hits, self.dtype)
        if sample_weight is not None:
            hits = hits * ops.cast(ops.reshape(sample_weight, (-1,)), self.dtype)
        self.count.assign_add(ops.sum(hits))

    def result(self):
        return ops.convert_to_tensor(self.count)

    def reset_state(self):
        self.count.assign(0.0)

    def get_config(self):
        return {
            **super().get_config(),
            "true_class": self.true_class,
            "predicted_class": self.predicted_class,
        }


def count_metrics(n_classes=2):
    """Fresh Keras metrics of the confusion counts, named as :class:`EpochScores` reads them.

    Compile them with the model for :class:`EpochScores` to score its
    epochs. A binary (one sigmoid output) model calls a case positive when
    its probability is above 0.5, as Keras's ``Precision`` and ``Recall`` do;
    a multiclass (softmax) model predicts the most probable class.

    Parameters
    ----------
    n_classes : int, default=2
        Classes of the model.

    Returns
    -------
    metrics : list of keras.metrics.Metric
        Binary: ``TrueNegatives(name="tn")``, ``FalsePositives(name="fp")``,
        ``FalseNegatives(name="fn")`` and ``TruePositives(name="tp")``.
        Multiclass: one :class:`ConfusionCell` per cell of the confusion
        matrix, ``cm_<true>_<predicted>``.

    Examples
    --------
    >>> from skxray.models._training._callbacks import count_metrics
    >>> [metric.name for metric in count_metrics()]
    ['tn', 'fp', 'fn', 'tp']
    >>> [metric.name for metric in count_metrics(3)][:4]
    ['cm_0_0', 'cm_0_1', 'cm_0_2', 'cm_1_0']
    """
    if n_classes == 2:
        return [metric(name=name) for name, metric in COUNT_METRICS.items()]
    return [ConfusionCell(t, p) for t in range(n_classes) for p in range(n_classes)]


def _confusion_from_logs(logs, prefix):
    """The multiclass confusion matrix logged by :class:`ConfusionCell` metrics, or None."""
    cells = {}
    for key, value in logs.items():
        match = _CELL.match(key[len(prefix) :]) if key.startswith(prefix) else None
        if match:
            cells[int(match.group(1)), int(match.group(2))] = float(value)
    if not cells:
        return None
    n = 1 + max(max(cell) for cell in cells)
    confusion = np.zeros((n, n))
    for (t, p), value in cells.items():
        confusion[t, p] = value
    return confusion


class EpochScores(keras.callbacks.Callback):
    """Add a score of the positive class (F1 by default) to the epoch logs.

    For a multiclass model, the threshold scores are macro averages over
    the classes (``"f1"`` is scikit-learn's ``f1_macro``), computed by
    :func:`~skxray.evaluation._scores.scores_from_confusion` from the
    :class:`ConfusionCell` counts of :func:`count_metrics`.

    For a threshold score (F1, precision, recall/sensitivity, specificity,
    accuracy, balanced accuracy), the score is computed by
    :func:`~skxray.evaluation._scores.scores_from_counts`, the one definition of
    skxray's scores, from the confusion counts of :func:`count_metrics`,
    which the model must be compiled with (logs ``tn``, ``fp``, ``fn``,
    ``tp``). Keras accumulates these counts over the whole epoch (over all
    training batches, and over the *whole* validation data), so the score is
    that of the full set, not a batch average: the 2018 report's mistake.
    Training-set figures are those of the augmented batches as the weights
    changed during the epoch, as usual in Keras. It is logged under the
    ``scoring`` name, with its ``val_`` twin when there is validation data;
    without counts in the logs, nothing is added.

    For a probability score (``"roc_auc"``, ``"average_precision"``),
    ``validation_data`` is predicted at each epoch's end and only
    ``val_<scoring>`` is logged, computed by
    :func:`~skxray.evaluation._scores.probability_score` (exact, unlike Keras's
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
    >>> from skxray.models._training._callbacks import EpochScores
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
                continue
            confusion = _confusion_from_logs(logs, prefix)
            if confusion is not None:
                logs[prefix + self.scoring] = scores_from_confusion(confusion)[name]

    def _validation_probability_score(self):
        X, y = self.validation_data
        proba = np.asarray(self.model.predict(X, verbose=0))
        return probability_score(self.scoring, np.asarray(y).ravel(), proba)


class EpochLog(keras.callbacks.Callback):
    """One short line per epoch, for logs and notebooks: which fit, the epoch, the scores.

    Keras' own epoch line (``verbose=2``) lists every logged metric, the confusion counts
    that :class:`EpochScores` reads included, in 170 to 430 characters, and does not say
    which seed is training. This line starts with ``label`` and shows the loss, F1 and
    ROC-AUC, then the same on the validation data; ``history_`` keeps every metric.

    Parameters
    ----------
    label : str
        What trains, e.g. ``"seed 0"``; empty for nothing.
    print_fn : callable, default=print
        Called with each line.

    Examples
    --------
    >>> from skxray.models._training._callbacks import EpochLog
    >>> log = EpochLog("seed 0")
    >>> log.params = {"epochs": 10}
    >>> log.on_epoch_begin(2)
    >>> log.on_epoch_end(2, {"loss": 0.31234, "f1": 0.9, "tp": 40.0, "val_loss": 0.4})
    seed 0, epoch 3/10: loss 0.312, F1 0.900; validation loss 0.400 (0 s)
    """

    SHOWN = {"loss": "loss", "f1": "F1", "roc_auc": "AUC"}

    def __init__(self, label="", print_fn=print):
        super().__init__()
        self.label, self.print_fn = label, print_fn

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = []
        for prefix, title in (("", ""), ("val_", "validation ")):
            shown = [f"{name} {float(logs[prefix + key]):.3f}"
                     for key, name in self.SHOWN.items() if prefix + key in logs]  # fmt: skip
            if shown:
                parts.append(title + ", ".join(shown))
        head = f"{self.label}, " if self.label else ""
        seconds = time.perf_counter() - self._start
        self.print_fn(
            f"{head}epoch {epoch + 1}/{self.params['epochs']}: {'; '.join(parts)} ({seconds:.0f} s)"
        )
