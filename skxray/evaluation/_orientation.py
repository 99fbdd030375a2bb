"""Is this chest X-ray upside down? A small orientation check that needs no network.

A frontal chest X-ray has the neck and shoulders at the top and the diaphragm and abdomen at
the bottom, whatever the scanner. A logistic regression on the 8x8 thumbnail of the image
(each thumbnail standardised to mean 0 and variance 1) learns that from the 200 X-rays
bundled with skxray, upright and mirrored (class "upright") against turned upside down or
rotated by 180 degrees ("upside down"). It is fitted once per process, on first use.

On X-rays it never saw (``benchmarks/studies/orientation.py``, 2026-12-07): of 600
random images of the public train split, it flagged 0.8 % upright (5 images) and caught
99.2 % turned upside down; of the 16 full-resolution val images, none upright and all 16
upside down. It does not check rotations by 90 degrees. It is not applied to a model whose
own training images it does not find upright (synthetic images, other anatomy).
"""

from functools import cache

import cv2
import numpy as np

THUMBNAIL = 8
UPRIGHT_BELOW = 0.5
"""An image whose probability of being upright is below this is flagged."""


def _thumbnails(images):
    """Standardised ``THUMBNAIL x THUMBNAIL`` grey thumbnails of ``(n, H, W[, C])`` images."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4:
        images = images.mean(axis=-1)
    small = np.stack(
        [cv2.resize(im, (THUMBNAIL, THUMBNAIL), interpolation=cv2.INTER_AREA) for im in images]
    ).reshape(len(images), -1)
    centred = small - small.mean(axis=1, keepdims=True)
    return centred / (centred.std(axis=1, keepdims=True) + 1e-6)


@cache
def _orientation_model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..datasets import load_sample_xrays
    from ..io._decode import decode_image

    # Decoded one by one, not by the loader's joblib pool: this runs inside fit, which may
    # itself run in a joblib (e.g. Dask) worker, where a nested pool can deadlock.
    paths = load_sample_xrays(load_images=False).paths
    upright = np.stack([decode_image(path, 64)[..., 0] for path in paths])
    views = [upright, upright[:, :, ::-1], upright[:, ::-1], upright[:, ::-1, ::-1]]
    X = _thumbnails(np.concatenate(views))
    y = np.repeat([1, 1, 0, 0], len(upright))  # mirrored is still upright
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    return model.fit(X, y)


def upright_probability(images):
    """The probability that each chest X-ray of ``images`` is the right way up.

    Parameters
    ----------
    images : array-like of shape (n_samples, height, width[, channels])
        Images in [0, 1] (or any one scale; each thumbnail is standardised).

    Returns
    -------
    proba : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skxray.datasets import load_sample_xrays
    >>> from skxray.evaluation._orientation import upright_probability
    >>> images = load_sample_xrays(image_size=64).images[:3]
    >>> (upright_probability(images) > 0.5).tolist()
    [True, True, True]
    >>> (upright_probability(images[:, ::-1]) > 0.5).tolist()  # upside down
    [False, False, False]
    """
    if len(images) == 0:
        return np.zeros(0)
    return _orientation_model().predict_proba(_thumbnails(images))[:, 1]
