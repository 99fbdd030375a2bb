"""evaluate(): held-out scores with bootstrap confidence intervals, and their plots."""

from dataclasses import dataclass, field

import numpy as np

from ..utils._param_validation import integer, invalid, real, validates
from ._bootstrap import bootstrap_intervals
from ._multiclass import evaluate_multiclass_scores
from ._scores import REPORTED_SCORES, _check_binary, binary_scores, probability_score

_REPR_SCORES = ("roc_auc", "average_precision", "f1")
_DEFAULT_NAMES = ("negative", "positive")


@dataclass
class EvaluationReport:
    """Result of :func:`evaluate`.

    Attributes
    ----------
    scores : dict of str to float
        Point estimates: f1, precision, sensitivity, specificity, roc_auc and
        accuracy as :func:`~skxray.binary_scores` computes them, and
        average_precision (the area under the precision-recall curve) as
        ``skxray.evaluation._scores.probability_score`` computes it.
    ci : dict of str to (float, float)
        Percentile bootstrap intervals at ``confidence``, of the same scores
        computed the same way on each resample.
    confusion_matrix : ndarray of shape (2, 2)
        Rows: true 0/1; columns: predicted 0/1.
    threshold, confidence, n_bootstrap : float, float, int
    y_true, y_score : ndarray
        The labels and positive-class probabilities evaluated.
    target_names : tuple of str
        Names of labels 0 and 1, used in the text and the plots.
    figure_ : matplotlib Figure or None
        ROC curve, precision-recall curve, reliability diagram and confusion
        matrix, when plotted.

    Examples
    --------
    >>> from skxray.evaluation._evaluate import evaluate_scores
    >>> report = evaluate_scores([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3], n_bootstrap=20,
    ...                          random_state=0, target_names=["NORMAL", "PNEUMONIA"])
    >>> report.scores["roc_auc"], report.scores["average_precision"]
    (1.0, 1.0)
    >>> report
    <EvaluationReport: 4 images (2 PNEUMONIA), threshold 0.5, roc_auc 1.000, ...>
    """

    scores: dict
    ci: dict
    confusion_matrix: np.ndarray
    threshold: float
    confidence: float
    n_bootstrap: int
    y_true: np.ndarray = field(repr=False)
    y_score: np.ndarray = field(repr=False)
    target_names: tuple = _DEFAULT_NAMES
    figure_: object = field(default=None, repr=False)

    def __str__(self):
        level = int(round(100 * self.confidence))
        width = max(len(name) for name in REPORTED_SCORES)
        lines = [f"{'score':<{width}} {'value':>6}   {level}% CI (bootstrap, n={self.n_bootstrap})"]
        for name in REPORTED_SCORES:
            low, high = self.ci[name]
            lines.append(f"{name:<{width}} {self.scores[name]:>6.3f}   [{low:.3f}, {high:.3f}]")
        tn, fp, fn, tp = self.confusion_matrix.ravel()
        named = "" if self.target_names == _DEFAULT_NAMES else f" ({self.target_names[1]} positive)"
        lines.append(
            f"confusion matrix at threshold {self.threshold:g}{named}: "
            f"TN {tn}  FP {fp}  FN {fn}  TP {tp}"
        )
        return "\n".join(lines)

    def __repr__(self):
        level = int(round(100 * self.confidence))
        shown = ", ".join(f"{name} {self.scores[name]:.3f}" for name in _REPR_SCORES)
        return (
            f"<EvaluationReport: {len(self.y_true)} images ({int(self.y_true.sum())} "
            f"{self.target_names[1]}), threshold {self.threshold:g}, {shown}; "
            f"{level}% CIs from {self.n_bootstrap} resamples>"
        )

    def plot(self, *, n_bins=10):
        """Draw the ROC and precision-recall curves, reliability diagram and confusion matrix.

        The axes name the classes (``target_names``), the positive one being
        label 1.

        Parameters
        ----------
        n_bins : int, default=10
            Bins of the reliability diagram.

        Returns
        -------
        self : EvaluationReport
            With ``figure_`` set: a 2 x 2 grid of the ROC curve, the
            precision-recall curve, the reliability diagram and the confusion
            matrix.

        Examples
        --------
        >>> from skxray.evaluation._evaluate import evaluate_scores
        >>> report = evaluate_scores([0, 1, 1, 0], [0.1, 0.9, 0.6, 0.3], n_bootstrap=20,
        ...                          random_state=0, target_names=["NORMAL", "PNEUMONIA"])
        >>> roc, pr, calibration, matrix = report.plot().figure_.axes
        >>> roc.get_ylabel()
        'True positive rate (PNEUMONIA found)'
        >>> print(pr.get_title())
        Precision-recall curve
        AP 1.000, 95% CI 1.000-1.000
        >>> [tick.get_text() for tick in matrix.get_xticklabels()]
        ['NORMAL', 'PNEUMONIA']
        """
        import matplotlib.pyplot as plt
        from sklearn.calibration import CalibrationDisplay
        from sklearn.metrics import (
            ConfusionMatrixDisplay,
            PrecisionRecallDisplay,
            RocCurveDisplay,
        )

        negative, positive = self.target_names
        level = int(round(100 * self.confidence))

        def title(name, short):
            low, high = self.ci[name]
            return f"{short} {self.scores[name]:.3f}, {level}% CI {low:.3f}-{high:.3f}"

        fig, axes = plt.subplots(2, 2, figsize=(10, 8.6), layout="constrained")
        (roc, pr), (calibration, matrix) = axes
        # scikit-learn labels the axes "(Positive label: 1)"; they name the classes instead.
        RocCurveDisplay.from_predictions(
            self.y_true, self.y_score, pos_label=1, ax=roc, plot_chance_level=True
        )
        roc.set(
            title=f"ROC curve\n{title('roc_auc', 'AUC')}",
            xlabel=f"False positive rate ({negative} called {positive})",
            ylabel=f"True positive rate ({positive} found)",
        )
        PrecisionRecallDisplay.from_predictions(
            self.y_true, self.y_score, pos_label=1, ax=pr, plot_chance_level=True
        )
        pr.set(
            title=f"Precision-recall curve\n{title('average_precision', 'AP')}",
            xlabel=f"Recall ({positive} found)",
            ylabel=f"Precision ({positive} calls correct)",
        )
        CalibrationDisplay.from_predictions(
            self.y_true, self.y_score, n_bins=n_bins, pos_label=1, ax=calibration
        )
        calibration.set(
            title="Reliability diagram",
            xlabel=f"Mean predicted probability of {positive}",
            ylabel=f"Observed fraction of {positive}",
        )
        ConfusionMatrixDisplay(self.confusion_matrix, display_labels=list(self.target_names)).plot(
            ax=matrix, colorbar=False
        )
        matrix.set_title(f"Confusion matrix (threshold {self.threshold:g})")
        self.figure_ = fig
        return self


