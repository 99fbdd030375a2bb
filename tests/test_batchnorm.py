"""Batch-normalised networks: inference statistics recomputed from the final weights."""

import keras
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skxray import ImageDirLoader, ScratchCNNClassifier
from skxray.datasets import load_sample_xrays
from skxray.models._training._batchnorm import batch_norm_layers, recompute_batch_norm_statistics

pytestmark = pytest.mark.eager

SMALL = dict(width_multiplier=0.25, epochs=2, batch_size=16, random_state=0)


def expected_statistics(model, X, batch_size):
    """Each BN layer's input in training mode, batch by batch, with the final weights:
    the size-weighted means of the batch means and of the batch variances."""
    layers = batch_norm_layers(model)
    probe = keras.Model(model.inputs, [layer.input for layer in layers])
    saved = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 1.0  # the probe must not move the statistics it checks
    sums = [[0.0, 0.0] for _ in layers]
    try:
        for start in range(0, len(X), batch_size):
            batch = X[start : start + batch_size]
            outputs = probe([batch], training=True)
            for acc, out in zip(sums, outputs, strict=True):
                out = keras.ops.convert_to_numpy(out).astype(np.float64)
                acc[0] = acc[0] + len(batch) * out.mean(axis=(0, 1, 2))
                acc[1] = acc[1] + len(batch) * out.var(axis=(0, 1, 2))
    finally:
        for layer, momentum in zip(layers, saved, strict=True):
            layer.momentum = momentum
    return [(m / len(X), v / len(X)) for m, v in sums]


def assert_statistics(model, X, batch_size):
    layers = batch_norm_layers(model)
    assert layers
    expected = expected_statistics(model, X, batch_size)
    for layer, (mean, var) in zip(layers, expected, strict=True):
        np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("preset", ["bn-cnn", "resnet"])
def test_fit_leaves_the_statistics_of_the_final_weights(synthetic, preset):
    X = synthetic.images.astype("float32")
    clf = ScratchCNNClassifier(preset, **SMALL).fit(X, synthetic.target)
    assert_statistics(clf.model_, X, SMALL["batch_size"])
    # Keras' own moving averages (what fit left before) are not those statistics
    plain = ScratchCNNClassifier(preset, **SMALL)
    plain._fit_stages = super(ScratchCNNClassifier, plain)._fit_stages  # no recomputation
    plain.fit(X, synthetic.target)
    with pytest.raises(AssertionError):
        assert_statistics(plain.model_, X, SMALL["batch_size"])


def test_the_momentum_is_restored_and_a_plain_network_is_untouched(synthetic):
    X = synthetic.images.astype("float32")
    clf = ScratchCNNClassifier("bn-cnn", **SMALL).fit(X, synthetic.target)
    assert {layer.momentum for layer in batch_norm_layers(clf.model_)} == {0.99}
    plain = ScratchCNNClassifier("optimized", epochs=1, random_state=0).fit(X, synthetic.target)
    assert batch_norm_layers(plain.model_) == []
    before = [w.copy() for w in plain.model_.get_weights()]
    recompute_batch_norm_statistics(plain.model_, X, 16)  # nothing to do
    for a, b in zip(before, plain.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_same_seed_gives_the_same_model(synthetic):
    X = synthetic.images.astype("float32")
    a = ScratchCNNClassifier("bn-cnn", **SMALL).fit(X, synthetic.target).predict_proba(X)
    b = ScratchCNNClassifier("bn-cnn", **SMALL).fit(X, synthetic.target).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_a_streamed_fit_reads_the_stream_for_its_statistics():
    sample = load_sample_xrays(load_images=False)
    rows = np.r_[0:24, 176:200]  # both classes
    paths, y = sample.paths[rows], sample.target[rows]
    pipe = make_pipeline(ImageDirLoader(32, stream=True), ScratchCNNClassifier("bn-cnn", **SMALL))
    pipe.fit(paths, y)
    decoded = ImageDirLoader(32).transform(paths).astype("float32")
    assert_statistics(pipe[-1].model_, decoded, SMALL["batch_size"])
