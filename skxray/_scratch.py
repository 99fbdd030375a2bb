"""ScratchCNNClassifier: the report's CNNs, trained from scratch."""

import keras

from ._base import BaseXrayClassifier

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


def _per_block(value, n_blocks, name):
    values = (value,) * n_blocks if isinstance(value, int) else tuple(value)
    if len(values) != n_blocks or any(int(v) < 1 for v in values):
        raise ValueError(
            f"{name} must be a positive int or one per conv block ({n_blocks}), got {value!r}."
        )
    return tuple(int(v) for v in values)


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
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        A Keras optimizer name ("adam", "sgd", "rmsprop"...) or instance. Its
        settings are routed parameters: ``optimizer__learning_rate=1e-3``,
        ``optimizer__momentum=0.9``.
    label_smoothing : float, default=0.0
        Label smoothing of the binary cross-entropy.
    epochs : int, default=10
        Passes over the training data.
    batch_size : int, default=32
        Images per gradient step (and per prediction batch).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss; ``"balanced"`` weights them
        inversely to their frequencies.
    validation_split : float, default=0.0
        Fraction of the training data held out, stratified by class, and
        scored at the end of each epoch (in ``history_``).
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``patience``
        epochs and restore the best weights. Needs validation data.
    patience : int, default=3
        Epochs without improvement before early stopping.
    augmenter : XrayAugmenter, default=None
        Random transforms applied to training batches only, fresh each epoch.
    tta_shift : float, default=0.0
        Test-time augmentation: ``predict`` and ``predict_proba`` average the
        network's output over the image and its four translations (right,
        left, down, up) by this fraction of the width or height, with a
        reflected border; in [0, 0.5), 0 turns it off. Heatmaps explain the
        image itself.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks.
    random_state : int, RandomState instance or None, default=None
        Seed of the weights, shuffling, dropout, augmentation and validation
        split. The same seed gives the same predictions on CPU.
    verbose : int, default=0
        Keras verbosity (1: progress bar).
    **routed_params
        scikeras routed parameters only (``optimizer__*``, ``fit__*``,
        ``predict__*``, ``callbacks__*``).

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
        self.preset = preset
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.conv_dropout = conv_dropout
        self.dense_units = dense_units
        self.dense_dropout = dense_dropout
        self.head_pooling = head_pooling
        self.optimizer = optimizer
        self.label_smoothing = label_smoothing
        self.epochs = epochs
        self.batch_size = batch_size
        self.class_weight = class_weight
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.augmenter = augmenter
        self.tta_shift = tta_shift
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        vars(self).update(routed_params)

    def _architecture(self):
        if self.preset not in PRESETS:
            raise ValueError(f"Unknown preset {self.preset!r}; choose one of {sorted(PRESETS)}.")
        preset = PRESETS[self.preset]
        arch = {name: getattr(self, name) for name in _ARCH_PARAMS}
        arch = {k: preset[k] if v is None else v for k, v in arch.items()}
        n_blocks = len(arch["conv_filters"])
        for name in ("kernel_size", "pool_size"):
            if getattr(self, name) is None and len(preset[name]) != n_blocks:
                arch[name] = preset[name][0]  # the preset's value for every block
        if n_blocks < 1:
            raise ValueError("conv_filters must name at least one conv block.")
        for name in ("conv_filters", "kernel_size", "pool_size"):
            arch[name] = _per_block(arch[name], n_blocks, name)
        for name in ("conv_dropout", "dense_dropout"):
            if not 0 <= arch[name] < 1:
                raise ValueError(f"{name} must be in [0, 1), got {arch[name]!r}.")
        if self.head_pooling not in ("flatten", "avg", "max"):
            raise ValueError(
                f"head_pooling must be 'flatten', 'avg' or 'max', got {self.head_pooling!r}."
            )
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
