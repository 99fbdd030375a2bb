"""The scikeras-based base class shared by skxray's image classifiers."""

import contextlib
import numbers

import cv2
import keras
import numpy as np
from scikeras._utils import (
    get_optimizer_class,
    route_params,
    try_to_convert_strings_to_classes,
    unflatten_params,
)
from scikeras.wrappers import KerasClassifier
from scipy.sparse import issparse
from sklearn.model_selection import train_test_split
from sklearn.utils import ClassifierTags

from ._augment import XrayAugmenter
from ._callbacks import EpochScores

_ROUTED = ("optimizer", "fit", "predict", "callbacks")  # scikeras prefixes skxray accepts
_ROUTING_PREFIXES = tuple(prefix + "__" for prefix in _ROUTED)


TTA_OFFSETS = ((1, 0), (-1, 0), (0, 1), (0, -1))
"""Directions of the test-time translations, in units of ``tta_shift``: right, left, down, up."""


def translated_views(X, shift):
    """``X`` and its four translations by ``shift`` of the width / height (reflected border).

    Parameters
    ----------
    X : ndarray of shape (n_samples, height, width, channels)
        Images.
    shift : float
        Fraction of the width (horizontal views) or height (vertical views).

    Returns
    -------
    views : list of 5 ndarrays shaped like ``X``
        The images themselves first.
    """
    height, width = X.shape[1:3]
    views = [X]
    for dx, dy in TTA_OFFSETS:
        matrix = np.float32([[1, 0, dx * shift * width], [0, 1, dy * shift * height]])
        moved = np.empty_like(X)
        for i, image in enumerate(X):
            warped = cv2.warpAffine(
                np.ascontiguousarray(image),
                matrix,
                (width, height),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            )
            moved[i] = warped.reshape(image.shape)
        views.append(moved)
    return views


@contextlib.contextmanager
def _keep_op_determinism():
    """Undo the TensorFlow op determinism that scikeras may leave enabled.

    scikeras 0.13 sets TF_DETERMINISTIC_OPS before asking whether determinism
    was on, so it believes it was and never turns it off again; later
    unseeded random ops then fail. Restore the state seen before the call.
    """
    try:
        from tensorflow.python.framework import config
    except ImportError:  # another backend: scikeras changes nothing
        yield
        return
    was_enabled = config.is_op_determinism_enabled()
    try:
        yield
    finally:
        if not was_enabled and config.is_op_determinism_enabled():
            config.disable_op_determinism()


