"""TrainingHistoryDisplay: loss and a score per epoch, training vs validation."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..utils._estimators import final_estimator
from ..utils._param_validation import validate_params

_SCORE_TITLES = {
    "f1": "F1 (positive class)",
    "precision": "Precision (positive class)",
    "recall": "Recall (positive class)",
    "sensitivity": "Sensitivity",
    "specificity": "Specificity",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "roc_auc": "ROC-AUC",
    "average_precision": "Average precision",
}


class TrainingHistoryDisplay:
    """Loss and a score per epoch, training vs validation, in scikit-learn's Display style.

    Create it with :meth:`from_estimator`; it plots on creation and can be
    plotted again with :meth:`plot`.

    Parameters
    ----------
    history : dict of list of float
        An estimator's ``history_``.
    score : str, default="f1"
        The history key plotted beside the loss (with its ``val_`` twin):
        the ``EpochScores`` callback's ``scoring``,
        or any compiled metric such as ``"roc_auc"``.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
    axes_ : ndarray of matplotlib.axes.Axes
        The loss and the score axes.

    Examples
    --------
    >>> from skxray import TrainingHistoryDisplay
    >>> history = {"loss": [0.7, 0.5], "val_loss": [0.7, 0.6], "f1": [0.5, 0.8],
    ...            "val_f1": [0.4, 0.7], "val_roc_auc": [0.6, 0.9]}
    >>> display = TrainingHistoryDisplay(history).plot()
    >>> [ax.get_title() for ax in display.axes_]
    ['Loss', 'F1 (positive class)']
    >>> display = TrainingHistoryDisplay(history, score="roc_auc").plot()
    >>> display.axes_[1].get_title(), len(display.axes_[1].lines)
    ('ROC-AUC', 1)
    """

    def __init__(self, history, *, score="f1"):
        self.history = history
        self.score = score

    @classmethod
    def from_estimator(cls, estimator, *, score="f1", axes=None):
        """Plot the history of a fitted skxray estimator.

        Parameters
        ----------
        estimator : fitted estimator with ``history_``, or a Pipeline ending in one.
        score : str, default="f1"
            The history key plotted beside the loss, with its ``val_`` twin.
        axes : sequence of two matplotlib Axes, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        display : TrainingHistoryDisplay
        """
        final = final_estimator(estimator)
        check_is_fitted(final, "history_")
        return cls(final.history_, score=score).plot(axes=axes)

    def plot(self, *, axes=None):
        """Draw the loss and the score curves.

        Parameters
        ----------
        axes : sequence of two matplotlib Axes, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        self : TrainingHistoryDisplay
        """
        import matplotlib.pyplot as plt

        validate_params({"score": [str]}, {"score": self.score}, type(self).__name__)
        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
        axes = np.asarray(axes).ravel()
        titles = ("Loss", _SCORE_TITLES.get(self.score, self.score))
        for ax, key, title in zip(axes, ("loss", self.score), titles, strict=True):
            for prefix, label in (("", "training"), ("val_", "validation")):
                values = self.history.get(prefix + key)
                if values:
                    ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=label)
            ax.set(title=title, xlabel="epoch")
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend()
        self.axes_ = axes
        self.figure_ = axes[0].figure
        return self


def plot_learning_curves(estimator, *, score="f1", axes=None):
    """Plot a fitted estimator's loss and F1 (or another score) per epoch.

    Training vs validation, from the estimator's ``history_``.

    Parameters
    ----------
    estimator : fitted skxray estimator, or a Pipeline ending in one
    score : str, default="f1"
        The history key plotted beside the loss, with its ``val_`` twin:
        the ``EpochScores`` callback's ``scoring`` or a compiled metric.
    axes : sequence of two matplotlib Axes, default=None

    Returns
    -------
    display : TrainingHistoryDisplay
        With ``figure_`` and ``axes_``.

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier, plot_learning_curves
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=2, validation_split=0.25, random_state=0)
    >>> display = plot_learning_curves(clf.fit(data.images, data.target))
    >>> len(display.axes_[0].lines)
    2
    """
    return TrainingHistoryDisplay.from_estimator(estimator, score=score, axes=axes)
