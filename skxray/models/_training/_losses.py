"""The multiclass loss with label smoothing, which Keras has only for one-hot targets."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="skxray")
class SparseCategoricalCrossentropyWithSmoothing(keras.losses.Loss):
    """Categorical cross-entropy of integer labels, with label smoothing.

    Keras's ``SparseCategoricalCrossentropy`` takes no ``label_smoothing``,
    and scikeras hands skxray's networks integer labels; so the labels are
    one-hot encoded here and passed to ``categorical_crossentropy``, which
    smooths them (``1 - s + s / k`` for the true class, ``s / k`` for the
    others, of ``k`` classes).

    Parameters
    ----------
    label_smoothing : float, default=0.0
        In [0, 1].
    name : str, default="sparse_categorical_crossentropy_with_smoothing"

    Examples
    --------
    >>> import numpy as np
    >>> from skxray.models._training._losses import SparseCategoricalCrossentropyWithSmoothing
    >>> proba = np.array([[0.7, 0.2, 0.1]], dtype="float32")
    >>> loss = SparseCategoricalCrossentropyWithSmoothing(0.3)
    >>> round(float(loss(np.array([0]), proba)), 4)  # -(0.8 ln .7 + 0.1 ln .2 + 0.1 ln .1)
    0.6765
    """

    def __init__(
        self, label_smoothing=0.0, name="sparse_categorical_crossentropy_with_smoothing", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        one_hot = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            one_hot, y_pred, label_smoothing=self.label_smoothing
        )

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