_EVALUATE_CONSTRAINTS = {
    "threshold": [real()],
    "n_bootstrap": [integer(1, None, closed="left")],
    "confidence": [real(0, 1, closed="neither")],
    "random_state": ["random_state"],
    "plot": ["boolean"],
    "target_names": [None, "array-like"],
}


@validates(_EVALUATE_CONSTRAINTS)
def evaluate(
    estimator,
    X,
    y,
    *,
    threshold=0.5,
    n_bootstrap=1000,
    confidence=0.95,
    random_state=None,
    plot=True,
    target_names=None,
):
    """Score a fitted classifier on held-out data, with bootstrap confidence intervals.

    A binary classifier is scored for its positive class (label 1) at
    ``threshold``: an :class:`EvaluationReport`. A classifier of three
    classes or more (NORMAL, BACTERIA, VIRUS) predicts the most probable
    class and is scored per class and by macro average, with one-vs-rest
    ROC curves and the full confusion matrix: a
    :class:`~skxray.MulticlassEvaluationReport`.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba`` (or a Pipeline)
    X : array-like
        Held-out input (images, or paths for a Pipeline).
    y : array-like of shape (n_samples,)
        True labels: 1 = positive (PNEUMONIA) for a binary classifier, the
        labels of ``estimator.classes_`` otherwise.
    threshold : float, default=0.5
        Probability at or above which a case is called positive; binary
        classifiers only (must stay 0.5 for three classes or more).
    n_bootstrap : int, default=1000
        Bootstrap resamples of the held-out set (percentile intervals).
    confidence : float, default=0.95
    random_state : int, RandomState instance or None, default=None
    plot : bool, default=True
        Draw the ROC and precision-recall curves, the reliability diagram and
        the confusion matrix.
    target_names : sequence of str, default=None
        Names of the classes for the text and the plots, e.g. a loader's
        ``data.target_names`` (``["NORMAL", "PNEUMONIA"]``). ``None`` says
        "negative" and "positive" (binary) or "class 0", "class 1"...:
        skxray cannot tell from labels alone which classes they are. A
        classifier of three classes or more whose ``classes_`` are strings
        (fitted on ``"BACTERIA"``...) is named by them.

    Returns
    -------
    report : EvaluationReport or MulticlassEvaluationReport

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier, evaluate
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(60, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=2, random_state=0)
    >>> clf = clf.fit(data.images[:40], data.target[:40])
    >>> report = evaluate(clf, data.images[40:], data.target[40:], n_bootstrap=200,
    ...                   random_state=0, plot=False, target_names=data.target_names)
    >>> sorted(report.ci) == sorted(report.scores), report.target_names
    (True, ('NORMAL', 'OPACITY'))
    """
    proba = np.asarray(estimator.predict_proba(X))
    if proba.shape[1] > 2:
        return _evaluate_multiclass(
            estimator,
            proba,
            y,
            threshold,
            n_bootstrap,
            confidence,
            random_state,
            plot,
            target_names,
        )
    y_score = proba[:, 1]
    return evaluate_scores(
        y,
        y_score,
        threshold=threshold,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        random_state=random_state,
        plot=plot,
        target_names=target_names,
    )


