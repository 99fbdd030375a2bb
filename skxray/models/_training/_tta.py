"""Test-time augmentation: the views whose predictions the classifiers average."""

import cv2
import numpy as np

TTA_OFFSETS = ((1, 0), (-1, 0), (0, 1), (0, -1))
"""Directions of the test-time translations, in units of ``tta_shift``: right, left, down, up."""


def translated_views(X, shift):
    """``X`` and its four translations by ``shift`` of the width / height (reflected border).

    Parameters
    ----------
    X : ndarray of shape (n_samples, height, width, channels)
        Images.
    shift : float
        Fraction of the width (horizontal views) or height (vertical views).

    Returns
    -------
    views : list of 5 ndarrays shaped like ``X``
        The images themselves first.
    """
    height, width = X.shape[1:3]
    views = [X]
    for dx, dy in TTA_OFFSETS:
        matrix = np.float32([[1, 0, dx * shift * width], [0, 1, dy * shift * height]])
        moved = np.empty_like(X)
        for i, image in enumerate(X):
            warped = cv2.warpAffine(
                np.ascontiguousarray(image),
                matrix,
                (width, height),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            )
            moved[i] = warped.reshape(image.shape)
        views.append(moved)
    return views
