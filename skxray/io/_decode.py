"""Decoding one image file into a resized array, with a clear error for bad input.

This is the one place that dispatches on the file format: DICOM files (by extension or
``DICM`` marker) go to :mod:`skxray.io._dicom`, everything else to Pillow (OpenCV for plain
8-bit JPEG, PNG and BMP). Both branches end in the same resize.
"""

import io
import os

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..utils._param_validation import ImageSize, StrOptions, check_image_size, validate_params
from ._dicom import read_dicom
from ._files import (
    ImageLoadError,
    _bomb_error,
    _check_pixel_count,
    _describe,
    _is_dicom,
)

_INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "bilinear": cv2.INTER_LINEAR,
    "bicubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos": cv2.INTER_LANCZOS4,
}
_RESIZE_MODES = ("stretch", "pad")
_COLOR_MODES = {"grayscale": 1, "rgb": 3}
_EXIF_ORIENTATION = 0x0112

_IMAGE_CONSTRAINTS = {
    "image_size": [ImageSize()],
    "color_mode": [StrOptions(set(_COLOR_MODES))],
    "resize": [StrOptions(set(_RESIZE_MODES))],
    "interpolation": [StrOptions(set(_INTERPOLATIONS))],
}
"""What the image-reading parameters shared by the loaders accept."""
_DECODE_CONSTRAINTS = {**_IMAGE_CONSTRAINTS, "image_size": [ImageSize(), None]}


def _to_unit_float(array):
    """Scale an integer or float array to [0, 1] by its dtype's range."""
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16 or array.dtype.kind in "iu":
        return np.clip(array.astype(np.float32) / 65535.0, 0.0, 1.0)
    if array.dtype == bool:
        return array.astype(np.float32)
    return np.clip(array.astype(np.float32), 0.0, 1.0)


