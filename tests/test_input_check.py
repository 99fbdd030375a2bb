"""check_inputs: which images a fitted model cannot judge, and its arguments."""

import numpy as np
import pytest
from _tiny import TINY_CNN

from skxray import ScratchCNNClassifier, check_inputs
from skxray.datasets import make_synthetic_xrays

pytestmark = pytest.mark.eager  # one tiny synthetic fit (tests/conftest.py)


@pytest.fixture(scope="module")
def fitted():
    """A tiny fitted CNN and its training images, shared by the module; do not mutate it."""
    data = make_synthetic_xrays(40, 32, random_state=0)
    return ScratchCNNClassifier(**TINY_CNN).fit(data.images, data.target), data.images


def test_blank_images_are_flagged_and_training_images_are_not(fitted):
    clf, images = fitted
    blank = np.full((1, 32, 32, 1), 0.5, dtype="float32")
    check = check_inputs(clf, np.concatenate([blank, images[:3]]))
    assert check.reasons[0].startswith("nearly constant pixels")
    assert check.score.shape == (4,) and not check.flagged[1:].any()


@pytest.mark.parametrize("n_paths", [1, 3])
def test_paths_must_match_the_images(fitted, n_paths, tmp_path):
    clf, images = fitted
    paths = [str(tmp_path / f"{i}.png") for i in range(n_paths)]
    with pytest.raises(ValueError, match=f"paths holds {n_paths} files but X holds 2 images"):
        check_inputs(clf, images[:2], paths=paths)


def test_upside_down_x_rays_are_flagged_for_a_model_of_real_x_rays():
    # An upside-down NORMAL val X-ray went from P = 0.21 to 0.985 with no flag.
    from skxray.datasets import load_sample_xrays

    data = load_sample_xrays(image_size=32)
    clf = ScratchCNNClassifier("vanilla", conv_filters=(4,), dense_units=8, epochs=1,
                               random_state=0).fit(data.images, data.target)  # fmt: skip
    assert clf.input_stats_["upright"] >= 0.9
    upright = check_inputs(clf, data.images[:20]).reasons
    flipped = check_inputs(clf, data.images[:20, ::-1]).reasons
    assert not any("upside down" in r for r in upright)
    assert all("upside down" in r for r in flipped)
    mirrored = check_inputs(clf, data.images[:20, :, ::-1]).reasons  # left-right is upright
    assert not any("upside down" in r for r in mirrored)


def test_orientation_is_not_judged_for_a_model_of_other_images():
    data = make_synthetic_xrays(60, 32, random_state=0)  # no real anatomy
    clf = ScratchCNNClassifier("vanilla", conv_filters=(4,), dense_units=8, epochs=1,
                               random_state=0).fit(data.images, data.target)  # fmt: skip
    assert clf.input_stats_["upright"] < 0.9
    reasons = check_inputs(clf, np.concatenate([data.images, data.images[:, ::-1]])).reasons
    assert not any("upside down" in r for r in reasons)


def test_upside_down_val_x_rays_are_flagged_by_the_shipped_model(shared_data):
    from skxray import load_image_folder, load_pretrained

    model = load_pretrained()
    images = model[0].transform(load_image_folder(shared_data / "chest_xray_fullres_val").paths)
    assert not any("upside down" in r for r in check_inputs(model[1:], images).reasons)
    assert all("upside down" in r for r in check_inputs(model[1:], images[:, ::-1]).reasons)


def test_conformal_quantile_is_the_finite_sample_rank():
    from skxray.evaluation._input_check import conformal_quantile

    scores = np.arange(1.0, 200.0)  # 199 scores: rank ceil(200 * 0.99) = 198
    assert conformal_quantile(scores[::-1], 0.01) == 198.0
    assert conformal_quantile(scores[:50], 0.01) == 50.0  # too few for the rank: the largest


