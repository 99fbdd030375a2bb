"""Fixtures shared by skxray's tests."""

import ctypes
import ctypes.util
import gc
import os
from pathlib import Path

import numpy as np
import pytest

# The real data: $SKXRAY_SHARED_DATA, else ../shared/data beside the checkout.
SHARED_DATA = Path(
    os.environ.get("SKXRAY_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data"
)


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(items):
    """Mark ``shared_data`` every test that uses the fixture of that name: one rule, so that
    ``-m "not shared_data"`` leaves out exactly the tests that need the real data."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)


@pytest.fixture(scope="session")
def shared_data():
    """The real data (``$SKXRAY_SHARED_DATA`` or ../shared/data); skip when absent. Tests
    that use it are marked ``shared_data``."""
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
def tiny_cnn():
    """A fresh copy of the shared tiny CNN settings (``tests/_tiny.py``)."""
    from _tiny import TINY_CNN

    return dict(TINY_CNN)


@pytest.fixture
def tiny_inception():
    """A fresh copy of the shared tiny Inception settings (``tests/_tiny.py``)."""
    from _tiny import TINY_INCEPTION

    return dict(TINY_INCEPTION)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _keras_functions_eagerly(request):
    """Run Keras' functions op by op in tests marked ``eager`` (and not ``graph``).

    Tracing a tf.function costs about a second per tiny fit (tens of seconds for
    Inception-V3), and TensorFlow keeps 4 to 10 MB of every trace for the life of the
    process: over hundreds of tiny fits, most of the suite's memory. The modules of tiny
    synthetic fits opt in; fits on real images, tests marked ``graph`` and the doctests
    (which users copy) run traced, as fits do outside the tests.
    """
    import tensorflow as tf

    eager = request.node.get_closest_marker("eager") is not None
    tf.config.run_functions_eagerly(eager and request.node.get_closest_marker("graph") is None)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew (pyplot keeps every open figure alive)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if os.name == "posix" else None


@pytest.fixture(autouse=True, scope="module")
def _release_memory():
    """After each test module, drop Keras' global state and hand freed memory back.

    Each fit builds a Keras graph; without this the suite's resident memory keeps
    the high-water mark of every module before (glibc keeps freed heap pages).
    """
    yield
    import keras

    keras.backend.clear_session()
    gc.collect()
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)
