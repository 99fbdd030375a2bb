"""Batch-normalisation statistics recomputed once training ends.

During training a ``BatchNormalization`` layer normalises with the statistics of each
batch, and keeps exponential moving averages of them (momentum 0.99) for inference. Those
averages mix statistics of the weights of the last hundred or so steps; after a short
training on a small data set the weights still move fast, the averages lag behind them,
and every logit shifts at inference: the model ranks images well but its decisions at a
threshold of 0.5 collapse to one class (``benchmarks/results/select_network/``, issue
21). Recomputing the statistics with the final weights, as ``torch.optim.swa_utils.
update_bn`` does for weight averaging, removes the lag.
"""

import keras
import numpy as np

from ...io._stream import ImageStream
from ._batches import StreamBatches


def batch_norm_layers(model):
    """The model's ``BatchNormalization`` layers, nested ones included."""
    return [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def _batches(X, batch_size):
    if isinstance(X, ImageStream):
        batches = StreamBatches(X, None, batch_size, workers=X.workers)
        for i in range(len(batches)):
            yield batches[i][0]
    else:
        for start in range(0, len(X), batch_size):
            yield X[start : start + batch_size]


def recompute_batch_norm_statistics(model, X, batch_size):
    """Set each BN layer's moving mean and variance from the training images, final weights.

    The images pass through the network in order, in batches of ``batch_size``, as in
    training (augmentation layers included), with the weights fixed. Each layer's moving
    mean becomes the mean of its batch means, and its moving variance the mean of its
    batch variances, each batch weighted by its size. Does nothing to a model without
    batch normalisation.

    Parameters
    ----------
    model : keras.Model
    X : ndarray or ImageStream
        The training images, as the network takes them.
    batch_size : int
    """
    layers = [layer for layer in batch_norm_layers(model) if layer.trainable]
    if not layers:
        return
    momenta = [layer.momentum for layer in layers]
    seen = 0
    try:
        for images in _batches(X, batch_size):
            n = len(images)
            for layer in layers:  # a running mean over images: the new batch weighs n / total
                layer.momentum = seen / (seen + n)
            model(np.asarray(images), training=True)
            seen += n
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