@pytest.mark.parametrize("n", [60, 200, 1000])
def test_the_threshold_holds_its_false_flag_rate_on_new_samples_of_any_size(n):
    # Issue 31, item 6: calibrated on the training distances themselves, the threshold
    # flagged from 99.5 % (200 images) to 4.7 % (2590) of unseen X-rays. Features of new
    # images drawn as the training ones must be flagged at about ALPHA, whatever n:
    # conformal calibration bounds the rate on average over training sets, so average 40.
    from skxray.evaluation._input_check import ALPHA, _distances, fit_input_stats

    rng = np.random.default_rng(0)
    scale = rng.uniform(0.2, 3.0, 32)
    rates = []
    for _ in range(40):
        stats = fit_input_stats(rng.normal(size=(n, 32)) * scale)
        new = rng.normal(size=(2000, 32)) * scale
        rates.append(
            np.mean(_distances(new, stats["mean"], stats["precision"]) > stats["threshold"])
        )
    n_calibration = max(n // 5, min(100, n // 2))  # a fifth, or enough for ALPHA's rank
    assert stats["calibration"] == f"split ({n_calibration} of {n} training images)"
    # conformal: at most ALPHA, or 1 / (n_calibration + 1) when the rank does not exist
    bound = max(ALPHA, 1 / (n_calibration + 1))
    assert 0 < np.mean(rates) <= bound + 0.005, (np.mean(rates), bound)


def test_a_validation_split_calibrates_the_threshold_on_the_images_held_out():
    data = make_synthetic_xrays(220, 32, random_state=0)
    clf = ScratchCNNClassifier(**{**TINY_CNN, "validation_split": 0.5})
    clf.fit(data.images, data.target)
    assert clf.input_stats_["calibration"] == "held-out (110 images)"
    explicit = ScratchCNNClassifier(**TINY_CNN).fit(
        data.images[:110], data.target[:110], validation_data=(data.images[110:], data.target[110:])
    )
    assert explicit.input_stats_["calibration"] == "held-out (110 images)"
    # too few held out for ALPHA's rank: a fifth of the training images calibrate instead
    few = ScratchCNNClassifier(**{**TINY_CNN, "validation_split": 0.2}).fit(
        data.images[:100], data.target[:100]
    )
    assert few.input_stats_["calibration"] == "split (40 of 80 training images)"


def test_calibrate_input_check_bounds_the_false_flags_on_images_like_the_calibration_ones(
    tmp_path,
):
    import skxray
    from skxray import calibrate_input_check

    data = make_synthetic_xrays(420, 32, random_state=1)
    clf = ScratchCNNClassifier(**TINY_CNN).fit(data.images[:60], data.target[:60])
    threshold = clf.input_stats_["threshold"]
    before = check_inputs(clf, data.images[240:]).score
    assert calibrate_input_check(clf, data.images[60:240], alpha=0.05) is clf
    assert clf.input_stats_["calibration"] == "conformal on 180 held-out images, alpha 0.05"
    after = check_inputs(clf, data.images[240:])  # new images drawn as the calibration ones
    assert after.flagged.mean() <= 0.05 + 0.04  # alpha, plus the sampling of 180 images
    moved = clf.input_stats_["threshold"] / threshold  # one factor for every image's score
    assert moved != 1 and np.allclose(after.score * moved, before)
    path = tmp_path / "calibrated.skxray"
    skxray.save(clf, path)
    assert skxray.load(path).input_stats_["threshold"] == clf.input_stats_["threshold"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"alpha": 0.0}, r"alpha must be a float in \(0, 1\); got 0.0"),
     ({"alpha": 0.01}, "alpha=0.01 needs at least 99 images, got 40")],
)  # fmt: skip
def test_calibrate_input_check_names_what_is_wrong(fitted, kwargs, match):
    from skxray import calibrate_input_check

    clf, images = fitted
    with pytest.raises(ValueError, match=match):
        calibrate_input_check(clf, images, **kwargs)
