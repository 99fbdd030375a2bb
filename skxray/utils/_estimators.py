"""Finding the classifier inside what users fit: Pipelines and voting ensembles."""

from sklearn.utils.validation import check_is_fitted


def final_estimator(estimator):
    """The estimator at the end of a (nested) Pipeline, or ``estimator`` itself.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skxray.utils._estimators import final_estimator
    >>> type(final_estimator(make_pipeline(StandardScaler(), LogisticRegression()))).__name__
    'LogisticRegression'
    """
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    return estimator


def through_pipeline(estimator, X):
    """``(final estimator, X)`` after a fitted Pipeline's earlier steps, computed once.

    For anything but a Pipeline, ``(estimator, X)`` unchanged.
    """
    while hasattr(estimator, "steps"):
        check_is_fitted(estimator)
        if len(estimator.steps) > 1:
            X = estimator[:-1].transform(X)
        estimator = estimator.steps[-1][1]
    return estimator, X


def is_voting_ensemble(estimator):
    """Whether ``estimator`` is a fitted scikit-learn voting ensemble (``estimators_``, ``le_``)."""
    return hasattr(estimator, "estimators_") and hasattr(estimator, "le_")


def members(estimator):
    """The classifiers behind ``estimator``: a voting ensemble's members, else ``[final]``.

    Before fitting, the ensemble's ``estimators`` (name, estimator) pairs are used.
    """
    final = final_estimator(estimator)
    if hasattr(final, "estimators_"):
        return list(final.estimators_)
    if hasattr(final, "estimators") and isinstance(final.estimators, list):
        return [member for _, member in final.estimators]
    return [final]
