"""Synthetic chest-X-ray-like images with known lesion masks."""

import cv2
import numpy as np
from sklearn.utils import Bunch, check_random_state


def _chest(rng, size):
    """One normal-looking chest: bright body, dark lung fields, ribs, spine, noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    body = 0.55 + 0.1 * rng.standard_normal()
    image = np.full((size, size), body, np.float32)
    lungs = np.zeros((size, size), np.float32)
    for side in (-1, 1):
        cx = 0.5 + side * (0.2 + 0.02 * rng.standard_normal())
        cy = 0.5 + 0.03 * rng.standard_normal()
        rx, ry = 0.14 + 0.02 * rng.random(), 0.3 + 0.04 * rng.random()
        lungs = np.maximum(
            lungs, (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1).astype(np.float32)
        )
    lungs = cv2.GaussianBlur(lungs, (0, 0), size / 40)
    image -= 0.35 * lungs
    ribs = 0.5 + 0.5 * np.sin(2 * np.pi * (yy * (7 + rng.random()) + 0.15 * np.abs(xx - 0.5)))
    image += 0.06 * ribs * lungs
    image += 0.15 * np.exp(-(((xx - 0.5) / 0.05) ** 2))  # spine / mediastinum
    return image, lungs


def make_synthetic_xrays(
    n_samples=100,
    image_size=64,
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
        Number of images.
    image_size : int, default=64
        Height and width in pixels.
    positive_fraction : float, default=0.5
        Fraction of images with an opacity (label 1).
    noise : float, default=0.05
        Standard deviation of the Gaussian pixel noise.
    lesion_size : (float, float), default=(0.08, 0.16)
        Range of the opacity's radius, as a fraction of ``image_size``.
    lesion_intensity : float, default=0.6
        Peak brightness the opacity adds. The lung fields are 0.35 darker
        than the body, so the default opacity is denser than soft tissue.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible images.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``images`` (float32, ``(n_samples, image_size, image_size, 1)`` in
        [0, 1]), ``target`` (int, 1 = opacity), ``masks`` (bool,
        ``(n_samples, image_size, image_size)``, all False for negatives),
        ``target_names`` and ``DESCR``.

    Examples
    --------
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(8, 32, random_state=0)
    >>> data.images.shape, data.masks.shape
    ((8, 32, 32, 1), (8, 32, 32))
    >>> bool(data.masks[data.target == 0].any())
    False
    """
    if n_samples < 1 or image_size < 16:
        raise ValueError(
            f"need n_samples >= 1 and image_size >= 16, got {n_samples} and {image_size}."
        )
    if not 0 <= positive_fraction <= 1:
        raise ValueError(f"positive_fraction must be in [0, 1], got {positive_fraction}.")
    rng = check_random_state(random_state)
    n_pos = int(round(n_samples * positive_fraction))
    target = np.zeros(n_samples, dtype=np.int64)
    target[rng.permutation(n_samples)[:n_pos]] = 1
    images = np.empty((n_samples, image_size, image_size, 1), np.float32)
    masks = np.zeros((n_samples, image_size, image_size), bool)
    yy, xx = np.mgrid[0:image_size, 0:image_size]
    for i in range(n_samples):
        image, lungs = _chest(rng, image_size)
        if target[i]:
            inside = np.argwhere(lungs > 0.9)
            cy, cx = inside[rng.randint(len(inside))]
            radius = image_size * rng.uniform(*lesion_size)
            disk = ((yy - cy) ** 2 + (xx - cx) ** 2) <= radius**2
            blob = cv2.GaussianBlur(disk.astype(np.float32), (0, 0), radius / 3)
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
