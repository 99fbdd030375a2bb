"""Scores of a binary X-ray classifier and the display of its training history."""

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.utils.validation import check_is_fitted


def binary_scores(y_true, y_score, threshold=0.5):
    """F1, precision, sensitivity, specificity, ROC-AUC and accuracy at a threshold.

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
        ``roc_auc`` (nan when ``y_true`` has one class), ``accuracy`` and
        ``confusion_matrix`` (rows: true 0/1; columns: predicted 0/1).

    Examples
    --------
    >>> from skxray import binary_scores
    >>> s = binary_scores([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9])
    >>> s["sensitivity"], s["specificity"], s["roc_auc"]
    (1.0, 0.5, 1.0)
    """
    y_true = np.asarray(y_true).astype(int)
    y_score = np.asarray(y_score, dtype=float)
    if y_true.shape != y_score.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_score must be 1-D of the same length, got shapes "
            f"{y_true.shape} and {y_score.shape}."
        )
    y_pred = (y_score >= threshold).astype(int)
    cm = confusion_matrix(y_true, y_pred, labels=[0, 1])
    tn, fp = cm[0]
    two_classes = len(np.unique(y_true)) == 2
    return {
        "f1": float(f1_score(y_true, y_pred, zero_division=0.0)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0.0)),
        "sensitivity": float(recall_score(y_true, y_pred, zero_division=0.0)),
        "specificity": float(tn / (tn + fp)) if tn + fp else float("nan"),
        "roc_auc": float(roc_auc_score(y_true, y_score)) if two_classes else float("nan"),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "confusion_matrix": cm,
    }


class TrainingHistoryDisplay:
    """Loss and F1 per epoch, training vs validation, in scikit-learn's Display style.

    Create it with :meth:`from_estimator`; it plots on creation and can be
    plotted again with :meth:`plot`.

    Parameters
    ----------
    history : dict of list of float
        An estimator's ``history_``.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
    axes_ : ndarray of matplotlib.axes.Axes
        The loss and the F1 axes.

    Examples
    --------
    >>> from skxray import TrainingHistoryDisplay
    >>> history = {"loss": [0.7, 0.5], "val_loss": [0.7, 0.6], "f1": [0.5, 0.8],
    ...            "val_f1": [0.4, 0.7]}
    >>> display = TrainingHistoryDisplay(history).plot()
    >>> [ax.get_title() for ax in display.axes_]
    ['Loss', 'F1 (positive class)']
    """

    def __init__(self, history):
        self.history = history

    @classmethod
    def from_estimator(cls, estimator, *, axes=None):
        """Plot the history of a fitted skxray estimator.

        Parameters
        ----------
        estimator : fitted estimator with ``history_``, or a Pipeline ending in one.
        axes : sequence of two matplotlib Axes, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        display : TrainingHistoryDisplay
        """
        final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
        check_is_fitted(final, "history_")
        return cls(final.history_).plot(axes=axes)

    def plot(self, *, axes=None):
        """Draw loss and F1 curves.

        Parameters
        ----------
        axes : sequence of two matplotlib Axes, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        self : TrainingHistoryDisplay
        """
        import matplotlib.pyplot as plt

        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
        axes = np.asarray(axes).ravel()
        for ax, key, title in zip(
            axes, ("loss", "f1"), ("Loss", "F1 (positive class)"), strict=True
        ):
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


def plot_learning_curves(estimator, *, axes=None):
    """Plot a fitted estimator's loss and F1 per epoch, training vs validation.

    Parameters
    ----------
    estimator : fitted skxray estimator, or a Pipeline ending in one
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
    return TrainingHistoryDisplay.from_estimator(estimator, axes=axes)
