"""ScratchCNNClassifier: the report's CNNs, trained from scratch."""

import keras

from ..utils._param_validation import PerBlock, StrOptions, integer, invalid, real
from ._training._base import BaseXrayClassifier
from ._training._batchnorm import recompute_batch_norm_statistics
from ._training._seeding import _keep_op_determinism, _seeded_keras
from ._training._training_doc import document_training_parameters

_PLAIN = dict(batch_norm=False, residual=False, block_depth=1, stem_filters=0, stem_strides=2)

PRESETS = {
    # The 2018 report's networks (see the reference notebook).
    "vanilla": dict(
        conv_filters=(16, 32, 64),
        kernel_size=(2, 2, 2),
        pool_size=(2, 2, 2),
        conv_dropout=0.0,
        dense_units=128,
        dense_dropout=0.0,
        head_pooling="flatten",
        **_PLAIN,
    ),
    "optimized": dict(
        conv_filters=(16, 32, 64, 16),
        kernel_size=(2, 2, 2, 4),
        pool_size=(2, 2, 2, 4),
        conv_dropout=0.4,
        dense_units=500,
        dense_dropout=0.2,
        head_pooling="flatten",
        **_PLAIN,
    ),
    # Modern from-scratch networks (issue 21), sized to train on 2 CPU cores: odd
    # kernels, batch normalisation, a global-average-pooling head (CAM-ready).
    "bn-cnn": dict(
        conv_filters=(16, 32, 64, 128),
        kernel_size=3,
        pool_size=2,
        conv_dropout=0.3,
        dense_units=0,
        dense_dropout=0.0,
        head_pooling="avg",
        batch_norm=True,
        residual=False,
        block_depth=1,
        stem_filters=0,
        stem_strides=2,
    ),
    # The same with residual blocks (He et al. 2016) after a strided stem.
    "resnet": dict(
        conv_filters=(16, 32, 64, 128),
        kernel_size=3,
        pool_size=(1, 2, 2, 2),
        conv_dropout=0.3,
        dense_units=0,
        dense_dropout=0.0,
        head_pooling="avg",
        batch_norm=True,
        residual=True,
        block_depth=2,
        stem_filters=16,
        stem_strides=2,
    ),
}
_ARCH_PARAMS = tuple(PRESETS["vanilla"])
_PER_BLOCK = ("conv_filters", "kernel_size", "pool_size")


