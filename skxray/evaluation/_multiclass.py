"""evaluate() for three classes or more: per-class and macro scores, one-vs-rest ROC curves."""

from dataclasses import dataclass, field

import numpy as np

from ..utils._param_validation import invalid
from ._bootstrap import bootstrap_intervals
from ._scores import (
    _PER_CLASS_SCORES,
    REPORTED_SCORES,
    probability_score,
    scores_from_confusion,
)

MACRO_SCORES = (*REPORTED_SCORES, "balanced_accuracy")
"""The scores of :class:`MulticlassEvaluationReport`: macro averages, and accuracy."""
PER_CLASS_SCORES = (*_PER_CLASS_SCORES, "roc_auc")
"""The one-vs-rest scores of each class."""


@dataclass
class MulticlassEvaluationReport:
    """Result of :func:`~skxray.evaluate` for a classifier of three classes or more.

    The predicted class is the most probable one (no threshold).

    Attributes
    ----------
    scores : dict of str to float
        ``f1`` (scikit-learn's ``f1_macro``), ``precision``, ``sensitivity``
        and ``specificity``: unweighted means of the one-vs-rest scores of
        the classes; ``roc_auc`` and ``average_precision``: macro one-vs-rest
        (scikit-learn's ``roc_auc_ovr``); ``accuracy`` and
        ``balanced_accuracy`` (the mean sensitivity).
    ci : dict of str to (float, float)
        Percentile bootstrap intervals of ``scores`` at ``confidence``.
    per_class : dict of str to dict
        For each class name, its one-vs-rest ``f1``, ``precision``,
        ``sensitivity``, ``specificity`` and ``roc_auc``.
    per_class_ci : dict of str to dict
        Their bootstrap intervals.
    confusion_matrix : ndarray of shape (n_classes, n_classes)
        Rows: true class; columns: predicted class.
    confidence, n_bootstrap : float, int
    y_true : ndarray of shape (n_samples,)
        Class indices 0 to n_classes - 1.
    y_score : ndarray of shape (n_samples, n_classes)
        Predicted probabilities.
    target_names : tuple of str
    figure_ : matplotlib Figure or None
        One-vs-rest ROC curves and the confusion matrix, when plotted.

    Examples
    --------
    >>> from skxray.evaluation._multiclass import evaluate_multiclass_scores
    >>> proba = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.5, 0.4], [0.5, 0.4, 0.1]]
    >>> report = evaluate_multiclass_scores([0, 1, 2, 0], proba, n_bootstrap=20,
    ...                                     random_state=0, target_names=["N", "B", "V"])
    >>> report.confusion_matrix.tolist()
    [[2, 0, 0], [0, 1, 0], [0, 1, 0]]
    >>> report.per_class["V"]["f1"], report.per_class["V"]["roc_auc"]
    (0.0, 1.0)
    """

    scores: dict
    ci: dict
    per_class: dict
    per_class_ci: dict
    confusion_matrix: np.ndarray
    confidence: float
    n_bootstrap: int
    y_true: np.ndarray = field(repr=False)
    y_score: np.ndarray = field(repr=False)
    target_names: tuple = ()
    figure_: object = field(default=None, repr=False)

    def __str__(self):
        level = int(round(100 * self.confidence))
        width = max(len(name) for name in MACRO_SCORES) + len(" (macro)")
        lines = [f"{'score':<{width}} {'value':>6}   {level}% CI (bootstrap, n={self.n_bootstrap})"]
        for name in MACRO_SCORES:
            label = name if name.startswith(("accuracy", "balanced")) else f"{name} (macro)"
            low, high = self.ci[name]
            lines.append(f"{label:<{width}} {self.scores[name]:>6.3f}   [{low:.3f}, {high:.3f}]")
        names = list(self.target_names)
        column = max(len(n) for n in names)
        lines.append("")
        lines.append(f"{'class':<{column}}  " + "  ".join(f"{s:>11}" for s in PER_CLASS_SCORES))
        for name in names:
            cells = [f"{self.per_class[name][s]:>11.3f}" for s in PER_CLASS_SCORES]
            lines.append(f"{name:<{column}}  " + "  ".join(cells))
        lines.append("")
        lines.append("confusion matrix (rows: true, columns: predicted, most probable class)")
        lines.append(" " * (column + 2) + " ".join(f"{n:>{column}}" for n in names))
        for name, row in zip(names, self.confusion_matrix, strict=True):
            lines.append(f"{name:<{column}}  " + " ".join(f"{v:>{column}}" for v in row))
        return "\n".join(lines)

    def __repr__(self):
        level = int(round(100 * self.confidence))
        return (
            f"<MulticlassEvaluationReport: {len(self.y_true)} images, classes "
            f"{list(self.target_names)}, f1_macro {self.scores['f1']:.3f}, roc_auc_ovr "
            f"{self.scores['roc_auc']:.3f}, accuracy {self.scores['accuracy']:.3f}; "
            f"{level}% CIs from {self.n_bootstrap} resamples>"
        )

    def plot(self):
        """Draw the one-vs-rest ROC curve of each class and the confusion matrix.

        Returns
        -------
        self : MulticlassEvaluationReport
            With ``figure_`` set.

        Examples
        --------
        >>> from skxray.evaluation._multiclass import evaluate_multiclass_scores
        >>> proba = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]
        >>> report = evaluate_multiclass_scores([0, 1, 2, 0], proba, n_bootstrap=20,
        ...                                     target_names=["N", "B", "V"]).plot()
        >>> roc, matrix = report.figure_.axes
        >>> [line.get_label().split(" (")[0] for line in roc.get_lines()][:3]
        ['N vs rest', 'B vs rest', 'V vs rest']
        """
        import matplotlib.pyplot as plt
        from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

        fig, (roc, matrix) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
        for k, name in enumerate(self.target_names):
            RocCurveDisplay.from_predictions(
                self.y_true == k,
                self.y_score[:, k],
                name=f"{name} vs rest",
                ax=roc,
                plot_chance_level=k == len(self.target_names) - 1,
            )
        low, high = self.ci["roc_auc"]
        level = int(round(100 * self.confidence))
        roc.set(
            title=f"One-vs-rest ROC curves\nmacro AUC {self.scores['roc_auc']:.3f}, "
            f"{level}% CI {low:.3f}-{high:.3f}",
            xlabel="False positive rate (other classes called this one)",
            ylabel="True positive rate (this class found)",
        )
        ConfusionMatrixDisplay(self.confusion_matrix, display_labels=list(self.target_names)).plot(
            ax=matrix, colorbar=False
        )
        matrix.set_title("Confusion matrix (most probable class)")
        self.figure_ = fig
        return self


