"""shortcut_audit and BorderCrop: a planted border shortcut is caught, a lesion reader passes."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skxray import (
    BorderCrop,
    ImageDirLoader,
    ScratchCNNClassifier,
    region_masks,
    shortcut_audit,
)
from skxray.datasets import load_sample_xrays, make_synthetic_xrays

# Tiny synthetic fits: Keras functions run eagerly (tests/conftest.py).
pytestmark = pytest.mark.eager

CNN = dict(
    preset="vanilla",
    conv_filters=(16, 32),
    kernel_size=3,
    epochs=8,
    random_state=0,
    optimizer__learning_rate=3e-3,
)


def _with_marker(images, target):
    """Plant a bright "R"-like marker in the bottom-left corner of every positive image."""
    out = images.copy()
    out[target == 1, -3:, 1:5] = 1.0  # inside the bottom band and the corner square
    return out


@pytest.fixture(scope="module")
def shortcut_model():
    """A CNN that can only separate the classes by a marker in the border band."""
    data = make_synthetic_xrays(300, 32, positive_fraction=0.0, random_state=0)
    target = np.random.default_rng(0).permutation(np.arange(300) % 2)
    images = _with_marker(data.images, target)
    clf = ScratchCNNClassifier(**CNN).fit(images, target)
    test = make_synthetic_xrays(60, 32, positive_fraction=0.0, random_state=1)
    test_target = np.arange(60) % 2
    return clf, _with_marker(test.images, test_target), test_target


@pytest.fixture(scope="module")
def lesion_model():
    """A CNN that separates the classes by opacities inside the lung fields."""
    data = make_synthetic_xrays(400, 32, random_state=0)
    clf = ScratchCNNClassifier(**{**CNN, "epochs": 12}).fit(data.images, data.target)
    return clf, make_synthetic_xrays(60, 32, random_state=1)


def test_region_masks_areas_and_control():
    masks = region_masks((50, 40), border=0.1, corner=0.2)
    assert masks["bottom"][-5:].all() and not masks["bottom"][:-5].any()
    assert masks["left"][:, :4].all() and not masks["left"][:, 4:].any()
    assert (
        masks["border"] == (masks["top"] | masks["bottom"] | masks["left"] | masks["right"])
    ).all()
    assert masks["corners"].sum() == 4 * 10 * 8
    assert not (masks["center"] & masks["border"]).any()
    # the control box has (about) the band's area
    assert abs(masks["center"].mean() - masks["border"].mean()) < 0.03


@pytest.mark.parametrize(
    "kwargs", [{"border": 0}, {"border": 0.5}, {"corner": -0.1}, {"corner": True}]
)
def test_region_masks_reject_bad_fractions(kwargs):
    (name,) = kwargs
    with pytest.raises(
        ValueError, match=rf"'{name}' parameter of region_masks .* \(0(\.0)?, 0\.5\)"
    ):
        region_masks((32, 32), **kwargs)


def test_audit_catches_a_planted_border_shortcut(shortcut_model):
    clf, images, target = shortcut_model
    assert np.mean(clf.predict(images) == target) > 0.9  # it did learn the marker
    audit = shortcut_audit(clf, images)
    s = audit.summary()
    # Blanking the band (which holds the marker) changes the decisions; the centre does not.
    assert s["flips_border"] > 0.3
    assert s["abs_delta_border"] > 3 * s["abs_delta_center"]
    assert s["flips_corners"] > 0.3  # the marker sits in a corner square too
    # The heat of the positives sits on the band, far above a uniform map's share.
    positives = target == 1
    ratio = np.nanmean(audit.heat_share["border"][positives]) / audit.uniform_share["border"]
    assert ratio > 1.3
    assert s["heat_ratio_bottom"] > s["heat_ratio_top"]


def test_audit_passes_a_model_that_reads_the_lungs(lesion_model, shortcut_model):
    clf, test = lesion_model
    assert np.mean(clf.predict(test.images) == test.target) > 0.85
    s = shortcut_audit(clf, test.images).summary()
    assert s["abs_delta_center"] > 3 * s["abs_delta_border"]
    assert s["flips_center"] > 0.1 and s["flips_border"] < 0.05
    # Less heat on the band than the marker reader puts there.
    marker_clf, images, target = shortcut_model
    marker = shortcut_audit(marker_clf, images[target == 1]).summary()
    assert s["heat_ratio_border"] < marker["heat_ratio_border"]


@pytest.mark.parametrize("fill", ["region_mean", "image_mean", 0.0])
def test_audit_fill_values(lesion_model, fill):
    clf, test = lesion_model
    audit = shortcut_audit(clf, test.images[:4], fill=fill)
    assert all(np.isfinite(p).all() for p in audit.proba_deleted.values())


def test_audit_report_fields_and_text(lesion_model):
    clf, test = lesion_model
    audit = shortcut_audit(clf, test.images[:10], fill=0.0)
    assert audit.heatmaps.shape == (10, 32, 32)
    assert set(audit.proba_deleted) == {"border", "corners", "center"}
    np.testing.assert_allclose(audit.proba, clf.predict_proba(test.images[:10])[:, 1], rtol=1e-6)
    assert audit.heat_share_border_blanked.shape == (10,)
    text = str(audit)
    for word in ("border", "bottom", "corners", "center", "flips"):
        assert word in text


def test_audit_runs_on_paths_through_a_pipeline():
    sample = load_sample_xrays()
    pipe = make_pipeline(
        ImageDirLoader(32), BorderCrop(0.1), ScratchCNNClassifier(**{**CNN, "epochs": 1})
    )
    train = np.r_[0:20, 180:200]  # both classes
    pipe.fit(sample.paths[train], sample.target[train])
    audit = shortcut_audit(pipe, sample.paths[95:101])
    assert audit.heatmaps.shape == (6, 32, 32)
    np.testing.assert_allclose(
        audit.proba, pipe.predict_proba(sample.paths[95:101])[:, 1], rtol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "lime"}, "'method' parameter of shortcut_audit"),
        ({"fill": "median"}, "'fill' parameter of shortcut_audit"),
        ({"fill": True}, "'fill' parameter of shortcut_audit"),
        ({"border": 0.6}, "'border' parameter of shortcut_audit"),
        ({"target": 7}, r"'target' parameter of shortcut_audit must be one of classes_ \[0, 1\]"),
    ],
)
def test_audit_rejects_bad_arguments(lesion_model, kwargs, message):
    clf, test = lesion_model
    with pytest.raises(ValueError, match=message):
        shortcut_audit(clf, test.images[:2], **kwargs)


def test_audit_rejects_non_images(lesion_model):
    clf, _ = lesion_model
    with pytest.raises(ValueError, match="shape"):
        shortcut_audit(clf, np.zeros((2, 32)))


def test_border_crop_removes_the_band_and_keeps_shape_and_dtype():
    images = np.zeros((2, 40, 50, 1), np.float32)
    images[:, :4] = 1.0  # top band
    images[:, 15:25, 20:30] = 0.5  # centre content
    out = BorderCrop(0.1).fit_transform(images)
    assert out.shape == images.shape and out.dtype == np.float32
    assert out[:, :8].max() == 0.0  # the band is gone
    assert 0.4 < out[:, 20, 25].mean() <= 0.5  # the centre survives, enlarged
    u8 = BorderCrop(0.1).transform((images * 255).astype(np.uint8))
    assert u8.dtype == np.uint8
    assert BorderCrop(0.0).transform(images) is not None


@pytest.mark.parametrize("fraction", [-0.1, 0.4, "0.1", True])
def test_border_crop_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="fraction"):
        BorderCrop(fraction).fit(np.zeros((1, 8, 8)))


def test_border_crop_names_itself_on_bad_input():
    with pytest.raises(TypeError, match="BorderCrop takes image arrays"):
        BorderCrop().transform(["a.jpeg"])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        BorderCrop().transform(np.full((1, 8, 8), 3.0))


def test_repr_is_one_short_line(lesion_model):
    clf, test = lesion_model
    audit = shortcut_audit(clf, test.images[:4])
    text = repr(audit)
    assert text.startswith("<ShortcutAudit of 4 images") and "\n" not in text and len(text) < 300
    assert isinstance(audit.summary()["n_images"], int) and "\n" in str(audit)
