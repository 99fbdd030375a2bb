"""XrayAugmenter's one-warp layer: ranges, fidelity to Keras' layers, training only, seeds."""

import math

import cv2
import keras
import numpy as np
import pytest

from skxray import ScratchCNNClassifier, XrayAugmenter
from skxray.datasets import load_sample_xrays
from skxray.models._augment import AffineAugmentation

pytestmark = pytest.mark.eager  # tiny fits run eagerly (tests/conftest.py)

SIZE = 48
SETTINGS = dict(
    rotation_range=15, width_shift_range=0.05, height_shift_range=0.1, shear_range=5,
    zoom_range=0.1, horizontal_flip=True, brightness_range=0.1, contrast_range=0.2,
)  # fmt: skip


def layer_of(augmenter, seed=0):
    (layer,) = augmenter.build_layers(seed)
    return layer


def numpy(params):
    return {k: keras.ops.convert_to_numpy(v) for k, v in params.items()}


@pytest.fixture(scope="module")
def smooth():
    """Real X-rays, blurred so that bilinear interpolation is nearly exact."""
    images = load_sample_xrays(image_size=SIZE).images[:8].astype("float32")
    images = images / 255.0 if images.max() > 1 else images
    return np.stack([cv2.GaussianBlur(x, (0, 0), 3)[..., None] for x in images])


def test_drawn_parameters_stay_within_their_ranges():
    params = numpy(layer_of(XrayAugmenter(**SETTINGS)).draw(4000))
    bounds = {
        "angle": (-15, 15), "shift_y": (-0.1, 0.1), "shift_x": (-0.05, 0.05),
        "shear": (-math.tan(math.radians(5)), math.tan(math.radians(5))),
        "zoom": (0.9, 1.1), "brightness": (-0.1, 0.1), "contrast": (0.8, 1.2),
    }  # fmt: skip
    for name, (low, high) in bounds.items():
        values = params[name]
        assert low - 1e-6 <= values.min() and values.max() <= high + 1e-6, name
        # the whole range is used, both ways
        assert values.min() < low + 0.05 * (high - low) and values.max() > high - 0.05 * (
            high - low
        )
    assert set(np.unique(params["flip"])) == {0.0, 1.0}
    assert 0.45 < params["flip"].mean() < 0.55 and 0.45 < (params["shear"] < 0).mean() < 0.55
    only = dict(width_shift_range=0, height_shift_range=0, zoom_range=0, brightness_range=0)
    off = numpy(layer_of(XrayAugmenter(rotation_range=10, **only)).draw(100))
    assert (off["flip"] == 0).all() and (off["zoom"] == 1).all() and (off["brightness"] == 0).all()


def test_no_ranges_no_layer():
    off = dict(rotation_range=0, width_shift_range=0, height_shift_range=0, zoom_range=0,
               brightness_range=0, contrast_range=0)  # fmt: skip
    assert XrayAugmenter(**off).build_layers() == []
    assert len(XrayAugmenter().build_layers()) == 1  # one layer, not one per transform


