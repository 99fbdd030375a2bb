"""Real chest X-rays: the bundled sample and the public folder layout."""

from importlib import resources
from pathlib import Path

from ..io._decode import _IMAGE_CONSTRAINTS
from ..io._folders import load_image_folder
from ..utils._defaults import LOADER_IMAGE_SIZE
from ..utils._param_validation import StrOptions, validate_params

ATTRIBUTION = (
    "Images: Kermany, Zhang, Goldbaum (2018), 'Labeled Optical Coherence Tomography (OCT) and "
    "Chest X-Ray Images for Classification', Mendeley Data, V2, doi:10.17632/rscbjbr9sj.2; "
    "Kermany et al., Cell 172(5):1122-1131, 2018. License: CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/)."
)

_SAMPLE_DESCR = f"""Sample of real pediatric chest X-rays shipped with skxray
-------------------------------------------------------------

100 NORMAL and 100 PNEUMONIA images, one per patient, chosen with a fixed seed
from the official train split of the Kermany et al. chest X-ray dataset and
downsized to 128x128 8-bit grayscale JPEG (maint_tools/make_sample_xrays.py).
Labels: 0 = NORMAL, 1 = PNEUMONIA.

{ATTRIBUTION}
"""


def get_sample_xrays_path():
    """Return the folder of the bundled sample (``NORMAL/`` and ``PNEUMONIA/``).

    Returns
    -------
    path : str

    Examples
    --------
    >>> from skxray.datasets import get_sample_xrays_path
    >>> import os
    >>> sorted(os.listdir(get_sample_xrays_path()))
    ['NORMAL', 'PNEUMONIA']
    """
    return str(resources.files("skxray.datasets") / "data" / "sample_xrays")


def load_sample_xrays(
    *, target="folder", load_images=True, image_size=LOADER_IMAGE_SIZE, color_mode="grayscale"
):
    """Load the 200 real chest X-rays bundled with skxray (CC BY 4.0).

    Parameters
    ----------
    target : {"folder", "subtype"}, default="folder"
        ``"folder"``: NORMAL (0) and PNEUMONIA (1), 100 images each.
        ``"subtype"``: NORMAL (0), BACTERIA (1) and VIRUS (2), 100, 84 and 16
        images (see :func:`skxray.load_image_folder`).
    load_images : bool, default=True
        Decode the images into ``images``.
    image_size : int or (height, width), default=128
        Size in pixels of ``images``, each >= 1; an int means a square (the
        files are 128x128). Used, and checked, only with ``load_images=True``.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        Channels of ``images``; used, and checked, only with ``load_images=True``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`skxray.load_image_folder`: ``paths``, ``target`` (1 =
        PNEUMONIA), ``target_names``, ``groups``, ``images`` and ``DESCR``
        (with the attribution).

    Examples
    --------
    >>> from skxray.datasets import load_sample_xrays
    >>> data = load_sample_xrays(image_size=64)
    >>> data.images.shape
    (200, 64, 64, 1)
    >>> data.target_names
    ['NORMAL', 'PNEUMONIA']
    """
    if load_images:  # the image parameters matter only then
        validate_params(
            _IMAGE_CONSTRAINTS,
            {"image_size": image_size, "color_mode": color_mode},
            "load_sample_xrays",
        )
    data = load_image_folder(
        get_sample_xrays_path(),
        target=target,
        load_images=load_images,
        image_size=image_size,
        color_mode=color_mode,
    )
    data.DESCR = _SAMPLE_DESCR
    return data


def load_chest_xray(root, split="train", **kwargs):
    """Load one split of the public chest X-ray dataset's folder layout.

    The Kaggle / Mendeley layout is ``root/{train,val,test}/{NORMAL,PNEUMONIA}/``.
    The data is not downloaded: get it from doi:10.17632/rscbjbr9sj.2.

    Parameters
    ----------
    root : str or path-like
        Folder holding ``train/``, ``val/`` and ``test/``.
    split : {"train", "val", "test"}, default="train"
        Which split.
    **kwargs
        Passed to :func:`skxray.load_image_folder` (``load_images``,
        ``image_size``, ``on_error``...).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`skxray.load_image_folder`, with the attribution in ``DESCR``.

    Examples
    --------
    >>> from skxray.datasets import load_chest_xray
    >>> load_chest_xray("/nowhere")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: Image folder '/nowhere/train' does not exist or is not a folder.
    """
    validate_params(
        {"split": [StrOptions({"train", "val", "test"})]}, {"split": split}, "load_chest_xray"
    )
    data = load_image_folder(Path(root) / split, classes=["NORMAL", "PNEUMONIA"], **kwargs)
    data.DESCR = f"Chest X-ray dataset, split {split!r}: {len(data.paths)} images.\n{ATTRIBUTION}"
    return data
