"""Pretrained weights: where they come from, and a clear error when they cannot be had."""

import os

import keras

IMAGENET_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
IMAGENET_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/" + IMAGENET_FILE
)
IMAGENET_HASH = "bcbd6486424b2319ff4ef7d526e38f63"


class WeightsNotAvailableError(OSError):
    """The ImageNet weights are neither cached nor downloadable.

    The message says which file to put where, or to pass ``weights=<path>``.

    Examples
    --------
    >>> from skxray import WeightsNotAvailableError
    >>> issubclass(WeightsNotAvailableError, OSError)
    True
    """


def _keras_models_dir():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "models")


def resolve_weights(weights):
    """Return ``None`` or a local weights file for ``weights``; never a silent fallback.

    Parameters
    ----------
    weights : None, "imagenet" or path

    Returns
    -------
    path : str or None

    Raises
    ------
    WeightsNotAvailableError
        ``"imagenet"`` is not cached and cannot be downloaded.
    FileNotFoundError
        A given path does not exist.
    """
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "imagenet":
        cached = os.path.join(_keras_models_dir(), IMAGENET_FILE)
        if os.path.isfile(cached):
            return cached
        try:
            return keras.utils.get_file(
                IMAGENET_FILE, IMAGENET_URL, cache_subdir="models", file_hash=IMAGENET_HASH
            )
        except Exception as exc:
            raise WeightsNotAvailableError(
                f"Could not download the ImageNet Inception-V3 weights ({exc}). Download "
                f"{IMAGENET_URL} on a machine with internet access and put it at {cached} "
                "(or set KERAS_HOME), or pass weights=<path to a weights file>; "
                "weights=None trains from random weights."
            ) from exc
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Weights file {path!r} does not exist.")
        return path
    raise TypeError(f"weights must be None, 'imagenet' or a file path, got {weights!r}.")
