"""What an image file is (by extension, or DICOM by its marker), and the error for one that
cannot be read. Shared by the decoders (``_decode``, ``_dicom``) and the folder scanners."""

import os
import warnings

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


def display_path(path):
    """``path`` as text that any UTF-8 file or terminal can hold.

    A file name that is not valid UTF-8 reaches Python with its undecodable bytes as lone
    surrogates (``caf\\udce9.jpeg``), which a UTF-8 writer refuses; each such byte is shown
    as ``\\xNN`` instead (``caf\\xe9.jpeg``), like ``ls -b``. Other names are unchanged.
    """
    text = os.fspath(path)
    if isinstance(text, bytes):
        return text.decode("utf-8", "backslashreplace")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return os.fsencode(text).decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that no file-name byte decodes to
            return text.encode("utf-8", "backslashreplace").decode("ascii")
    return text


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


def _report(problem, on_error, skipped):
    """Raise ``problem`` (``"raise"``), or list it in ``skipped`` with a warning
    (``"skip"``) or without one (``"collect"``: the caller reports it itself)."""
    if on_error == "raise":
        raise ImageLoadError(problem)
    if on_error == "skip":
        warnings.warn(f"Skipping {problem}", UserWarning, stacklevel=4)
    skipped.append(problem)


def list_image_files(folder, on_error="raise", skipped=None):
    """The image files under ``folder``, its sub-folders included, in sorted order.

    The one folder scanner of skxray: ``load_image_folder`` lists each class folder with it
    and the CLI each folder it is given, so both find the same files. Hidden entries
    (a leading ``.``) are passed over; an entry that is neither an image file (a known
    extension, or DICOM by its marker) nor a folder, a broken or looping link, and a link
    to a folder (not followed, so no loop) are bad entries, handled by ``on_error``.
    """
    skipped = [] if skipped is None else skipped
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise ImageLoadError(f"{folder}: cannot list folder ({exc.strerror}).") from exc
    files = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = entry.path
        try:
            is_file = entry.is_file()  # follows symlinks; a loop raises OSError
            if not is_file and entry.is_symlink():
                os.stat(path)  # dangling or looping link: raise its own error
        except OSError as exc:
            _report(f"{path}: broken or looping symbolic link ({exc.strerror}).", on_error, skipped)
            continue
        if not is_file:
            if entry.is_dir(follow_symlinks=False):
                files += list_image_files(path, on_error, skipped)
                continue
            kind = "a link to a folder (not followed)" if entry.is_dir() else "not a regular file"
            _report(f"{path}: {kind}, not an image file.", on_error, skipped)
            continue
        if not _is_image_file(path):  # a known extension, or DICOM by its marker
            _report(
                f"{path}: unknown extension; expected one of {', '.join(IMAGE_EXTENSIONS)}, "
                "or a DICOM file (with 'DICM' at byte 128).",
                on_error,
                skipped,
            )
            continue
        files.append(path)
    return files