class BaseXrayClassifier(KerasClassifier):
    """Common machinery of skxray's image classifiers (not for direct use).

    It repairs scikeras 0.13 on scikit-learn >= 1.7 (classifier tags), takes
    images ``(n, H, W)`` or ``(n, H, W, C)`` (float in [0, 1] or uint8),
    records the image shape at fit and checks it at predict, seeds
    everything from ``random_state``, applies ``augmenter`` to training
    batches only, holds out a stratified validation split, scores it each
    epoch and stops early on request. Subclasses implement
    ``_build_network(inputs)`` returning the feature tensor fed to the head.
    """

    # scikeras reads these; they are fixed for skxray, hence not parameters.
    model = None
    build_fn = None
    warm_start = False
    loss = None
    metrics = None
    _routing_prefixes = set(_ROUTED)

    def _check_routed(self):
        for key in self.get_params(deep=False):
            if "__" in key and not key.startswith(_ROUTING_PREFIXES):
                raise TypeError(
                    f"{type(self).__name__} got an unexpected parameter {key!r}; only routed "
                    f"parameters ({', '.join(_ROUTING_PREFIXES)}...) may be added."
                )

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        # scikeras 0.13 puts ClassifierMixin right of BaseEstimator, so on
        # scikit-learn >= 1.7 it is silently not a classifier. Repair it here.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags

    def __repr__(self, N_CHAR_MAX=700):
        from sklearn.base import BaseEstimator

        return BaseEstimator.__repr__(self, N_CHAR_MAX)

    # ------------------------------------------------------------ validation
    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        if X is not None:
            X = self._check_images(X)
        return super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)

    def _check_images(self, X):
        if isinstance(X, (list, tuple)) and X and isinstance(X[0], str):
            raise TypeError(
                f"{type(self).__name__} takes image arrays, not file paths; put an "
                "ImageDirLoader in front of it in a Pipeline."
            )
        if issparse(X):
            raise TypeError(
                f"{type(self).__name__} does not support sparse input: images must be dense arrays."
            )
        X = np.asarray(X)
        if X.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} expects images of shape (n_samples, height, width) or "
                f"(n_samples, height, width, channels); got a {X.ndim}-D array of shape "
                f"{X.shape}."
            )
        if X.shape[0] == 0:
            raise ValueError(f"X is empty (shape {X.shape}): at least one image is needed.")
        if X.ndim == 3:
            X = X[..., None]
        if min(X.shape[1:]) < 1:
            raise ValueError(
                f"X holds empty images of shape {X.shape[1:]}: height, width and "
                "channels must all be at least 1."
            )
        return X

    @property
    def image_shape_(self):
        """``(height, width, channels)`` of the images seen at fit."""
        return tuple(self.X_shape_[1:])

    # ------------------------------------------------------------ the model
    def _make_optimizer(self):
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            try:
                keras.optimizers.get(optimizer)
            except ValueError:
                raise ValueError(
                    f"Unknown optimizer {optimizer!r}: use a Keras optimizer name such as "
                    "'adam', 'sgd' or 'rmsprop', or an optimizer instance."
                ) from None
        optimizer = try_to_convert_strings_to_classes(optimizer, get_optimizer_class)
        routed = route_params(
            self.get_params(), destination="optimizer", pass_filter=set(), strict=True
        )
        return unflatten_params(items=optimizer, params=routed)

    def _build_keras_model(self):
        with _keep_op_determinism():
            return super()._build_keras_model()

    def _keras_build_fn(self, meta):
        keras.backend.clear_session()  # drop graphs of earlier fits
        n_classes = meta["n_classes_"]
        binary = n_classes == 2
        inputs = keras.Input(shape=meta["X_shape_"][1:], name="image")
        x = inputs
        if meta["X_dtype_"] == np.uint8:
            x = keras.layers.Rescaling(1.0 / 255, name="rescale")(x)
        if self.augmenter is not None:
            if not isinstance(self.augmenter, XrayAugmenter):
                raise TypeError(
                    f"augmenter must be an XrayAugmenter or None, got "
                    f"{type(self.augmenter).__name__}."
                )
            for layer in self.augmenter.build_layers(seed=self._random_state):
                x = layer(x)
        features = self._build_network(x)
        outputs = self._build_head(features, 1 if binary else n_classes)
        model = keras.Model(inputs, outputs, name=type(self).__name__)
        self._compile(model, self._make_optimizer())
        return model

    def _compile(self, model, optimizer):
        """Compile ``model`` with skxray's loss and fresh metric objects."""
        smoothing = float(self.label_smoothing)
        if model.output_shape[-1] == 1:
            loss = keras.losses.BinaryCrossentropy(label_smoothing=smoothing)
            metrics = [
                keras.metrics.Precision(name="precision"),
                keras.metrics.Recall(name="recall"),
                keras.metrics.AUC(name="roc_auc"),
            ]
        else:
            if smoothing:
                raise ValueError("label_smoothing is supported for binary problems only.")
            loss = keras.losses.SparseCategoricalCrossentropy()
            metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)

    def _predict_raw(self, X, **kwargs):
        # Prediction is quiet unless predict__verbose asks otherwise.
        kwargs.setdefault("verbose", getattr(self, "predict__verbose", 0))
        shift = self._check_tta_shift()
        if not shift:
            return self._predict_once(X, **kwargs)
        views = translated_views(self._check_images(X), float(shift))
        return np.mean([self._predict_once(view, **kwargs) for view in views], axis=0)

    def _check_tta_shift(self):
        shift = self.tta_shift
        if isinstance(shift, bool) or not (isinstance(shift, numbers.Real) and 0 <= shift < 0.5):
            raise ValueError(f"tta_shift must be a fraction in [0, 0.5), got {shift!r}.")
        return float(shift)

    def _predict_once(self, X, **kwargs):
        """The network's output for ``X`` as given (no test-time augmentation)."""
        return super()._predict_raw(X, **kwargs)

    # --------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Train the network from scratch on images ``X`` and labels ``y``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images, float in [0, 1] or uint8.
        y : array-like of shape (n_samples,)
            Labels, e.g. 0 = NORMAL, 1 = PNEUMONIA.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, multiplied by ``class_weight``'s.
        validation_data : (X_val, y_val), default=None
            Explicit validation data, scored each epoch; overrides
            ``validation_split``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_routed()
        self._check_images(X)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        _, counts = np.unique(np.asarray(y), return_counts=True)
        if len(counts) < 2:
            raise ValueError(
                f"y contains a single class ({np.unique(np.asarray(y)).tolist()}); a classifier "
                "needs at least two."
            )
        if not (isinstance(self.validation_split, numbers.Real) and 0 <= self.validation_split < 1):
            raise ValueError(f"validation_split must be in [0, 1), got {self.validation_split!r}.")
        self._check_tta_shift()
        self._validation_data = validation_data
        try:
            super().fit(X, y, sample_weight=sample_weight)
        finally:
            del self._validation_data
        return self

    def _split_validation(self, X, y, sample_weight):
        validation_data = getattr(self, "_validation_data", None)  # None in partial_fit
        if validation_data is not None:
            X_val, y_val = validation_data
            X_val, _ = self._validate_data(X_val)
            y_val = self.target_encoder_.transform(np.asarray(y_val))
            return X, y, sample_weight, (X_val, y_val)
        if not self.validation_split:
            return X, y, sample_weight, None
        labels = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else np.argmax(y, axis=1)
        index = np.arange(len(X))
        train, val = train_test_split(
            index, test_size=self.validation_split, stratify=labels, random_state=self._random_state
        )
        weights = None if sample_weight is None else sample_weight[train]
        return X[train], y[train], weights, (X[val], y[val])

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        X, y, sample_weight, validation = self._split_validation(X, y, sample_weight)
        if self.early_stopping and validation is None:
            raise ValueError(
                "early_stopping=True needs validation data: set "
                "validation_split > 0 or pass fit(..., validation_data=...)."
            )
        self._user_callbacks = list(self._fit_callbacks)
        try:
            self._fit_stages(X, y, sample_weight, validation, epochs, initial_epoch, **kwargs)
        finally:
            self._fit_callbacks = self._user_callbacks
            del self._user_callbacks
        self.history_ = {
            key: [int(v) if key == "stage" else float(v) for v in values]
            for key, values in self.history_.items()
        }
        self.n_epochs_ = len(self.history_["loss"])

    def _fit_stages(self, X, y, sample_weight, validation, epochs, initial_epoch, **kwargs):
        """Training schedule; one stage here, subclasses may add more."""
        self._keras_fit(X, y, sample_weight, validation, epochs, initial_epoch, **kwargs)

    def _keras_fit(
        self, X, y, sample_weight, validation, epochs, initial_epoch, model=None, **kwargs
    ):
        """One ``model.fit`` (``model_`` unless given) with skxray's callbacks.

        History is appended to ``history_`` when ``initial_epoch > 0``.
        """
        extra = [EpochScores()]
        if self.early_stopping:
            extra.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=self.patience, restore_best_weights=True
                )
            )
        self._fit_callbacks = extra + self._user_callbacks
        kwargs.update(validation_data=validation, validation_split=0.0)
        full = self.model_
        self.model_ = full if model is None else model
        try:
            with _keep_op_determinism():
                super()._fit_keras_model(
                    X, y, sample_weight, initial_epoch > 0, epochs, initial_epoch, **kwargs
                )
        finally:
            self.model_ = full
