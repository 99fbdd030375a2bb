"""Keras callbacks used by skxray's estimators."""

import keras


def _f1(precision, recall):
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


class EpochScores(keras.callbacks.Callback):
    """Add the positive class's F1 to the epoch logs, for training and validation.

    The estimators compile stateful ``Precision`` and ``Recall`` metrics. Keras
    accumulates their true/false positive counts over the whole epoch (over
    all training batches, and over the *whole* validation data), so the F1
    derived here is the F1 of the full set, not a batch average: the 2018
    report's mistake. Training-set figures are those of the augmented
    batches as the weights changed during the epoch, as usual in Keras.

    Examples
    --------
    >>> from skxray._callbacks import EpochScores
    >>> logs = {"precision": 0.5, "recall": 1.0}
    >>> EpochScores().on_epoch_end(0, logs)
    >>> round(logs["f1"], 4)
    0.6667
    """

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for prefix in ("", "val_"):
            precision, recall = logs.get(prefix + "precision"), logs.get(prefix + "recall")
            if precision is not None and recall is not None:
                logs[prefix + "f1"] = _f1(float(precision), float(recall))
