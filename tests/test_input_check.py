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
