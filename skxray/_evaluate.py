"""evaluate(): held-out scores with bootstrap confidence intervals, and their plots."""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.utils import check_random_state

from ._metrics import _check_binary, binary_scores
from ._validation import integer, real, validate_params

_SCORES = ("f1", "precision", "sensitivity", "specificity", "roc_auc", "accuracy")


@dataclass
class EvaluationReport:
    """Result of :func:`evaluate`.

    Attributes
    ----------
    scores : dict of str to float
        Point estimates: f1, precision, sensitivity, specificity, roc_auc, accuracy,
        as :func:`~skxray.binary_scores` computes them.
    ci : dict of str to (float, float)
        Percentile bootstrap intervals at ``confidence``, of the same scores
        computed the same way on each resample.
    confusion_matrix : ndarray of shape (2, 2)
        Rows: true 0/1; columns: predicted 0/1.
    threshold, confidence, n_bootstrap : float, float, int
    y_true, y_score : ndarray
        The labels and positive-class probabilities evaluated.
    figure_ : matplotlib Figure or None
        ROC curve, reliability diagram and confusion matrix, when plotted.

    Examples
    --------
    >>> from skxray._evaluate import evaluate_scores
    >>> report = evaluate_scores([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3], n_bootstrap=20,
    ...                          random_state=0)
    >>> report.scores["roc_auc"]
    1.0
    """

    scores: dict
    ci: dict
    confusion_matrix: np.ndarray
    threshold: float
    confidence: float
    n_bootstrap: int
    y_true: np.ndarray = field(repr=False)
    y_score: np.ndarray = field(repr=False)
    figure_: object = field(default=None, repr=False)

    def __str__(self):
        level = int(round(100 * self.confidence))
        lines = [f"{'score':<12} {'value':>6}   {level}% CI (bootstrap, n={self.n_bootstrap})"]
        for name in _SCORES:
            low, high = self.ci[name]
            lines.append(f"{name:<12} {self.scores[name]:>6.3f}   [{low:.3f}, {high:.3f}]")
        tn, fp, fn, tp = self.confusion_matrix.ravel()
        lines.append(
            f"confusion matrix at threshold {self.threshold:g}: TN {tn}  FP {fp}  FN {fn}  TP {tp}"
        )
        return "\n".join(lines)

    def plot(self, *, n_bins=10):
        """Draw the ROC curve, the reliability diagram and the confusion matrix.

        Parameters
        ----------
        n_bins : int, default=10
            Bins of the reliability diagram.

        Returns
        -------
        self : EvaluationReport
            With ``figure_`` set.
        """
        import matplotlib.pyplot as plt
        from sklearn.calibration import CalibrationDisplay
        from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay

        fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
        RocCurveDisplay.from_predictions(self.y_true, self.y_score, ax=axes[0])
        low, high = self.ci["roc_auc"]
        axes[0].set_title(f"ROC (AUC {self.scores['roc_auc']:.3f}, CI {low:.3f}-{high:.3f})")
        CalibrationDisplay.from_predictions(self.y_true, self.y_score, n_bins=n_bins, ax=axes[1])
        axes[1].set_title("Reliability diagram")
        ConfusionMatrixDisplay(self.confusion_matrix).plot(ax=axes[2], colorbar=False)
        axes[2].set_title(f"Confusion matrix (threshold {self.threshold:g})")
        self.figure_ = fig
        return self


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
):
    """Score a fitted binary classifier with bootstrap confidence intervals.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba`` (or a Pipeline)
    X : array-like
        Held-out input (images, or paths for a Pipeline).
    y : array-like of shape (n_samples,)
        True labels, 1 = positive (PNEUMONIA).
    threshold : float, default=0.5
        Probability at or above which a case is called positive.
    n_bootstrap : int, default=1000
        Bootstrap resamples of the held-out set (percentile intervals).
    confidence : float, default=0.95
    random_state : int, RandomState instance or None, default=None
    plot : bool, default=True
        Draw the ROC curve, reliability diagram and confusion matrix.

    Returns
    -------
    report : EvaluationReport

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier, evaluate
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(60, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=2, random_state=0)
    >>> clf = clf.fit(data.images[:40], data.target[:40])
    >>> report = evaluate(clf, data.images[40:], data.target[40:], n_bootstrap=200,
    ...                   random_state=0, plot=False)
    >>> sorted(report.ci) == sorted(report.scores)
    True
    """
    y_score = estimator.predict_proba(X)[:, 1]
    return evaluate_scores(
        y,
        y_score,
        threshold=threshold,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        random_state=random_state,
        plot=plot,
    )


