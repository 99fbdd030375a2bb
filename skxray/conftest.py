"""Fixtures shared by skxray's tests."""

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """The real data beside the checkout (../shared/data); skip when absent."""
    if not (SHARED_DATA / "chest_xray" / "train").is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def synthetic():
    """A small synthetic set, shared read-only by the tests of a session."""
    from skxray.datasets import make_synthetic_xrays

    data = make_synthetic_xrays(96, 32, random_state=0)
    data.images.setflags(write=False)
    return data


@pytest.fixture
def rng():
    return np.random.default_rng(0)
