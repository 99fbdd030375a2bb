"""DICOM pixels through pydicom, imported on the first DICOM file met.

:func:`~skxray.io._decode.decode_image` recognises a DICOM file (by its extension or
its ``DICM`` marker) and calls :func:`read_dicom`, which turns its pixels into
what a radiologist sees, with pydicom's own functions:

1. the Modality LUT, or Rescale Slope and Intercept (``pydicom.pixels.apply_rescale``);
2. the VOI LUT (``apply_voi``), else Window Center and Width (``apply_windowing``), else
   the image's own minimum and maximum, mapped to [0, 1];
3. MONOCHROME1 inverted, so that bone is bright as in MONOCHROME2.

Values stay float64 until the result is cast to float32, so 16-bit data keeps its
precision. Every failure, pydicom's included, is an :class:`~skxray.ImageLoadError`
naming the file.
"""

import io
import re

import numpy as np

from ._files import ImageLoadError, _check_pixel_count, _describe, _is_dicom_file

_INSTALL_HINT = 'pip install "skxray[dicom]"'
_GRAY = ("MONOCHROME1", "MONOCHROME2")
_COLOR = ("RGB", "YBR_FULL", "YBR_FULL_422")  # pydicom returns all three as RGB
_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601-2, as Pillow's and OpenCV's gray
_REQUIRED = ("Rows", "Columns", "BitsAllocated", "BitsStored", "SamplesPerPixel")
_PIP_NAMES = {"gdcm": "python-gdcm"}  # import name -> pip name, where they differ


def _import_pydicom(path):
    """``pydicom``, or an :class:`ImageLoadError` naming ``path`` and the extra to install."""
    try:
        import pydicom
        import pydicom.pixels
    except ImportError as exc:
        raise ImageLoadError(
            f"{path}: a DICOM file; reading DICOM needs pydicom: {_INSTALL_HINT}."
        ) from exc
    return pydicom


def _install_hint(decoder):
    """``pip install ...`` commands for the plugins pydicom lists as missing for ``decoder``."""
    commands = []
    for line in decoder.missing_dependencies:  # e.g. "pylibjpeg - requires pylibjpeg>=2.0 and x"
        needs = line.partition(" - requires ")[2]
        names = [re.split(r"[<>=!~ ]", name.strip())[0] for name in re.split(r",| and ", needs)]
        names = [_PIP_NAMES.get(name, name) for name in names if name and name != "numpy"]
        if names:
            commands.append(f"pip install {' '.join(names)}")
    return " or ".join(commands) if commands else "a pydicom pixel-data plugin"


def _check_decodable(path, ds, pydicom):
    """Refuse what skxray does not read: no pixels, several frames, too many, no plugin."""
    if "PixelData" not in ds:
        sop = ds.get("SOPClassUID")
        kind = pydicom.uid.UID(sop).name if sop else ""
        if "Rows" in ds or "Image Storage" in kind:  # pydicom stops quietly at the file's end
            problem = f"truncated or corrupt DICOM image: {kind or 'an image'} without pixel data"
        elif kind:
            problem = f"a DICOM object without pixel data ({kind}), not an image"
        else:
            problem = "a DICOM file without pixel data or SOP class: truncated, or not an image"
        raise ImageLoadError(f"{path}: {problem}.")
    frames = int(ds.get("NumberOfFrames") or 1)
    if frames > 1:
        raise ImageLoadError(
            f"{path}: a multi-frame DICOM image ({frames} frames); skxray reads single-frame "
            "images only."
        )
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if photometric not in _GRAY + _COLOR:
        raise ImageLoadError(
            f"{path}: DICOM photometric interpretation {photometric or 'missing'!r} is not "
            f"supported (supported: {', '.join(_GRAY + _COLOR)})."
        )
    missing = [keyword for keyword in _REQUIRED if ds.get(keyword) is None]
    if missing:
        raise ImageLoadError(f"{path}: DICOM image without the tag(s) {', '.join(missing)}.")
    _check_pixel_count(path, int(ds.Columns), int(ds.Rows))
    syntax = ds.file_meta.TransferSyntaxUID
    named = syntax if syntax.name == str(syntax) else f"{syntax.name} ({syntax})"
    try:
        decoder = pydicom.pixels.get_decoder(syntax)
    except NotImplementedError as exc:
        raise ImageLoadError(
            f"{path}: DICOM transfer syntax {named} is not supported by pydicom."
        ) from exc
    if not decoder.is_available:
        raise ImageLoadError(
            f"{path}: pixel data compressed as {named}, which no installed pydicom plugin "
            f"decodes; install one: {_install_hint(decoder)}."
        )
    return photometric