@document_training_parameters
class ScratchCNNClassifier(BaseXrayClassifier):
    """A convolutional network trained from scratch, as a scikit-learn classifier.

    Conv blocks (convolutions with "same" padding and ReLU, optionally batch
    normalisation and a residual connection, then max-pooling), optionally
    behind a strided stem, form the feature extractor; a dense or
    global-pooling head classifies. The ``"vanilla"`` and ``"optimized"``
    presets are the 2018 report's networks, ``"bn-cnn"`` and ``"resnet"``
    modern ones; any architectural choice can be overridden, and everything is
    a plain parameter that ``GridSearchCV`` can tune.

    Parameters
    ----------
    preset : {"optimized", "vanilla", "bn-cnn", "resnet"}, default="optimized"
        The architecture the other parameters start from.
        ``"vanilla"``: conv 16/32/64, kernel 2, max-pool 2, dense 128, no
        dropout (the report's rmsprop baseline). ``"optimized"``: adds a conv
        16 with kernel 4 and max-pool 4, dropout 0.4 before a dense 500 and
        0.2 after it. ``"bn-cnn"``: 3 × 3 convolutions with batch normalisation,
        16/32/64/128 filters, max-pool 2, global average pooling, dropout 0.3.
        ``"resnet"``: residual blocks of two such convolutions behind a
        16-filter stride-2 stem, the first block without pooling.
    conv_filters : tuple of int, default=None
        Filters of each conv block; ``None`` takes the preset's.
    kernel_size : int or tuple of int, default=None
        Kernel size, one for all blocks or one per block. ``None`` takes the
        preset's, or its first value for every block when ``conv_filters``
        has another number of blocks.
    pool_size : int or tuple of int, default=None
        Max-pooling size, one for all blocks or one per block; ``None`` as
        for ``kernel_size``.
    conv_dropout : float, default=None
        Dropout rate between the feature extractor and the dense layer.
    dense_units : int, default=None
        Units of the hidden dense layer; 0 leaves it out (with
        ``head_pooling="avg"`` this is the CAM architecture of Zhou et al.).
    dense_dropout : float, default=None
        Dropout rate after the hidden dense layer.
    head_pooling : {"flatten", "avg", "max"}, default=None
        How the last feature map enters the head: flattened (the report's
        choice), global-average-pooled (which also enables
        ``cam_explain(method="cam")``) or global-max-pooled (suits small
        local findings). ``None`` takes the preset's.
    batch_norm : bool, default=None
        Batch normalisation after every convolution (before its ReLU). Once
        training ends, each layer's inference statistics are recomputed from
        the training images with the final weights: Keras' moving averages
        lag behind the weights after a short training, which shifts every
        prediction (a model that ranks well but calls every image one class).
    residual : bool, default=None
        Residual blocks: the block's input (projected by a 1 × 1
        convolution when its width changes) is added to its last convolution
        before the ReLU.
    block_depth : int, default=None
        Convolutions per block.
    stem_filters : int, default=None
        Filters of a strided convolution in front of the blocks; 0 leaves it
        out.
    stem_strides : int, default=None
        Stride of the stem (its kernel is ``2 * stem_strides + 1``).
    width_multiplier : float, default=1.0
        Scales the filters of every block and of the stem (at least 1 each):
        the network's width.
    {training_parameters}

    Attributes
    ----------
    model_ : keras.Model
        The fitted functional network; its conv layers are named
        ``conv_1``... and its head ``head_dense`` and ``head_output``.
    classes_ : ndarray
        Class labels.
    history_ : dict of list of float
        Per-epoch ``loss``, ``precision``, ``recall``, ``roc_auc`` and ``f1`` on
        training batches, and the same with a ``val_`` prefix on the whole
        validation data.
    n_epochs_ : int
        Epochs actually run (fewer than ``epochs`` after early stopping).
    image_shape_ : tuple of int
        ``(height, width, channels)`` seen at fit; predict checks it.
    last_conv_layer_ : str
        Name of the layer whose output is the last feature map, the default
        target of ``cam_explain``: the last conv layer, or the last block's
        output activation of a network with batch normalisation or residual
        blocks.

    See Also
    --------
    TransferClassifier : transfer learning from a pretrained Keras backbone.
    XrayAugmenter : training-time augmentation.

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = ScratchCNNClassifier(preset="vanilla", epochs=2, random_state=0)
    >>> clf.fit(data.images, data.target).predict_proba(data.images[:3]).shape
    (3, 2)
    """

    def __init__(
        self,
        preset="optimized",
        *,
        conv_filters=None,
        kernel_size=None,
        pool_size=None,
        conv_dropout=None,
        dense_units=None,
        dense_dropout=None,
        head_pooling=None,
        batch_norm=None,
        residual=None,
        block_depth=None,
        stem_filters=None,
        stem_strides=None,
        width_multiplier=1.0,
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
        "preset": [StrOptions(set(PRESETS))],
        "conv_filters": [PerBlock(allow_int=False), None],
        "kernel_size": [PerBlock(), None],
        "pool_size": [PerBlock(), None],
        "conv_dropout": [real(0, 1, closed="left"), None],
        "dense_units": [integer(0, None), None],
        "dense_dropout": [real(0, 1, closed="left"), None],
        "head_pooling": [StrOptions({"flatten", "avg", "max"}), None],
        "batch_norm": ["boolean", None],
        "residual": ["boolean", None],
        "block_depth": [integer(1, None), None],
        "stem_filters": [integer(0, None), None],
        "stem_strides": [integer(1, None), None],
        "width_multiplier": [real(0, None, closed="neither")],
    }

    def _architecture(self):
        """The network's settings: the preset's, overridden by the parameters given."""
        self._validate_params()
        preset = PRESETS[self.preset]
        arch = {name: getattr(self, name) for name in _ARCH_PARAMS}
        arch = {k: preset[k] if v is None else v for k, v in arch.items()}
        n_blocks = len(arch["conv_filters"])
        for name in ("kernel_size", "pool_size"):
            value = preset[name]
            if (
                getattr(self, name) is None
                and not isinstance(value, int)
                and len(value) != n_blocks
            ):
                arch[name] = value[0]  # the preset's (first) value for every block
        for name in _PER_BLOCK:
            value = arch[name]
            values = (value,) * n_blocks if isinstance(value, int) else tuple(value)
            if len(values) != n_blocks:
                invalid(name, type(self).__name__, f"one value per conv block ({n_blocks})", value)
            arch[name] = tuple(int(v) for v in values)
        scale = float(self.width_multiplier)
        arch["conv_filters"] = tuple(max(1, round(f * scale)) for f in arch["conv_filters"])
        if arch["stem_filters"]:
            arch["stem_filters"] = max(1, round(arch["stem_filters"] * scale))
        return arch

    def _fit_stages(self, X, y, sample_weight, validation, epochs, initial_epoch, **kwargs):
        super()._fit_stages(X, y, sample_weight, validation, epochs, initial_epoch, **kwargs)
        if self._architecture()["batch_norm"]:  # the moving averages lag the final weights
            with _keep_op_determinism(), _seeded_keras(self._random_state):
                recompute_batch_norm_statistics(self.model_, X, self.batch_size)

    def _conv(self, x, filters, kernel, name, arch, activation=True, strides=1):
        """Convolution, then batch normalisation (if on), then ReLU (if ``activation``)."""
        x = keras.layers.Conv2D(
            filters,
            kernel,
            strides=strides,
            padding="same",
            use_bias=not arch["batch_norm"],
            activation=None if arch["batch_norm"] or not activation else "relu",
            name=name,
        )(x)
        if arch["batch_norm"]:
            x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
            if activation:
                x = keras.layers.Activation("relu", name=f"{name}_relu")(x)
        return x

    def _build_network(self, x):
        arch = self._architecture()
        if arch["stem_filters"]:
            strides = arch["stem_strides"]
            x = self._conv(x, arch["stem_filters"], 2 * strides + 1, "stem", arch, strides=strides)
        plain = not (arch["batch_norm"] or arch["residual"]) and arch["block_depth"] == 1
        blocks = zip(arch["conv_filters"], arch["kernel_size"], arch["pool_size"], strict=True)
        for i, (filters, kernel, pool) in enumerate(blocks, start=1):
            if plain:  # the report's layers and names, as they always were
                x = keras.layers.Conv2D(
                    filters, kernel, padding="same", activation="relu", name=f"conv_{i}"
                )(x)
                self.last_conv_layer_ = f"conv_{i}"
            else:
                x = self._block(x, i, filters, kernel, arch)
            if pool > 1 or plain:
                x = keras.layers.MaxPooling2D(pool, padding="same", name=f"pool_{i}")(x)
        return x

    def _block(self, x, i, filters, kernel, arch):
        """``block_depth`` convolutions; residual: added to the (projected) input."""
        shortcut = x
        depth = arch["block_depth"]
        for j in range(1, depth + 1):
            last = j == depth
            x = self._conv(
                x,
                filters,
                kernel,
                f"block{i}_conv{j}",
                arch,
                activation=not (last and arch["residual"]),
            )
        if arch["residual"]:
            if shortcut.shape[-1] != filters:
                shortcut = self._conv(
                    shortcut, filters, 1, f"block{i}_project", arch, activation=False
                )
            x = keras.layers.Add(name=f"block{i}_add")([shortcut, x])
            x = keras.layers.Activation("relu", name=f"block{i}_out")(x)
        else:  # named like the residual block's output, for cam_explain
            x = keras.layers.Identity(name=f"block{i}_out")(x)
        self.last_conv_layer_ = f"block{i}_out"
        return x

    def _build_head(self, features, n_outputs):
        arch = self._architecture()
        if arch["head_pooling"] == "avg":
            x = keras.layers.GlobalAveragePooling2D(name="head_pool")(features)
        elif arch["head_pooling"] == "max":
            x = keras.layers.GlobalMaxPooling2D(name="head_pool")(features)
        else:
            x = keras.layers.Flatten(name="head_flatten")(features)
        if arch["conv_dropout"]:
            x = keras.layers.Dropout(arch["conv_dropout"], name="head_dropout_1")(x)
        if arch["dense_units"]:
            x = keras.layers.Dense(int(arch["dense_units"]), activation="relu", name="head_dense")(
                x
            )
            if arch["dense_dropout"]:
                x = keras.layers.Dropout(arch["dense_dropout"], name="head_dropout_2")(x)
        activation = "sigmoid" if n_outputs == 1 else "softmax"
        return keras.layers.Dense(n_outputs, activation=activation, name="head_output")(x)
