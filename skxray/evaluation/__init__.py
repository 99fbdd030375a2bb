"""Scores with bootstrap intervals, evaluation reports and plots, training histories, and
the check of a fitted model's inputs (is this image one it can judge?)."""

from ._evaluate import EvaluationReport, evaluate
from ._history import TrainingHistoryDisplay, plot_learning_curves
from ._input_check import InputCheck, calibrate_input_check, check_inputs
from ._multiclass import MulticlassEvaluationReport
from ._scores import binary_scores

__all__ = [
    "EvaluationReport",
    "InputCheck",
    "MulticlassEvaluationReport",
    "TrainingHistoryDisplay",
    "binary_scores",
    "calibrate_input_check",
    "check_inputs",
    "evaluate",
    "plot_learning_curves",
]
