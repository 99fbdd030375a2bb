"""The scikeras-based base class shared by skxray's image classifiers."""

import numbers
import sys
from collections.abc import Mapping

import keras
import numpy as np
from scikeras.wrappers import KerasClassifier
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted

from ...evaluation._input_check import fitted_input_stats, penultimate_features
from ...io._stream import ImageStream
from ...utils._compat import (
    get_optimizer_class,
    route_params,
    try_to_convert_strings_to_classes,
    unflatten_params,
)
from ...utils._images import check_image_batch
from ...utils._param_validation import (
    InvalidParameterError,
    ParamsValidated,
    StrOptions,
    integer,
    invalid,
    real,
    validate_params,
)
from .._augment import XrayAugmenter
from ._batches import StreamBatches
from ._callbacks import EpochLog, EpochScores, count_metrics
from ._losses import SparseCategoricalCrossentropyWithSmoothing
from ._seeding import _keep_op_determinism, _seeded_keras
from ._tf_memory import quiet_retracing_warnings, release_traced_gradients
from ._tta import translated_views
from ._validation import split_validation

_ROUTED = ("optimizer", "fit", "predict", "callbacks")  # scikeras prefixes skxray accepts
_ROUTING_PREFIXES = tuple(prefix + "__" for prefix in _ROUTED)
_KERAS_STATE = ("model_", "_fit_callbacks", "_predict_callbacks")  # held apart when saved
DEFAULT_CALLBACKS = ("epoch_scores", "early_stopping")
"""Names of the callbacks an estimator adds itself; ``callbacks__NAME=None`` drops one."""


