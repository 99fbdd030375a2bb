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