def test_one_warp_matches_keras_layers_one_after_another(smooth):
    """The fused warp equals RandomRotation, RandomTranslation, RandomShear, RandomZoom and
    RandomFlip applied in turn with the same draws, up to interpolation error."""
    layer = layer_of(XrayAugmenter(**{**SETTINGS, "brightness_range": 0, "contrast_range": 0}))
    n, ops = len(smooth), keras.ops
    p = layer.draw(n)
    fused = ops.convert_to_numpy(layer(smooth, training=False))
    assert np.array_equal(fused, smooth)
    fused = ops.convert_to_numpy(layer.apply(smooth, p))
    rotation = keras.layers.RandomRotation(0.1, fill_mode="constant")
    matrix = rotation._compute_affine_matrix(
        center_x=0.5, center_y=0.5, angle=p["angle"], translate_x=ops.zeros(n),
        translate_y=ops.zeros(n), scale=ops.ones(n), shear_x=ops.zeros(n),
        shear_y=ops.zeros(n), height=SIZE, width=SIZE,
    )  # fmt: skip

    def one_after_another(images):
        shape = images.shape
        steps = [
            (rotation, {"rotation_matrix": matrix}),
            (keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
             {"translations": ops.stack([p["shift_x"] * SIZE, p["shift_y"] * SIZE], 1),
              "input_shape": shape}),
            (keras.layers.RandomShear(x_factor=0.1, fill_mode="constant"),
             {"shear_factor": ops.stack([p["shear"], ops.zeros(n)], 1), "input_shape": shape}),
            (keras.layers.RandomZoom(0.1, fill_mode="constant"),
             {"height_zoom": p["zoom"][:, None], "width_zoom": p["zoom"][:, None],
              "input_shape": shape}),
            (keras.layers.RandomFlip("horizontal"),
             {"flips": ops.reshape(p["flip"] > 0.5, (n, 1, 1, 1)), "input_shape": shape}),
        ]  # fmt: skip
        for keras_layer, transformation in steps:
            images = keras_layer.transform_images(images, transformation, training=True)
        return ops.convert_to_numpy(images)

    composed = one_after_another(smooth)
    # pixels that no intermediate step filled (those the fused warp can still read)
    inside = one_after_another(np.ones_like(smooth)) > 0.999
    assert inside.mean() > 0.5
    error = np.abs(fused - composed)[inside]
    assert error.max() < 0.03 and error.mean() < 0.004, (error.max(), error.mean())
    # and the images did move: the warp is not the identity
    assert np.abs(fused - smooth).mean() > 5 * error.mean()


def test_intensity_changes_follow_keras_brightness_and_contrast(smooth):
    still = dict(rotation_range=0, width_shift_range=0, height_shift_range=0, zoom_range=0)
    layer = layer_of(XrayAugmenter(**still, brightness_range=0.1, contrast_range=0.2))
    p = layer.draw(len(smooth))
    out = keras.ops.convert_to_numpy(layer.apply(smooth, p))
    q = numpy(p)
    expected = np.clip(smooth + q["brightness"][:, None, None, None], 0, 1)
    mean = expected.mean(axis=(1, 2), keepdims=True)
    factor = q["contrast"][:, None, None, None]
    expected = np.clip((expected - mean) * factor + mean, 0, 1)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_same_seed_same_draws_other_seed_other_draws(smooth):
    augmenter = XrayAugmenter(**SETTINGS)
    first = augmenter.augment(smooth, random_state=3)
    np.testing.assert_array_equal(first, augmenter.augment(smooth, random_state=3))
    assert not np.allclose(first, augmenter.augment(smooth, random_state=4))
    assert first.shape == smooth.shape and 0 <= first.min() and first.max() <= 1


def test_augmentation_only_in_training_and_seeded_fits_agree(tiny_cnn):
    data = load_sample_xrays(image_size=24)
    fast = {**tiny_cnn, "epochs": 2}
    clf = ScratchCNNClassifier(**fast, augmenter=XrayAugmenter(rotation_range=40))
    clf.fit(data.images, data.target)
    layer = clf.model_.get_layer("augmentation")
    assert isinstance(layer, AffineAugmentation)
    # predict is deterministic (no augmentation), as is a refit with the same seed
    first = clf.predict_proba(data.images)
    np.testing.assert_array_equal(first, clf.predict_proba(data.images))
    again = ScratchCNNClassifier(**fast, augmenter=XrayAugmenter(rotation_range=40))
    np.testing.assert_allclose(again.fit(data.images, data.target).predict_proba(data.images),
                               first, atol=1e-6)  # fmt: skip
    x = data.images[:4].astype("float32") / 255.0
    trained = keras.ops.convert_to_numpy(layer(x, training=True))
    assert not np.allclose(trained, x)


def test_layer_round_trips_through_keras_config():
    layer = layer_of(XrayAugmenter(**SETTINGS), seed=7)
    clone = AffineAugmentation.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