class BaseXrayClassifier(ParamsValidated, KerasClassifier):
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

    _parameter_constraints = {
        "optimizer": [str, keras.optimizers.Optimizer, type],
        "label_smoothing": [real(0, 1)],
        "epochs": [integer(1, None)],
        "batch_size": [integer(1, None)],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "validation_split": [real(0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "patience": [integer(0, None)],
        "augmenter": [XrayAugmenter, None],
        "tta_shift": [real(0, 0.5, closed="left")],
        "callbacks": [list, dict, keras.callbacks.Callback, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _store_parameters(self, arguments):
        """Store ``__init__``'s ``locals()`` as attributes, routed parameters included.

        The one place where the classifiers' constructors assign their
        parameters (scikit-learn's rule: store them unchanged, no logic).
        """
        arguments = dict(arguments)
        routed = arguments.pop("routed_params")
        for name in ("self", "__class__"):
            arguments.pop(name, None)
        vars(self).update(arguments)
        vars(self).update(routed)

    def _validate_params(self):
        name = type(self).__name__
        for key in self.get_params(deep=False):
            if "__" in key and not key.startswith(_ROUTING_PREFIXES):
                raise InvalidParameterError(
                    f"{name} got an unexpected parameter {key!r}; only routed parameters "
                    f"({', '.join(_ROUTING_PREFIXES)}...) may be added."
                )
        super()._validate_params()
        if isinstance(self.optimizer, str):
            try:
                keras.optimizers.get(self.optimizer)
            except ValueError:
                invalid(
                    "optimizer",
                    name,
                    "a Keras optimizer name such as 'adam', 'sgd' or 'rmsprop', or an "
                    "optimizer instance",
                    self.optimizer,
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
        if isinstance(X, ImageStream):  # its shape and dtype, without decoding it
            if y is not None:
                _, y = super()._validate_data(None, y, reset=reset, y_numeric=y_numeric)
            self._check_stream(X, reset)
            return X, y
        if X is not None:
            X = self._check_images(X)
        return super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)

    def _check_stream(self, X, reset):
        """Record (fit) or check (predict) the shape and dtype of a stream's images."""
        if len(X) == 0:
            raise ValueError("X is an empty ImageStream: at least one image is needed.")
        if reset:
            self.X_shape_, self.X_dtype_, self.n_features_in_ = X.shape, X.dtype, X.shape[1]
        elif X.shape[1:] != self.X_shape_[1:]:
            raise ValueError(
                f"X has shape {X.shape[1:]}, but this {type(self).__name__} is expecting X "
                f"of shape {self.X_shape_[1:]}"
            )

    def _check_images(self, X):
        if isinstance(X, ImageStream):
            return X
        X = check_image_batch(X, type(self).__name__)
        return X[..., None] if X.ndim == 3 else X

    def _model_input(self, X):
        """User images ``X`` as the fitted network takes them (shape checked against fit);
        an :class:`ImageStream` is decoded whole (heatmaps explain a few images)."""
        check_is_fitted(self, "model_")
        if isinstance(X, ImageStream):
            X = np.asarray(X)
        X, _ = self._validate_data(X)
        return self.feature_encoder_.transform(X)

    @property
    def image_shape_(self):
        """``(height, width, channels)`` of the images seen at fit."""
        return tuple(self.X_shape_[1:])

    @property
    def image_dtype_(self):
        """The dtype of the images seen at fit."""
        return self.X_dtype_

    def _is_built(self):
        """Whether the network exists (after fit or ``initialize``)."""
        return self.initialized_

    def _detach_network(self):
        """Take the Keras objects (the network and scikeras' callback lists) out of the
        estimator, for serialisers that store them apart; :meth:`_attach_network` puts
        them back."""
        return {key: vars(self).pop(key) for key in _KERAS_STATE if key in vars(self)}

    def _attach_network(self, state):
        """Put back what :meth:`_detach_network` took out, or a loaded ``{"model_": model}``
        (the callback lists are then rebuilt from the parameters)."""
        vars(self).update(state)
        quiet_retracing_warnings()  # a loaded model predicts through new traced functions too
        if "_fit_callbacks" not in state:
            self._initialize_callbacks()

    # ------------------------------------------------------------ the model
    def _keras_verbosity(self):
        """Keras' ``verbose`` for ``model.fit``: a bar redrawn in place in a terminal, one
        line per epoch (loss, scores, time) in a log or notebook; 0 when quiet."""
        if not self.verbose:
            return 0
        if int(self.verbose) > 1:
            return int(self.verbose)
        stream = sys.stdout
        return 1 if hasattr(stream, "isatty") and stream.isatty() else 2

    def _make_optimizer(self):
        """A new optimizer from ``optimizer`` and its routed ``optimizer__*`` settings.

        scikeras' ``_get_compile_kwargs`` would do this, but it also reads ``loss`` and
        ``metrics`` from ``get_params()``, and skxray fixes those (they are not
        parameters); so the optimizer is built with the same helpers here.
        """
        optimizer = try_to_convert_strings_to_classes(self.optimizer, get_optimizer_class)
        routed = route_params(
            self.get_params(), destination="optimizer", pass_filter=set(), strict=True
        )
        return unflatten_params(items=optimizer, params=routed)

    def _build_keras_model(self):
        with _keep_op_determinism(), _seeded_keras(self._random_state):
            return super()._build_keras_model()

    def _keras_build_fn(self, meta):
        keras.backend.clear_session()  # drop graphs of earlier fits
        quiet_retracing_warnings()  # each new model traces its functions once
        n_classes = meta["n_classes_"]
        binary = n_classes == 2
        inputs = keras.Input(shape=meta["X_shape_"][1:], name="image")
        x = inputs
        if meta["X_dtype_"] == np.uint8:
            x = keras.layers.Rescaling(1.0 / 255, name="rescale")(x)
        if self.augmenter is not None:
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
                *count_metrics(),  # tn, fp, fn, tp: EpochScores scores the epoch from them
            ]
        else:
            n_classes = model.output_shape[-1]
            if smoothing:
                loss = SparseCategoricalCrossentropyWithSmoothing(smoothing)
            else:
                loss = keras.losses.SparseCategoricalCrossentropy()
            metrics = [
                keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                *count_metrics(n_classes),  # the confusion matrix: EpochScores scores it
            ]
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)

    def _predict_raw(self, X, **kwargs):
        if isinstance(X, ImageStream):  # chunk by chunk, each decoded by the loader's threads
            check_is_fitted(self, "model_")
            self._check_stream(X, reset=False)
            chunks = X.read_chunks(max(256, int(self.batch_size)), X.workers)
            return np.concatenate([self._predict_raw(chunk, **kwargs) for chunk in chunks])
        # Prediction is quiet unless predict__verbose asks otherwise.
        kwargs.setdefault("verbose", getattr(self, "predict__verbose", 0))
        shift = self._check_tta_shift()
        if not shift:
            return self._predict_once(X, **kwargs)
        views = translated_views(self._check_images(X), float(shift))
        return np.mean([self._predict_once(view, **kwargs) for view in views], axis=0)

    def predict_proba(self, X, **kwargs):
        """Class probabilities of images ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images, as at fit; one image is ``X[:1]``.
        **kwargs : dict
            Passed to ``keras.Model.predict``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``, also for a single image.
        """
        proba = super().predict_proba(X, **kwargs)
        # scikeras 0.13 squeezes its output, so one image came back as (n_classes,).
        return np.asarray(proba).reshape(-1, len(self.classes_))

    def _check_tta_shift(self):
        # Checked again at predict: set_params may change it after fit.
        name = "tta_shift"
        validate_params(
            {name: self._parameter_constraints[name]}, {name: self.tta_shift}, type(self).__name__
        )
        return float(self.tta_shift)

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
        self._validate_params()
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
        # scikeras' fit routes keyword arguments to keras.Model.fit only after its own data
        # checks; the explicit validation set is kept here until _split_validation reads it.
        self._validation_data = validation_data
        self._held_out = None  # what _split_validation held out from the network
        try:
            super().fit(X, y, sample_weight=sample_weight)
            self.input_stats_ = None  # a stream is not read again for them
            if not isinstance(X, ImageStream):  # calibrated on what the network held out
                self.input_stats_ = fitted_input_stats(self, self._model_input(X), self._held_out)
        finally:
            del self._validation_data, self._held_out
        return self

    def _penultimate_features(self, X):
        """The features entering the output layer, for images as the network takes them
        (what :func:`skxray.check_inputs` compares with the training images')."""
        return penultimate_features(self.model_, X, self.batch_size)

    def _split_validation(self, X, y, sample_weight):
        return split_validation(self, X, y, sample_weight)

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        X, y, sample_weight, validation = self._split_validation(X, y, sample_weight)
        if self.early_stopping and validation is None:
            raise ValueError(
                "early_stopping=True needs validation data: set "
                "validation_split > 0 or pass fit(..., validation_data=...)."
            )
        self._fit_stages(X, y, sample_weight, validation, epochs, initial_epoch, **kwargs)
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
        """One ``model.fit`` (``model_`` unless given) with the estimator's callbacks.

        History is appended to ``history_`` when ``initial_epoch > 0``.
        """
        if isinstance(X, ImageStream):  # decoded batch by batch by the loader's threads
            X = StreamBatches(
                X,
                y,
                self.batch_size,
                sample_weight=sample_weight,
                seed=self._stream_seed(),
                workers=X.workers,
            )
            y = sample_weight = None
            kwargs["shuffle"] = False  # StreamBatches shuffles the samples each epoch
        if validation is not None and isinstance(validation[0], ImageStream):
            X_val, y_val = validation
            validation = StreamBatches(X_val, y_val, self.batch_size, workers=X_val.workers)
        kwargs.update(validation_data=validation, validation_split=0.0)
        kwargs.setdefault("verbose", self._keras_verbosity())
        log = None
        if kwargs["verbose"] == 2 and int(self.verbose) == 1:  # a log: the short line instead
            kwargs["verbose"] = 0
            seed = self.random_state
            log = EpochLog("" if not isinstance(seed, numbers.Integral) else f"seed {seed}")
            self._fit_callbacks.append(log)
        # scikeras' _fit_keras_model trains self.model_ and has no model argument. The
        # bottleneck stage trains a head-only model on cached features through the same
        # parameter routing, seeding and history code, so model_ points at it for this call.
        full = self.model_
        self.model_ = full if model is None else model
        try:
            with (
                _keep_op_determinism(),
                _seeded_keras(self._random_state),
                StreamBatches.reraise(X, validation),
            ):
                super()._fit_keras_model(
                    X, y, sample_weight, initial_epoch > 0, epochs, initial_epoch, **kwargs
                )
        finally:
            release_traced_gradients(self.model_)  # else TensorFlow keeps its graphs
            self.model_ = full
            if log is not None:
                self._fit_callbacks.remove(log)

    def _stream_seed(self):
        """The seed of a stream's shuffling: from ``random_state``, or fresh when it is None."""
        seed = self._random_state
        return int(np.random.SeedSequence().entropy % 2**32) if seed is None else int(seed)

    # ------------------------------------------------------------- callbacks
    def _default_callbacks(self):
        """The callbacks the estimator adds itself, by name (see ``DEFAULT_CALLBACKS``)."""
        named = {"epoch_scores": EpochScores()}
        if self.early_stopping:
            named["early_stopping"] = keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=self.patience, restore_best_weights=True
            )
        return named

    def _initialize_callbacks(self):
        # scikeras builds the callback lists here once a fit; skxray's named defaults
        # come first, then the user's (callbacks, fit__callbacks), as scikeras builds them.
        params = self.get_params()
        named = self._default_callbacks()
        for name in DEFAULT_CALLBACKS:
            if f"callbacks__{name}" in params:
                named[name] = params.pop(f"callbacks__{name}")
        for name, callback in named.items():
            if callback is not None and not isinstance(callback, keras.callbacks.Callback):
                invalid(
                    f"callbacks__{name}", type(self).__name__, "a Keras callback or None", callback
                )

        def user(destination):
            if params.get(destination) is None:
                return []
            routed = route_params(params, destination=destination, pass_filter=set())
            items = unflatten_params(items=params[destination], params=routed)
            if isinstance(items, Mapping):
                items = list(items.values())
            elif isinstance(items, keras.callbacks.Callback):
                items = [items]
            for item in items:
                if not isinstance(item, keras.callbacks.Callback):
                    invalid(destination, type(self).__name__, "Keras callbacks", item)
            return list(items)

        shared = user("callbacks")
        defaults = [callback for callback in named.values() if callback is not None]
        self._fit_callbacks = defaults + shared + user("fit__callbacks")
        self._predict_callbacks = shared + user("predict__callbacks")
