"""What an image file is (by extension, or DICOM by its marker), and the error for one that
cannot be read. Shared by the decoders (``_decode``, ``_dicom``) and the folder scanners."""

import os

from PIL import Image

_DICOM_EXTENSIONS = (".dcm", ".dicom")
IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".tif", ".tiff", *_DICOM_EXTENSIONS)
_DICOM_MAGIC_OFFSET = 128  # a DICOM file: a 128-byte preamble, then b"DICM"


class ImageLoadError(ValueError):
    """Raised when an image file cannot be read or decoded.

    The message always names the file and the problem. It subclasses
    :class:`ValueError`, so ``except ValueError`` catches it too.

    Examples
    --------
    >>> from skxray import ImageLoadError
    >>> issubclass(ImageLoadError, ValueError)
    True
    """


def _describe(exc):
    """An exception as ``Type: message``, for errors from third-party decoders."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _bomb_error(path, problem):
    return ImageLoadError(f"{path}: refused as a possible decompression bomb: {problem}.")


def _check_pixel_count(path, width, height):
    """Refuse images larger than Pillow's decompression-bomb limit, whatever their format."""
    limit = Image.MAX_IMAGE_PIXELS  # None disables the check, as in Pillow
    if limit is not None and width * height > limit:
        raise _bomb_error(
            path,
            f"{width}x{height} pixels exceeds the limit of {limit} (PIL.Image.MAX_IMAGE_PIXELS)",
        )


def _is_dicom(path, head):
    """Whether a file is DICOM, from its name and first bytes ``head``."""
    magic = head[_DICOM_MAGIC_OFFSET : _DICOM_MAGIC_OFFSET + 4]
    return os.fspath(path).lower().endswith(_DICOM_EXTENSIONS) or magic == b"DICM"


def _is_dicom_file(path):
    """Whether the file at ``path`` is DICOM (False if it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_DICOM_MAGIC_OFFSET + 4)
    except OSError:
        return False
    return _is_dicom(path, head)


def _is_image_file(path):
    """Whether :func:`decode_image` reads ``path``: a known extension, or DICOM by its marker."""
    return os.fspath(path).lower().endswith(IMAGE_EXTENSIONS) or _is_dicom_file(path)
