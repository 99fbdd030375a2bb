"""Scores of an X-ray classifier: the one definition of each.

Every score skxray reports (``binary_scores``, ``evaluate``'s point estimates
and bootstrap intervals, the ``EpochScores`` callback) is defined once, here:

* :func:`scores_from_counts`: the scores of hard predictions, from the
  confusion counts alone (:data:`THRESHOLD_SCORES`);
* :func:`scores_from_confusion`: the same scores of a multiclass problem,
  one-vs-rest per class from the confusion matrix, and their macro averages;
* :func:`probability_score`: the scores of the ranking by probability
  (:data:`PROBABILITY_SCORES`).

Zero division: a ratio whose denominator is zero (precision with no
predicted positive, sensitivity with no true positive, specificity with no
true negative, F1 with neither) is 0.0, as scikit-learn's
``zero_division=0.0`` and Keras's ``Precision``/``Recall`` give it. The
ranking scores are nan when ``y_true`` has one class only (undefined, not a
zero division).
"""

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from ..utils._param_validation import StrOptions, validate_params

THRESHOLD_SCORES = (
    "f1",
    "precision",
    "sensitivity",
    "specificity",
    "accuracy",
    "balanced_accuracy",
)
"""Scores of the predictions at a threshold: functions of the confusion counts."""
PROBABILITY_SCORES = ("roc_auc", "average_precision")
"""Scores of the positive-class probabilities themselves (no threshold)."""
SCORE_ALIASES = {"recall": "sensitivity"}
"""Other names of scores: scikit-learn's ``recall`` is the sensitivity."""
SCORE_NAMES = (*THRESHOLD_SCORES, *SCORE_ALIASES, *PROBABILITY_SCORES)
REPORTED_SCORES = (
    "f1",
    "precision",
    "sensitivity",
    "specificity",
    "roc_auc",
    "average_precision",
    "accuracy",
)
"""The scores :func:`evaluate` reports, with intervals, in this order."""
"""Every score name that :func:`scores_from_counts` or :func:`probability_score` defines."""


def _ratio(numerator, denominator):
    # The zero-division convention, in one place: 0.0.
    return float(numerator / denominator) if denominator else 0.0


def scores_from_counts(tn, fp, fn, tp):
    """The threshold scores of a binary classifier from its confusion counts.

    The one definition of :data:`THRESHOLD_SCORES` in skxray; a zero
    denominator gives 0.0 (see the module docstring).

    Parameters
    ----------
    tn, fp, fn, tp : int or float
        True negatives, false positives, false negatives and true positives
        (floats for weighted counts, as Keras accumulates them).

    Returns
    -------
    scores : dict of str to float
        ``f1``, ``precision``, ``sensitivity`` (= recall), ``specificity``,
        ``accuracy`` and ``balanced_accuracy`` (mean of sensitivity and
        specificity).

    Examples
    --------
    >>> from skxray.evaluation._scores import scores_from_counts
    >>> s = scores_from_counts(tn=1, fp=1, fn=0, tp=2)
    >>> round(s["f1"], 4), s["precision"], s["specificity"], s["balanced_accuracy"]
    (0.8, 0.6666666666666666, 0.5, 0.75)
    >>> scores_from_counts(tn=5, fp=0, fn=0, tp=0)["f1"]  # no positive at all
    0.0
    """
    sensitivity = _ratio(tp, tp + fn)
    specificity = _ratio(tn, tn + fp)
    return {
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "precision": _ratio(tp, tp + fp),
        "sensitivity": sensitivity,
        "specificity": specificity,
        "accuracy": _ratio(tp + tn, tn + fp + fn + tp),
        "balanced_accuracy": (sensitivity + specificity) / 2,
    }


def scores_from_confusion(confusion):
    """Per-class and macro-averaged threshold scores from a confusion matrix.

    Each class is scored one-vs-rest by :func:`scores_from_counts`; the
    macro average is the unweighted mean over classes, as scikit-learn's
    ``average="macro"`` (so ``"f1"`` is scikit-learn's ``f1_macro`` with
    ``zero_division=0.0``). ``accuracy`` is the fraction on the diagonal and
    ``balanced_accuracy`` the macro sensitivity (scikit-learn's definition).
    For two classes, the scores of class 1 are those of
    :func:`scores_from_counts`.

    Parameters
    ----------
    confusion : array-like of shape (n_classes, n_classes)
        Counts, rows the true class and columns the predicted one.

    Returns
    -------
    scores : dict of str to float
        The macro-averaged :data:`THRESHOLD_SCORES`, plus ``per_class``: a
        list with one dict of ``f1``, ``precision``, ``sensitivity`` and
        ``specificity`` per class.

    Examples
    --------
    >>> from skxray.evaluation._scores import scores_from_confusion
    >>> s = scores_from_confusion([[3, 1, 0], [0, 2, 2], [0, 0, 4]])
    >>> round(s["f1"], 4), s["accuracy"], round(s["balanced_accuracy"], 4)
    (0.7429, 0.75, 0.75)
    >>> [round(c["f1"], 4) for c in s["per_class"]]
    [0.8571, 0.5714, 0.8]
    """
    confusion = np.asarray(confusion, dtype=float)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1] or len(confusion) < 2:
        raise ValueError(
            f"confusion must be a square matrix of at least 2 classes, got shape {confusion.shape}."
        )
    total = confusion.sum()
    per_class = []
    for k in range(len(confusion)):
        tp = confusion[k, k]
        fn = confusion[k].sum() - tp
        fp = confusion[:, k].sum() - tp
        scores = scores_from_counts(total - tp - fn - fp, fp, fn, tp)
        per_class.append({name: scores[name] for name in _PER_CLASS_SCORES})
    macro = {name: float(np.mean([c[name] for c in per_class])) for name in _PER_CLASS_SCORES}
    return {
        **macro,
        "accuracy": _ratio(np.trace(confusion), total),
        "balanced_accuracy": macro["sensitivity"],
        "per_class": per_class,
    }