def _voi(values, ds, pixels):
    """Apply the VOI step; return the values and the (black, white) ends of its output."""
    lut = ds.get("VOILUTSequence")
    if lut and "LUTDescriptor" in lut[0] and "LUTData" in lut[0]:  # pydicom prefers the LUT
        entries, first = lut[0].LUTDescriptor[0] or 2**16, lut[0].LUTDescriptor[1]
        table = pixels.apply_voi(np.arange(first, first + entries), ds)  # the whole LUT
        # A LUT maps integers; clipping to its domain first keeps pydicom's index in range.
        values = np.clip(np.rint(values), first, first + entries - 1).astype(np.int64)
        return pixels.apply_voi(values, ds), table.min(), table.max()
    if "WindowCenter" in ds and "WindowWidth" in ds:
        # The window's output range is what it gives far below and far above the window.
        black, white = pixels.apply_windowing(np.array([-np.inf, np.inf]), ds)
        return pixels.apply_windowing(values, ds), black, white
    return values, values.min(), values.max()


def _gray_pixels(ds, array, pixels, photometric):
    """Modality then VOI step of a MONOCHROME image, as float64 in [0, 1] with bone bright."""
    values = pixels.apply_rescale(array, ds)
    values, black, white = _voi(np.asarray(values, dtype=np.float64), ds, pixels)
    values = np.asarray(values, dtype=np.float64)
    span = float(white) - float(black)
    scaled = (values - black) / span if span else values - black  # constant: black (or NaN)
    if photometric == "MONOCHROME1":
        scaled = 1.0 - scaled  # low values are white in MONOCHROME1
    return scaled


def _unit_pixels(path, ds, pydicom, channels):
    """The pixels of ``ds`` as float64 ``(H, W, 1 or channels)``, about [0, 1]."""
    photometric = _check_decodable(path, ds, pydicom)
    array = pydicom.pixels.pixel_array(ds)
    if photometric in _GRAY:
        return _gray_pixels(ds, array, pydicom.pixels, photometric)[..., None]
    array = array / float(2 ** int(ds.BitsStored) - 1)  # RGB: each channel by its bit depth
    return (array @ _LUMA)[..., None] if channels == 1 else array


def read_dicom(path, data, channels):
    """Decode the DICOM file ``data`` (read from ``path``) into float32 ``(H, W, channels)``.

    Parameters
    ----------
    path : str
        The file, named in errors.
    data : bytes
        Its contents.
    channels : {1, 3}
        Gray (luma for colour images) or RGB (gray repeated).

    Returns
    -------
    image : ndarray of shape (rows, columns, channels), dtype float32, in [0, 1]

    Raises
    ------
    ImageLoadError
        If pydicom is missing, the file is corrupt or truncated, holds no pixel data or
        several frames, uses an unsupported photometric interpretation, is larger than
        ``PIL.Image.MAX_IMAGE_PIXELS``, or is compressed in a syntax that no installed
        plugin decodes. The message names the file.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from pydicom import Dataset, FileMetaDataset, uid
    >>> ds = Dataset()
    >>> ds.file_meta = FileMetaDataset()
    >>> ds.file_meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
    >>> ds.SOPClassUID = uid.DigitalXRayImageStorageForPresentation
    >>> ds.SOPInstanceUID = uid.generate_uid()
    >>> ds.set_pixel_data(np.array([[0, 50], [100, 200]], np.uint8), "MONOCHROME1", 8)
    >>> buffer = io.BytesIO()
    >>> ds.save_as(buffer, enforce_file_format=True)
    >>> read_dicom("x.dcm", buffer.getvalue(), 1)[..., 0]
    array([[1.  , 0.75],
           [0.5 , 0.  ]], dtype=float32)
    """
    pydicom = _import_pydicom(path)
    try:
        with np.errstate(all="ignore"):  # overflows give non-finite values, refused below
            array = _unit_pixels(path, pydicom.dcmread(io.BytesIO(data)), pydicom, channels)
    except ImageLoadError:
        raise
    except Exception as exc:  # pydicom, its plugins and numpy raise many types on bad files
        problem = f"corrupt or unreadable DICOM file ({_describe(exc)})"
        raise ImageLoadError(f"{path}: {problem}.") from exc
    if array.ndim != 3 or array.shape[-1] not in (1, channels):
        raise ImageLoadError(f"{path}: DICOM pixels of unexpected shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ImageLoadError(
            f"{path}: DICOM pixels scale to non-finite values (check Rescale Slope and "
            "Intercept, and the window)."
        )
    array = np.clip(array, 0.0, 1.0).astype(np.float32)
    return np.repeat(array, channels, axis=-1) if array.shape[-1] != channels else array


def dicom_patient_id(path):
    """The PatientID tag of the DICOM file at ``path``, or None.

    Only the header is read. The decoder reports broken files when their pixels are read.

    Parameters
    ----------
    path : str or path-like
        Any file.

    Returns
    -------
    str or None
        None for a file that is not DICOM, cannot be read, or has no PatientID.

    Raises
    ------
    ImageLoadError
        If ``path`` is a DICOM file and pydicom is not installed.
    """
    if not _is_dicom_file(path):
        return None
    pydicom = _import_pydicom(path)
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["PatientID"])
        return str(ds.get("PatientID") or "").strip() or None
    except Exception:  # a broken header: the decoder names the problem when it is decoded
        return None
