"""Scores with bootstrap intervals, evaluation reports and plots, and training histories."""

from ._evaluate import EvaluationReport, evaluate
from ._history import TrainingHistoryDisplay, plot_learning_curves
from ._multiclass import MulticlassEvaluationReport
from ._scores import binary_scores

__all__ = [
    "EvaluationReport",
    "MulticlassEvaluationReport",
    "TrainingHistoryDisplay",
    "binary_scores",
    "evaluate",
    "plot_learning_curves",
]
