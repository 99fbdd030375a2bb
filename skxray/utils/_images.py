"""The one check of an image batch, shared by the classifiers and the image transformers."""

import numpy as np
from scipy.sparse import issparse


def check_image_batch(X, owner, *, pixel_values=False):
    """``X`` as a dense ``(n, H, W[, C])`` array of at least one non-empty image.

    Parameters
    ----------
    X : array-like
        The images.
    owner : str
        Who checks (named in the errors).
    pixel_values : bool, default=False
        Also require uint8, or real finite values in [0, 1].

    Returns
    -------
    X : ndarray
        ``np.asarray(X)``, 3-D or 4-D as given.
    """
    if isinstance(X, (list, tuple)) and X and isinstance(X[0], str):
        raise TypeError(
            f"{owner} takes image arrays, not file paths; put an ImageDirLoader before it "
            "in a Pipeline."
        )
    if issparse(X):
        raise TypeError(f"{owner} does not support sparse input: images must be dense arrays.")
    X = np.asarray(X)
    if X.ndim not in (3, 4):
        raise ValueError(
            f"{owner} expects images of shape (n_samples, height, width) or "
            f"(n_samples, height, width, channels); got a {X.ndim}-D array of shape {X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(
            f"X is empty (shape {X.shape}): it holds no image pixels; at least one image is needed."
        )
    if min(X.shape[1:]) < 1:
        raise ValueError(
            f"X holds empty images of shape {X.shape[1:]}, so no image pixels: height, width "
            "and channels must all be at least 1."
        )
    if not pixel_values or X.dtype == np.uint8:
        return X
    if np.iscomplexobj(X):
        raise ValueError("Complex data not supported: images must be real.")
    if not np.issubdtype(X.dtype, np.number):
        raise TypeError(f"images must be uint8 or float in [0, 1], got dtype {X.dtype}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("images contain NaN or infinite values.")
    low, high = float(X.min()), float(X.max())
    if low < 0 or high > 1:
        raise ValueError(
            f"images other than uint8 must lie in [0, 1]; got {X.dtype} values in "
            f"[{low:.3g}, {high:.3g}]. Divide 8-bit data by 255, or pass it as uint8."
        )
    return X
