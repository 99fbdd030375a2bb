"""HistogramEqualizer: invariance to exposure changes, dtypes, bad input, pipelines."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from skxray import BorderCrop, HistogramEqualizer, ImageDirLoader
from skxray.datasets import load_sample_xrays
from skxray.utils._param_validation import InvalidParameterError


@pytest.fixture(scope="module")
def xrays():
    return ImageDirLoader(64).transform(load_sample_xrays().paths[:6])


@pytest.mark.parametrize(
    "shift",
    [
        lambda x: x**0.6,
        lambda x: 0.1 + 0.6 * x**1.4,
        lambda x: 0.5 * x,
    ],
    ids=["gamma", "darker-flatter", "half-exposure"],
)
def test_global_equalisation_undoes_monotone_intensity_shifts(xrays, shift):
    eq = HistogramEqualizer()
    before = np.abs(shift(xrays) - xrays).mean()
    after = np.abs(eq.transform(shift(xrays)) - eq.transform(xrays)).mean()
    assert before > 0.05
    # Equal up to 8-bit rounding of the shifted image's grey levels.
    assert after < before / 5


def test_equalised_histogram_is_flat(xrays):
    def distance_to_uniform(image):  # Kolmogorov-Smirnov distance on the grey levels
        levels = np.linspace(0, 1, 101)
        cdf = np.searchsorted(np.sort(image.ravel()), levels, side="right") / image.size
        return np.abs(cdf - levels).max()

    out = HistogramEqualizer().transform(xrays)
    before = [distance_to_uniform(im) for im in xrays]
    after = [distance_to_uniform(im) for im in out]
    assert max(after) < 0.1 < min(before)


def test_clahe_differs_from_global_and_stays_in_range(xrays):
    glob = HistogramEqualizer().transform(xrays)
    local = HistogramEqualizer("clahe", clip_limit=2.0, tile_grid_size=4).transform(xrays)
    assert local.dtype == np.float32 and 0 <= local.min() and local.max() <= 1
    assert np.abs(local - glob).mean() > 0.01


@pytest.mark.parametrize("shape", [(3, 20, 24), (3, 20, 24, 1), (3, 20, 24, 3)])
def test_dtypes_and_shapes_round_trip(shape):
    rng = np.random.default_rng(0)
    u8 = rng.integers(40, 120, size=shape, dtype=np.uint8)
    out8 = HistogramEqualizer().transform(u8)
    assert out8.dtype == np.uint8 and out8.shape == shape and out8.max() == 255
    for dtype in (np.float32, np.float64):
        outf = HistogramEqualizer().transform(u8.astype(dtype) / 255)
        assert outf.dtype == dtype and outf.shape == shape
        np.testing.assert_allclose(outf * 255, out8, atol=1e-3)


def test_each_image_is_equalised_on_its_own(xrays):
    eq = HistogramEqualizer()
    np.testing.assert_array_equal(eq.transform(xrays)[2:3], eq.transform(xrays[2:3]))


def test_pipeline_with_loader_and_clone():
    paths = load_sample_xrays().paths[:3]
    pipe = make_pipeline(ImageDirLoader(32), HistogramEqualizer())
    out = pipe.fit_transform(paths)
    assert out.shape == (3, 32, 32, 1)
    assert clone(pipe).get_params()["histogramequalizer__method"] == "global"


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (np.zeros((4, 16)), ValueError, r"shape \(4, 16\)"),
        (np.zeros((2, 8, 8, 1)) + 1.5, ValueError, r"\[0, 1\]; got float64 values in \[1.5, 1.5\]"),
        (np.full((2, 8, 8, 1), np.nan), ValueError, "NaN"),
        (np.zeros((0, 8, 8, 1)), ValueError, "no image pixels"),
        (np.array([[["a"]]]), TypeError, "dtype"),
        (["a.jpeg", "b.jpeg"], TypeError, "ImageDirLoader"),
    ],
)
def test_bad_images_are_named(X, error, match):
    with pytest.raises(error, match=match):
        HistogramEqualizer().fit_transform(X)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"method": "local"}, "method"),
        ({"method": "clahe", "clip_limit": 0}, "clip_limit"),
        ({"clip_limit": float("nan")}, "clip_limit"),
        ({"clip_limit": "2"}, "clip_limit"),
        ({"method": "clahe", "tile_grid_size": 0}, "tile_grid_size"),
        ({"tile_grid_size": 2.5}, "tile_grid_size"),
        ({"tile_grid_size": True}, "tile_grid_size"),
    ],
)
def test_bad_parameters_are_named(params, name):
    match = f"'{name}' parameter of HistogramEqualizer"
    for method in ("fit_transform", "transform"):  # stateless: transform checks them too
        with pytest.raises(InvalidParameterError, match=match):
            getattr(HistogramEqualizer(**params), method)(np.zeros((1, 8, 8, 1)))


@pytest.mark.parametrize("fraction", [-0.1, 0.4, float("nan"), "0.1", True, None])
def test_border_crop_bad_fraction_is_named(fraction):
    for method in ("fit", "transform"):
        with pytest.raises(InvalidParameterError, match="'fraction' parameter of BorderCrop"):
            getattr(BorderCrop(fraction), method)(np.zeros((1, 8, 8)))
