"""ScratchCNNClassifier: the report's CNNs, trained from scratch."""

import keras

from ._base import BaseXrayClassifier
from ._training_doc import document_training_parameters
from ._validation import PerBlock, StrOptions, integer, invalid, real

PRESETS = {
    # The 2018 report's networks (see the reference notebook).
    "vanilla": dict(
        conv_filters=(16, 32, 64),
        kernel_size=(2, 2, 2),
        pool_size=(2, 2, 2),
        conv_dropout=0.0,
        dense_units=128,
        dense_dropout=0.0,
    ),
    "optimized": dict(
        conv_filters=(16, 32, 64, 16),
        kernel_size=(2, 2, 2, 4),
        pool_size=(2, 2, 2, 4),
        conv_dropout=0.4,
        dense_units=500,
        dense_dropout=0.2,
    ),
}
_ARCH_PARAMS = tuple(PRESETS["vanilla"])


@document_training_parameters
class ScratchCNNClassifier(BaseXrayClassifier):
    """A convolutional network trained from scratch, as a scikit-learn classifier.

    Conv blocks (convolution with "same" padding and ReLU, then max-pooling)
    form the feature extractor; a dense head classifies. The presets are the
    2018 report's networks; any architectural choice can be overridden, and
    everything is a plain parameter that ``GridSearchCV`` can tune.

    Parameters
    ----------
    preset : {"optimized", "vanilla"}, default="optimized"
        ``"vanilla"``: conv 16/32/64, kernel 2, max-pool 2, dense 128, no
        dropout (the report's rmsprop baseline). ``"optimized"``: adds a conv
        16 with kernel 4 and max-pool 4, dropout 0.4 before a dense 500 and
        0.2 after it.
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
    head_pooling : {"flatten", "avg", "max"}, default="flatten"
        How the last feature map enters the head: flattened (the report's
        choice), global-average-pooled (which also enables
        ``cam_explain(method="cam")``) or global-max-pooled (suits small
        local findings).
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
        Name of the last conv layer, the default target of ``cam_explain``.

    See Also
    --------
    InceptionTransferClassifier : transfer learning from Inception-V3.
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
        head_pooling="flatten",
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
        "head_pooling": [StrOptions({"flatten", "avg", "max"})],
    }

    def _architecture(self):
        """The network's settings: the preset's, overridden by the parameters given."""
        self._validate_params()
        preset = PRESETS[self.preset]
        arch = {name: getattr(self, name) for name in _ARCH_PARAMS}
        arch = {k: preset[k] if v is None else v for k, v in arch.items()}
        n_blocks = len(arch["conv_filters"])
        for name in ("kernel_size", "pool_size"):
            if getattr(self, name) is None and len(preset[name]) != n_blocks:
                arch[name] = preset[name][0]  # the preset's value for every block
        for name in ("conv_filters", "kernel_size", "pool_size"):
            value = arch[name]
            values = (value,) * n_blocks if isinstance(value, int) else tuple(value)
            if len(values) != n_blocks:
                invalid(name, type(self).__name__, f"one value per conv block ({n_blocks})", value)
            arch[name] = tuple(int(v) for v in values)
        return arch

    def _build_network(self, x):
        arch = self._architecture()
        blocks = zip(arch["conv_filters"], arch["kernel_size"], arch["pool_size"], strict=True)
        for i, (filters, kernel, pool) in enumerate(blocks, start=1):
            x = keras.layers.Conv2D(
                filters, kernel, padding="same", activation="relu", name=f"conv_{i}"
            )(x)
            x = keras.layers.MaxPooling2D(pool, padding="same", name=f"pool_{i}")(x)
        self.last_conv_layer_ = f"conv_{len(arch['conv_filters'])}"
        return x

    def _build_head(self, features, n_outputs):
        arch = self._architecture()
        if self.head_pooling == "avg":
            x = keras.layers.GlobalAveragePooling2D(name="head_pool")(features)
        elif self.head_pooling == "max":
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