def _evaluate_multiclass(
    estimator, proba, y, threshold, n_bootstrap, confidence, random_state, plot, target_names
):
    classes = np.asarray(estimator.classes_)
    if threshold != 0.5:
        invalid(
            "threshold",
            "evaluate",
            f"0.5 for a classifier of {len(classes)} classes, which predicts the most probable",
            threshold,
        )
    y = np.asarray(y)
    unknown = sorted(set(np.unique(y).tolist()) - set(classes.tolist()))
    if unknown:
        raise ValueError(f"y holds labels {unknown} that are not in classes_ {classes.tolist()}.")
    if target_names is None and classes.dtype.kind in "US":  # classes_ that are names
        target_names = [str(c) for c in classes]
    return evaluate_multiclass_scores(
        np.searchsorted(classes, y),  # classes_ is sorted, as np.unique gives it
        proba,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        random_state=random_state,
        plot=plot,
        target_names=target_names,
    )


def _check_target_names(target_names):
    if target_names is None:
        return _DEFAULT_NAMES
    names = tuple(target_names)
    if len(names) != 2 or not all(isinstance(name, str) for name in names):
        invalid("target_names", "evaluate", "None or two str (the names of labels 0 and 1)", names)
    return names


@validates(_EVALUATE_CONSTRAINTS, caller="evaluate")
def evaluate_scores(
    y_true,
    y_score,
    *,
    threshold=0.5,
    n_bootstrap=1000,
    confidence=0.95,
    random_state=None,
    plot=False,
    target_names=None,
):
    """:func:`evaluate` on given labels and positive-class probabilities.

    The point estimates are :func:`~skxray.binary_scores`, and the average
    precision of ``skxray.evaluation._scores.probability_score``; the intervals are
    percentiles of the same functions over ``n_bootstrap`` resamples of the
    (label, score) pairs, drawn with replacement. A resample on which a score
    is undefined (ROC-AUC and average precision when it holds one class) is
    left out of that score's interval; the threshold scores are always
    defined (a zero denominator gives 0.0, in the point estimate and in the
    resamples alike).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, 1 = positive (PNEUMONIA).
    y_score : array-like of shape (n_samples,)
        Predicted probability of the positive class.
    threshold : float, default=0.5
        Probability at or above which a case is called positive.
    n_bootstrap : int, default=1000
        Bootstrap resamples (percentile intervals).
    confidence : float, default=0.95
    random_state : int, RandomState instance or None, default=None
    plot : bool, default=False
        Draw the ROC and precision-recall curves, the reliability diagram and
        the confusion matrix.
    target_names : sequence of two str, default=None
        Names of labels 0 and 1 for the text and the plots; ``None`` says
        "negative" and "positive".

    Returns
    -------
    report : EvaluationReport

    Examples
    --------
    >>> from skxray.evaluation._evaluate import evaluate_scores
    >>> r = evaluate_scores([0, 0, 1, 1, 1], [0.2, 0.6, 0.7, 0.8, 0.4], n_bootstrap=50,
    ...                     random_state=0)
    >>> round(r.scores["sensitivity"], 3), r.confusion_matrix.tolist()
    (0.667, [[1, 1], [1, 2]])
    """
    target_names = _check_target_names(target_names)
    y_true, y_score = _check_binary(y_true, y_score)

    def all_scores(y_true, y_score):
        scores = binary_scores(y_true, y_score, threshold)
        scores["average_precision"] = probability_score("average_precision", y_true, y_score)
        return scores

    point = all_scores(y_true, y_score)
    ci = bootstrap_intervals(
        all_scores, y_true, y_score, REPORTED_SCORES, n_bootstrap, confidence, random_state
    )
    report = EvaluationReport(
        scores={name: point[name] for name in REPORTED_SCORES},
        ci=ci,
        confusion_matrix=point["confusion_matrix"],
        threshold=threshold,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        y_true=y_true,
        y_score=y_score,
        target_names=target_names,
    )
    return report.plot() if plot else report