_EVALUATE_CONSTRAINTS = {
    "threshold": [real()],
    "n_bootstrap": [integer(1, None, closed="left")],
    "confidence": [real(0, 1, closed="neither")],
    "random_state": ["random_state"],
    "plot": ["boolean"],
}


def evaluate_scores(
    y_true,
    y_score,
    *,
    threshold=0.5,
    n_bootstrap=1000,
    confidence=0.95,
    random_state=None,
    plot=False,
):
    """:func:`evaluate` on given labels and positive-class probabilities.

    The point estimates are :func:`~skxray.binary_scores`; the intervals are
    percentiles of the same function over ``n_bootstrap`` resamples of the
    (label, score) pairs, drawn with replacement. A resample on which a score
    is undefined (ROC-AUC when it holds one class) is left out of that
    score's interval; the threshold scores are always defined (a zero
    denominator gives 0.0, in the point estimate and in the resamples alike).

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
        Draw the ROC curve, reliability diagram and confusion matrix.

    Returns
    -------
    report : EvaluationReport

    Examples
    --------
    >>> from skxray._evaluate import evaluate_scores
    >>> r = evaluate_scores([0, 0, 1, 1, 1], [0.2, 0.6, 0.7, 0.8, 0.4], n_bootstrap=50,
    ...                     random_state=0)
    >>> round(r.scores["sensitivity"], 3), r.confusion_matrix.tolist()
    (0.667, [[1, 1], [1, 2]])
    """
    params = dict(
        threshold=threshold,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        random_state=random_state,
        plot=plot,
    )
    validate_params(_EVALUATE_CONSTRAINTS, params, "evaluate")
    y_true, y_score = _check_binary(y_true, y_score)
    point = binary_scores(y_true, y_score, threshold)
    # A plain percentile bootstrap over binary_scores rather than scipy.stats.bootstrap
    # (paired=True, method="percentile"), which would draw the same kind of resamples but
    # takes its percentiles with nan propagating: one resample with a single class (ROC-AUC
    # undefined) would make the whole ROC-AUC interval nan, with a DegenerateDataWarning.
    # That is routine on small or imbalanced held-out sets (30 images, 3 positive: ~4% of
    # resamples), so undefined resamples are left out per score instead (np.nanpercentile).
    rng = check_random_state(random_state)
    n = len(y_true)
    samples = np.empty((n_bootstrap, len(_SCORES)))
    for b in range(n_bootstrap):
        idx = rng.randint(0, n, n)
        scores = binary_scores(y_true[idx], y_score[idx], threshold)
        samples[b] = [scores[name] for name in _SCORES]
    tail = 100 * (1 - confidence) / 2
    with warnings.catch_warnings():  # a score undefined on every resample: a nan interval
        warnings.simplefilter("ignore", RuntimeWarning)
        lows, highs = np.nanpercentile(samples, [tail, 100 - tail], axis=0)
    ci = {name: (float(lo), float(hi)) for name, lo, hi in zip(_SCORES, lows, highs, strict=True)}
    report = EvaluationReport(
        scores={name: point[name] for name in _SCORES},
        ci=ci,
        confusion_matrix=point["confusion_matrix"],
        threshold=threshold,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        y_true=y_true,
        y_score=y_score,
    )
    return report.plot() if plot else report
