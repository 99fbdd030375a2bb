"""The validation data of a fit: an explicit set, or a stratified split of the training
images. What a fit holds out from the network also calibrates its input check."""

import numpy as np
from sklearn.model_selection import train_test_split

from ...io._stream import ImageStream


def split_validation(estimator, X, y, sample_weight):
    """``(X, y, sample_weight, validation)`` for ``estimator``'s Keras fit.

    ``validation`` is ``fit(..., validation_data=...)`` (kept in ``_validation_data``,
    which only ``fit`` sets), else a stratified ``validation_split`` of ``X`` (seeded by
    the estimator's ``random_state``), else ``None``. During ``fit`` (``_held_out`` is
    ``None``), what is held out is recorded in ``_held_out``: the validation images, or
    the indices of ``X`` split off, for :func:`~skxray.check_inputs`' calibration.
    """
    validation_data = getattr(estimator, "_validation_data", None)  # None in partial_fit
    if validation_data is not None:
        X_val, y_val = validation_data
        X_val = X_val if isinstance(X_val, ImageStream) else estimator._model_input(X_val)
        y_val = estimator.target_encoder_.transform(np.asarray(y_val))
        estimator._held_out = X_val
        return X, y, sample_weight, (X_val, y_val)
    if not estimator.validation_split:
        return X, y, sample_weight, None
    labels = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else np.argmax(y, axis=1)
    train, val = train_test_split(
        np.arange(len(X)),
        test_size=estimator.validation_split,
        stratify=labels,
        random_state=estimator._random_state,
    )
    weights = None if sample_weight is None else sample_weight[train]
    if getattr(estimator, "_held_out", False) is None:  # fit, not partial_fit
        estimator._held_out = val
    return X[train], y[train], weights, (X[val], y[val])