def _all_scores(y_true, y_score):
    """Macro scores under their names, per-class ones as ``"<score>:<class index>"``."""
    k = y_score.shape[1]
    confusion = np.bincount(k * y_true + y_score.argmax(axis=1), minlength=k * k).reshape(k, k)
    threshold = scores_from_confusion(confusion)
    scores = {name: threshold[name] for name in MACRO_SCORES if name in threshold}
    for name in ("roc_auc", "average_precision"):
        scores[name] = probability_score(name, y_true, y_score)
    for c, per_class in enumerate(threshold["per_class"]):
        for name, value in per_class.items():
            scores[f"{name}:{c}"] = value
        scores[f"roc_auc:{c}"] = probability_score("roc_auc", y_true == c, y_score[:, c])
    scores["confusion_matrix"] = confusion
    return scores


def evaluate_multiclass_scores(
    y_true,
    y_score,
    *,
    n_bootstrap=1000,
    confidence=0.95,
    random_state=None,
    plot=False,
    target_names=None,
):
    """:func:`~skxray.evaluate` on class indices and per-class probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Class indices 0 to n_classes - 1 (the columns of ``y_score``).
    y_score : array-like of shape (n_samples, n_classes)
        Predicted probabilities, n_classes >= 3.
    n_bootstrap, confidence, random_state, plot :
        As :func:`~skxray.evaluate` (already validated there).
    target_names : sequence of str, default=None
        One name per class; ``None`` names them ``"class 0"``, ``"class 1"``...

    Returns
    -------
    report : MulticlassEvaluationReport
    """
    y_score = np.asarray(y_score, dtype=float)
    y_true = np.asarray(y_true)
    if y_score.ndim != 2 or y_score.shape[1] < 3 or y_true.shape != (len(y_score),):
        raise ValueError(
            f"y_true must be 1-D and y_score (n_samples, n_classes >= 3) of the same length; "
            f"got shapes {y_true.shape} and {y_score.shape}."
        )
    k = y_score.shape[1]
    if not np.issubdtype(y_true.dtype, np.integer) or y_true.min() < 0 or y_true.max() >= k:
        raise ValueError(
            f"y_true must hold class indices 0 to {k - 1}, got {np.unique(y_true).tolist()}."
        )
    names = tuple(f"class {c}" for c in range(k)) if target_names is None else target_names
    names = tuple(names)
    if len(names) != k or not all(isinstance(name, str) for name in names):
        invalid("target_names", "evaluate", f"None or {k} str, one per class", names)
    point = _all_scores(y_true, y_score)
    keys = [key for key in point if key != "confusion_matrix"]
    ci = bootstrap_intervals(
        _all_scores, y_true, y_score, keys, n_bootstrap, confidence, random_state
    )

    def per_class(values):
        return {
            name: {score: values[f"{score}:{c}"] for score in PER_CLASS_SCORES}
            for c, name in enumerate(names)
        }

    report = MulticlassEvaluationReport(
        scores={name: point[name] for name in MACRO_SCORES},
        ci={name: ci[name] for name in MACRO_SCORES},
        per_class=per_class(point),
        per_class_ci=per_class(ci),
        confusion_matrix=point["confusion_matrix"],
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        y_true=y_true,
        y_score=y_score,
        target_names=names,
    )
    return report.plot() if plot else report