def _pil_to_array(image, channels):
    """Convert any Pillow mode to a uint8 (8-bit modes) or float32 (16-bit and float modes,
    in [0, 1]) ``(H, W, channels)`` array."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = _to_unit_float(np.asarray(image))
        return array[..., None] if channels == 1 else np.repeat(array[..., None], 3, axis=-1)
    if (
        mode == "LA"
        or mode == "RGBA"
        or mode == "PA"
        or (mode == "P" and "transparency" in image.info)
    ):
        # Composite transparent pixels onto black, the background of an X-ray.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("L" if channels == 1 else "RGB")
    array = np.asarray(image, dtype=np.uint8)  # scaled to [0, 1] after the resize, exactly
    return array[..., None] if channels == 1 else array


def _resize(array, size, resize, interpolation):
    """Resize (H, W, C) ``array`` to ``size`` by stretching or padding."""
    height, width = size
    flag = _INTERPOLATIONS[interpolation]
    channels = array.shape[-1]
    if array.shape[:2] == (height, width):
        return array
    if resize == "stretch":
        out = cv2.resize(array, (width, height), interpolation=flag)
        return out.reshape(height, width, channels)
    scale = min(height / array.shape[0], width / array.shape[1])
    new_h = max(1, round(array.shape[0] * scale))
    new_w = max(1, round(array.shape[1] * scale))
    inner = cv2.resize(array, (new_w, new_h), interpolation=flag).reshape(new_h, new_w, channels)
    out = np.zeros((height, width, channels), dtype=array.dtype)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    out[top : top + new_h, left : left + new_w] = inner
    return out


_REDUCED_FLAGS = {
    (1, 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    (1, 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    (1, 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
    (3, 2): cv2.IMREAD_REDUCED_COLOR_2,
    (3, 4): cv2.IMREAD_REDUCED_COLOR_4,
    (3, 8): cv2.IMREAD_REDUCED_COLOR_8,
}
REDUCED_DECODING_MARGIN = 1.5
"""A JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) only when the
reduced image is still at least this many times the requested size on each side; the
resize to the requested size then does the rest, as from the full image. On the 16
full-resolution val X-rays (928-1776 px) decoded to 128 and 224 px, the mean absolute
difference from full decoding is at most 0.005 in [0, 1] units (``benchmarks/README.md``,
``bench_loader.py --quality``)."""


def _jpeg_reduction(width, height, size):
    """The largest DCT scale-down factor (1, 2, 4 or 8) for a ``width x height`` JPEG
    decoded to ``size`` = (height, width), keeping :data:`REDUCED_DECODING_MARGIN`."""
    if size is None:
        return 1
    target_h, target_w = size
    for factor in (8, 4, 2):
        if (
            width // factor >= REDUCED_DECODING_MARGIN * target_w
            and height // factor >= REDUCED_DECODING_MARGIN * target_h
        ):
            return factor
    return 1


def _fast_decode(data, image, channels, size=None):
    """Decode plain 8-bit JPEG/PNG/BMP with OpenCV, or return None to use Pillow.

    A JPEG much larger than ``size`` is decoded at a reduced DCT scale (see
    :data:`REDUCED_DECODING_MARGIN`): most of the work of a full decode would be
    thrown away by the resize.
    """
    if image.format not in ("JPEG", "PNG", "BMP") or image.mode not in ("L", "RGB"):
        return None
    if image.format == "JPEG" and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return None  # possibly truncated: Pillow reports it precisely
    if image.format == "PNG" and not data.endswith(b"IEND\xaeB`\x82"):
        return None
    if image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        return None
    flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
    if image.format == "JPEG":
        factor = _jpeg_reduction(*image.size, size)
        flag = _REDUCED_FLAGS.get((channels, factor), flag)
    array = cv2.imdecode(np.frombuffer(data, np.uint8), flag | cv2.IMREAD_IGNORE_ORIENTATION)
    if array is None:
        return None
    if channels == 3:
        array = cv2.cvtColor(array, cv2.COLOR_BGR2RGB)
    return array


def decode_image(
    path, image_size=None, *, color_mode="grayscale", resize="stretch", interpolation="area"
):
    """Read one image file into a float32 array ``(H, W, C)`` in [0, 1].

    JPEG, PNG, BMP and TIFF files in 8 or 16 bits and in Pillow modes
    ``1, L, LA, I, I;16, F, P, RGB, RGBA, CMYK`` are read. The EXIF orientation
    is applied. Transparent pixels are composited onto black. A JPEG at least
    3 times the requested size on each side is decoded at 1/2, 1/4 or 1/8
    scale (libjpeg's DCT scaling), keeping at least 1.5 times the requested
    size, then resized: 4.9 times faster than full decoding on 2000-px
    X-rays, within a mean absolute difference of 0.005 of it on real X-rays
    (``benchmarks/README.md``).

    DICOM files (``.dcm``, ``.dicom``, or any name with the ``DICM`` marker at
    byte 128) are read through pydicom (``pip install "skxray[dicom]"``): the
    rescale slope and intercept (or Modality LUT), then the VOI LUT or the
    window centre and width when present, else the image's own minimum and
    maximum, map the pixels to [0, 1], and MONOCHROME1 is inverted so that bone
    is bright. Colour DICOM images give their luma in grayscale. See
    :ref:`dicom-files`.

    Parameters
    ----------
    path : str or path-like
        The image file.
    image_size : int or (height, width), default=None
        Output size in pixels, each >= 1; an int means a square. ``None``
        keeps the file's own size.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        One channel (luma) or three.
    resize : {"stretch", "pad"}, default="stretch"
        ``"stretch"`` ignores the aspect ratio; ``"pad"`` keeps it and pads
        with black to the requested size.
    interpolation : {"area", "bilinear", "bicubic", "nearest", "lanczos"}, default="area"
        Resampling filter (``"area"`` is best for downscaling).

    Returns
    -------
    image : ndarray of shape (H, W, C), dtype float32

    Raises
    ------
    InvalidParameterError
        If a parameter is not one of the values listed above (scikit-learn's
        error, a ``ValueError`` and a ``TypeError``).
    ImageLoadError
        If the file is missing, unreadable, empty, not an image, truncated or
        corrupt, or larger than Pillow's decompression-bomb limit
        (``PIL.Image.MAX_IMAGE_PIXELS``); for DICOM also if pydicom is not
        installed, the file holds no pixel data or several frames, or its
        compression needs a pydicom plugin that is not installed (the message
        says which). The message names the file. No other exception escapes
        for a bad file.

    Examples
    --------
    >>> from skxray import decode_image
    >>> from skxray.datasets import load_sample_xrays
    >>> path = load_sample_xrays().paths[0]
    >>> decode_image(path, 64).shape
    (64, 64, 1)
    """
    validate_params(
        _DECODE_CONSTRAINTS,
        {
            "image_size": image_size,
            "color_mode": color_mode,
            "resize": resize,
            "interpolation": interpolation,
        },
        "decode_image",
    )
    size = None if image_size is None else check_image_size(image_size, caller="decode_image")
    return _decode_image(path, size, color_mode, resize, interpolation)


def _decode_image(path, size, color_mode, resize, interpolation):
    """:func:`decode_image` with parameters already checked: ``size`` is ``None`` or
    ``(height, width)``. Loaders check theirs once a call, then decode each file with this."""
    channels = _COLOR_MODES[color_mode]
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ImageLoadError(f"{path}: cannot read file ({exc.strerror or exc}).") from exc
    if not data:
        raise ImageLoadError(f"{path}: file is empty (0 bytes).")
    if _is_dicom(path, data):
        array = read_dicom(path, data, channels)
    else:
        array = _read_with_pillow(path, data, channels, size)
    array = array.reshape(array.shape[0], array.shape[1], channels)
    if size is not None:
        array = _resize(array, size, resize, interpolation)
    if array.dtype == np.uint8:
        return array.astype(np.float32) * np.float32(1 / 255)  # 255 maps to exactly 1.0
    # Area, bicubic and Lanczos resampling of floats overshoot [0, 1] by a rounding error
    # (1.0000001) or, near sharp edges, by more: clip, as for uint8, where OpenCV saturates.
    return np.clip(array, 0.0, 1.0, out=array)


def _read_with_pillow(path, data, channels, size=None):
    """Decode a non-DICOM file into uint8 or float32 ``(H, W[, C])``; raise ImageLoadError.

    ``size`` is the size the image will be resized to (``None``: its own): a large JPEG
    may then be decoded at a reduced scale."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            _check_pixel_count(path, *image.size)
            array = _fast_decode(data, image, channels, size)
            if array is None:
                image.load()
                array = _pil_to_array(ImageOps.exif_transpose(image), channels)
    except ImageLoadError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageLoadError(f"{path}: not a recognised image file.") from exc
    except Image.DecompressionBombError as exc:  # Pillow's own check, at twice the limit
        raise _bomb_error(path, exc) from exc
    except Exception as exc:  # Pillow's and OpenCV's decoders raise many types on bad data
        raise ImageLoadError(f"{path}: corrupt or truncated image ({_describe(exc)}).") from exc
    return array
