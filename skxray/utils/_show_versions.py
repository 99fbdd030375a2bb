"""``show_versions``: the versions that matter in a bug report."""

import platform
import sys
from importlib.metadata import PackageNotFoundError, version


def _versions():
    info = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in (
        "skxray",
        "keras",
        "scikeras",
        "scikit-learn",
        "numpy",
        "tensorflow",
        "jax",
        "torch",
        "pillow",
        "opencv-python-headless",
        "matplotlib",
        "joblib",
    ):
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = None
    try:
        import keras

        info["keras backend"] = keras.backend.backend()
    except ImportError:  # pragma: no cover - keras is a dependency
        info["keras backend"] = None
    return info


def show_versions():
    """Print the versions of Python, skxray, Keras and its backend, and friends.

    Paste its output into bug reports.

    Examples
    --------
    >>> import skxray
    >>> skxray.show_versions()  # doctest: +ELLIPSIS
    python: ...
    """
    for key, value in _versions().items():
        print(f"{key}: {value}")
