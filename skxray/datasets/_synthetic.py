"""Synthetic chest-X-ray-like images with known lesion masks."""

import numbers

import cv2
import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..utils._defaults import SYNTHETIC_IMAGE_SIZE
from ..utils._param_validation import (
    ImageSize,
    Interval,
    check_image_size,
    integer,
    validate_params,
)

_MIN_SIZE = 16
_CONSTRAINTS = {
    "n_samples": [integer(1, None, closed="left")],
    "image_size": [ImageSize(_MIN_SIZE)],
    # Interval, not real(): a bool has always passed as 0 or 1.
    "positive_fraction": [Interval(numbers.Real, 0, 1, closed="both")],
}


def _chest(rng, height, width):
    """One normal-looking chest: bright body, dark lung fields, ribs, spine, noise.

    Drawn in coordinates relative to each side, so that it stretches to any
    ``(height, width)``.
    """
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    yy, xx = yy / height, xx / width
    body = 0.55 + 0.1 * rng.standard_normal()
    image = np.full((height, width), body, np.float32)
    lungs = np.zeros((height, width), np.float32)
    for side in (-1, 1):
        cx = 0.5 + side * (0.2 + 0.02 * rng.standard_normal())
        cy = 0.5 + 0.03 * rng.standard_normal()
        rx, ry = 0.14 + 0.02 * rng.random(), 0.3 + 0.04 * rng.random()
        lungs = np.maximum(
            lungs, (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1).astype(np.float32)
        )
    lungs = cv2.GaussianBlur(lungs, (0, 0), sigmaX=width / 40, sigmaY=height / 40)
    image -= 0.35 * lungs
    ribs = 0.5 + 0.5 * np.sin(2 * np.pi * (yy * (7 + rng.random()) + 0.15 * np.abs(xx - 0.5)))
    image += 0.06 * ribs * lungs
    image += 0.15 * np.exp(-(((xx - 0.5) / 0.05) ** 2))  # spine / mediastinum
    return image, lungs


def make_synthetic_xrays(
    n_samples=100,
    image_size=SYNTHETIC_IMAGE_SIZE,
    *,
    positive_fraction=0.5,
    noise=0.05,
    lesion_size=(0.08, 0.16),
    lesion_intensity=0.6,
    random_state=None,
):
    """Generate chest-X-ray-like images in which positives carry opacities.

    Every image has two dark lung fields, ribs, a bright spine and noise.
    A positive image also has one blurred bright opacity inside a lung field,
    and its boolean lesion mask is returned as ground truth, e.g. to test that
    heatmaps point at the lesion.

    Parameters
    ----------
    n_samples : int, default=100
        Number of images, >= 1.
    image_size : int or (height, width), default=64
        Size in pixels, each >= 16; an int means a square. The chest and
        the opacities stretch with each side.
    positive_fraction : float, default=0.5
        Fraction of images with an opacity (label 1), in [0, 1].
    noise : float, default=0.05
        Standard deviation of the Gaussian pixel noise.
    lesion_size : (float, float), default=(0.08, 0.16)
        Range of the opacity's radius, as a fraction of the image's side (of
        the height and of the width for a non-square image, whose opacities
        are ellipses).
    lesion_intensity : float, default=0.6
        Peak brightness the opacity adds. The lung fields are 0.35 darker
        than the body, so the default opacity is denser than soft tissue.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible images.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``images`` (float32, ``(n_samples, height, width, 1)`` in [0, 1]),
        ``target`` (int, 1 = opacity), ``masks`` (bool,
        ``(n_samples, height, width)``, all False for negatives),
        ``target_names`` and ``DESCR``.

    Raises
    ------
    InvalidParameterError
        If ``n_samples``, ``image_size`` or ``positive_fraction`` is outside
        the values listed above (scikit-learn's error, a ``ValueError`` and a
        ``TypeError``).

    Examples
    --------
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(8, 32, random_state=0)
    >>> data.images.shape, data.masks.shape
    ((8, 32, 32, 1), (8, 32, 32))
    >>> bool(data.masks[data.target == 0].any())
    False
    >>> make_synthetic_xrays(2, (32, 48), random_state=0).images.shape
    (2, 32, 48, 1)
    """
    validate_params(
        _CONSTRAINTS,
        {"n_samples": n_samples, "image_size": image_size, "positive_fraction": positive_fraction},
        "make_synthetic_xrays",
    )
    height, width = check_image_size(image_size, "image_size", "make_synthetic_xrays")
    rng = check_random_state(random_state)
    n_pos = int(round(n_samples * positive_fraction))
    target = np.zeros(n_samples, dtype=np.int64)
    target[rng.permutation(n_samples)[:n_pos]] = 1
    images = np.empty((n_samples, height, width, 1), np.float32)
    masks = np.zeros((n_samples, height, width), bool)
    yy, xx = np.mgrid[0:height, 0:width]
    for i in range(n_samples):
        image, lungs = _chest(rng, height, width)
        if target[i]:
            inside = np.argwhere(lungs > 0.9)
            cy, cx = inside[rng.randint(len(inside))]
            fraction = rng.uniform(*lesion_size)
            radius_y, radius_x = height * fraction, width * fraction
            # An ellipse with those radii: x is measured in units of the height.
            disk = (yy - cy) ** 2 + ((xx - cx) * (height / width)) ** 2 <= radius_y**2
            blob = cv2.GaussianBlur(
                disk.astype(np.float32), (0, 0), sigmaX=radius_x / 3, sigmaY=radius_y / 3
            )
            image += lesion_intensity * blob
            masks[i] = disk
        image += noise * rng.standard_normal(image.shape).astype(np.float32)
        images[i, ..., 0] = np.clip(image, 0, 1)
    return Bunch(
        images=images,
        target=target,
        masks=masks,
        target_names=["NORMAL", "OPACITY"],
        DESCR="Synthetic chest-X-ray-like images; label 1 images carry one opacity.",
    )