_PER_CLASS_SCORES = ("f1", "precision", "sensitivity", "specificity")


def probability_score(name, y_true, y_score):
    """A score of predicted probabilities: ROC-AUC or average precision.

    The one definition of :data:`PROBABILITY_SCORES` in skxray. With one
    probability per sample, it scores the positive class; with one column
    per class (a multiclass problem), it is the macro average of the
    one-vs-rest scores (scikit-learn's ``roc_auc_ovr`` and macro average
    precision).

    Parameters
    ----------
    name : {"roc_auc", "average_precision"}
    y_true : ndarray of shape (n_samples,)
        True labels: 0 or 1, or the class indices 0 to n_classes - 1.
    y_score : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Predicted probability of the positive class, or of each class.

    Returns
    -------
    score : float
        nan when ``y_true`` lacks a class.

    Examples
    --------
    >>> from skxray.evaluation._scores import probability_score
    >>> probability_score("roc_auc", [0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9])
    1.0
    >>> probability_score("average_precision", [1, 1], [0.1, 0.6])
    nan
    >>> proba = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]
    >>> probability_score("roc_auc", [0, 1, 2, 0], proba)
    1.0
    """
    constraints = {"name": [StrOptions(set(PROBABILITY_SCORES))]}
    validate_params(constraints, {"name": name}, "probability_score")
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    if y_score.ndim == 2 and y_score.shape[1] == 1:
        y_score = y_score.ravel()
    n_classes = 2 if y_score.ndim == 1 else y_score.shape[1]
    if np.unique(y_true).size != n_classes:
        return float("nan")
    if y_score.ndim == 1:
        score = roc_auc_score if name == "roc_auc" else average_precision_score
        return float(score(y_true, y_score))
    if name == "roc_auc":
        return float(roc_auc_score(y_true, y_score, multi_class="ovr", average="macro"))
    one_hot = np.eye(n_classes, dtype=int)[y_true.astype(int)]
    return float(average_precision_score(one_hot, y_score, average="macro"))


def _check_binary(y_true, y_score):
    y_true = np.asarray(y_true).astype(int)
    y_score = np.asarray(y_score, dtype=float)
    if y_true.shape != y_score.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_score must be 1-D of the same length, got shapes "
            f"{y_true.shape} and {y_score.shape}."
        )
    if np.any((y_true != 0) & (y_true != 1)):
        raise ValueError(f"y_true must be 0 or 1, got labels {np.unique(y_true).tolist()}.")
    return y_true, y_score


def binary_scores(y_true, y_score, threshold=0.5):
    """F1, precision, sensitivity, specificity, ROC-AUC and accuracy at a threshold.

    The scores are those of :func:`scores_from_counts` (a zero denominator
    gives 0.0) and :func:`probability_score` (nan when ``y_true`` has one class).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, 1 = positive (PNEUMONIA).
    y_score : array-like of shape (n_samples,)
        Predicted probability of the positive class.
    threshold : float, default=0.5
        Scores at or above it are called positive.

    Returns
    -------
    scores : dict
        ``f1``, ``precision``, ``sensitivity`` (= recall), ``specificity``,
        ``roc_auc`` (nan when ``y_true`` has one class), ``accuracy``,
        ``balanced_accuracy`` and ``confusion_matrix`` (rows: true 0/1;
        columns: predicted 0/1).

    Examples
    --------
    >>> from skxray import binary_scores
    >>> s = binary_scores([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9])
    >>> s["sensitivity"], s["specificity"], s["roc_auc"]
    (1.0, 0.5, 1.0)
    >>> s["confusion_matrix"].tolist()
    [[1, 1], [0, 2]]
    """
    y_true, y_score = _check_binary(y_true, y_score)
    y_pred = (y_score >= threshold).astype(int)
    cm = np.bincount(2 * y_true + y_pred, minlength=4).reshape(2, 2)
    scores = scores_from_counts(*cm.ravel())
    return {
        **{name: scores[name] for name in ("f1", "precision", "sensitivity", "specificity")},
        "roc_auc": probability_score("roc_auc", y_true, y_score),
        "accuracy": scores["accuracy"],
        "balanced_accuracy": scores["balanced_accuracy"],
        "confusion_matrix": cm,
    }
