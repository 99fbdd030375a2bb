"""Image-folder loading: ``load_image_folder`` and the ``ImageDirLoader`` transformer."""

import os
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Bunch

from ..utils._defaults import FOLDER_IMAGE_SIZE, LOADER_IMAGE_SIZE
from ..utils._param_validation import (
    ParamsValidated,
    StrOptions,
    check_image_size,
    validate_params,
)
from ..utils._progress import Progress
from ._decode import _COLOR_MODES, _IMAGE_CONSTRAINTS, _decode_image
from ._files import ImageLoadError, _report, list_image_files
from ._labels import POSITIVE_CLASS, SUBTYPE_NAMES, _patient_group, _subtype_labels

_FOLDER_CONSTRAINTS = {
    "target": [StrOptions({"folder", "subtype"})],
    "image_size": _IMAGE_CONSTRAINTS["image_size"],
    "color_mode": _IMAGE_CONSTRAINTS["color_mode"],
    "on_error": [StrOptions({"raise", "skip"})],
}


def load_image_folder(
    root,
    *,
    classes=None,
    target="folder",
    load_images=False,
    image_size=FOLDER_IMAGE_SIZE,
    color_mode="grayscale",
    check_images=False,
    on_error="raise",
    n_jobs=None,
):
    """Load a ``root/<class>/<image>`` folder tree, like ``flow_from_directory``.

    Files are JPEG, PNG, BMP, TIFF or DICOM (see :func:`decode_image`);
    DICOM files need no extension. The class of an image is the name of its
    folder. When a ``PNEUMONIA`` class
    exists it is given label 1 and the other class label 0, so that
    ``scoring="f1"`` scores pneumonia out of the box; otherwise labels follow
    the sorted class names, as in :func:`sklearn.datasets.load_files`. With
    ``target="subtype"``, the public layout's pneumonia images are split into
    bacterial and viral pneumonia by their file names: three classes.

    Parameters
    ----------
    root : str or path-like
        Folder holding one sub-folder per class.
    classes : list of str, default=None
        Class folders to use, in label order. ``None`` uses every sub-folder.
    target : {"folder", "subtype"}, default="folder"
        ``"folder"``: the class is the folder. ``"subtype"``: three classes,
        ``target_names`` ``["NORMAL", "BACTERIA", "VIRUS"]`` (labels 0, 1, 2),
        from the ``NORMAL/`` and ``PNEUMONIA/`` folders of the public layout
        and the subtype in each pneumonia file name
        (``person1946_bacteria_4874.jpeg``, see :func:`pneumonia_subtype`). A
        pneumonia file whose name carries no subtype is a bad file (see
        ``on_error``).
    load_images : bool, default=False
        Also decode every image into ``images``.
    image_size : int or (height, width), default=224
        Size in pixels of ``images``, each >= 1; an int means a square.
        Used, and checked, only when images are decoded (``load_images`` or
        ``check_images``).
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        Channels of ``images``; used, and checked, only when images are
        decoded.
    check_images : bool, default=False
        Decode every file once to find corrupt or truncated images now rather
        than at training time. Implied by ``load_images=True``.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a bad file (unknown extension, unreadable, corrupt,
        truncated, empty, not an image, too large, looping link): raise an
        :class:`ImageLoadError` naming it, or warn and list it in
        ``skipped``. Problems with the tree itself (missing root, fewer than
        two classes, an empty class) always raise.
    n_jobs : int, default=None
        Threads decoding images (``-1``: all cores).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``paths`` (ndarray of str), ``target`` (ndarray of int),
        ``target_names`` (list of str), ``groups`` (ndarray of patient IDs, see
        :func:`patient_id`; for a DICOM file whose name carries none, its
        PatientID tag), ``skipped`` (list of str, one message a file),
        ``images`` (only with ``load_images=True``) and ``DESCR``.

    Raises
    ------
    InvalidParameterError
        If a parameter is not one of the values listed above (scikit-learn's
        error, a ``ValueError`` and a ``TypeError``).
    FileNotFoundError
        If ``root`` does not exist or is not a folder.
    ValueError
        If fewer than two classes are found, a class folder is empty, a
        requested class is missing, or ``target="subtype"`` meets folders other
        than ``NORMAL`` and ``PNEUMONIA``.
    ImageLoadError
        For a bad file, when ``on_error="raise"``.

    Examples
    --------
    >>> from skxray import load_image_folder
    >>> from skxray.datasets import get_sample_xrays_path
    >>> data = load_image_folder(get_sample_xrays_path())
    >>> data.target_names
    ['NORMAL', 'PNEUMONIA']
    >>> sorted(set(data.target.tolist()))
    [0, 1]
    >>> three = load_image_folder(get_sample_xrays_path(), target="subtype")
    >>> three.target_names, [int((three.target == k).sum()) for k in range(3)]
    (['NORMAL', 'BACTERIA', 'VIRUS'], [100, 84, 16])
    """
    params = {"on_error": on_error, "target": target}
    decode = load_images or check_images
    if decode:  # the image parameters matter only then
        params.update(image_size=image_size, color_mode=color_mode)
    validate_params(_FOLDER_CONSTRAINTS, params, "load_image_folder")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Image folder {str(root)!r} does not exist or is not a folder.")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if classes is None:
        classes = found
    else:
        missing = [c for c in classes if c not in found]
        if missing:
            raise ValueError(
                f"Class folder(s) {missing} not found in {str(root)!r}; found {found}."
            )
        classes = list(classes)
    if len(classes) < 2:
        raise ValueError(
            f"{str(root)!r} holds {len(classes)} class folder(s) {classes}; a classifier "
            "needs at least two (e.g. NORMAL/ and PNEUMONIA/)."
        )
    if POSITIVE_CLASS in classes and len(classes) == 2:
        classes = [c for c in classes if c != POSITIVE_CLASS] + [POSITIVE_CLASS]

    skipped, paths, labels = [], [], []
    for label, name in enumerate(classes):
        files = list_image_files(root / name, on_error, skipped)
        if not files:
            raise ValueError(f"Class folder {str(root / name)!r} contains no usable image files.")
        paths += files
        labels += [label] * len(files)
    paths = np.asarray(paths, dtype=str)
    labels = np.asarray(labels, dtype=np.int64)
    target_names = list(classes)
    if target == "subtype":
        labels, named, problems = _subtype_labels(paths, labels, target_names, root)
        for problem in problems:
            _report(problem, on_error, skipped)
        paths, labels, target_names = paths[named], labels[named], list(SUBTYPE_NAMES)

    images = None
    if decode:
        size = check_image_size(image_size, "image_size", "load_image_folder")
        images, ok, problems = _decode_many(
            paths, size=size, color_mode=color_mode, on_error=on_error, n_jobs=n_jobs
        )
        skipped += problems
        paths, labels = paths[ok], labels[ok]
        images = images[ok] if not ok.all() else images
    bunch = Bunch(
        paths=paths,
        target=labels,
        target_names=target_names,
        groups=np.asarray([_patient_group(p) for p in paths], dtype=str),
        skipped=skipped,
        DESCR=f"Image folder {root}: {len(paths)} images, classes {target_names}.",
    )
    if load_images:
        bunch.images = images
    return bunch


def _decode_many(
    paths,
    *,
    size,
    color_mode="grayscale",
    resize="stretch",
    interpolation="area",
    dtype=np.float32,
    on_error="raise",
    n_jobs=None,
    verbose=0,
):
    """Decode ``paths`` into one preallocated array of ``size`` images.

    The parameters are checked by the caller, once: ``size`` is ``(height, width)``, the
    others are values that :func:`decode_image` accepts; each file is decoded without
    checking them again. A bad file raises its :class:`ImageLoadError` (``on_error="raise"``,
    the first bad file in ``paths`` order), or is left out with a warning (``"skip"``) or
    without one (``"collect"``: the caller reports it). ``verbose`` reports the images
    decoded so far on stdout (:class:`~skxray.utils._progress.Progress`).

    Returns
    -------
    images : ndarray of shape (len(paths), height, width, channels), dtype ``dtype``
        The rows of bad files are undefined.
    ok : ndarray of bool of shape (len(paths),)
        Which files were decoded.
    problems : list of str
        One message per bad file, in ``paths`` order.
    """
    height, width = size
    channels = _COLOR_MODES[color_mode]
    out = np.empty((len(paths), height, width, channels), dtype=dtype)
    ok = np.ones(len(paths), dtype=bool)
    errors = {}

    def work(indices):
        for i in indices:
            try:
                image = _decode_image(paths[i], (height, width), color_mode, resize, interpolation)
            except ImageLoadError as exc:
                errors[i] = str(exc)
                continue
            if dtype == np.uint8:
                out[i] = np.rint(image * 255.0)
            else:
                out[i] = image

    n_workers = effective_n_jobs(n_jobs) if len(paths) > 64 else 1
    chunks = np.array_split(np.arange(len(paths)), max(1, min(len(paths), 8 * n_workers)))
    with Progress(len(paths), "decoding images", enabled=bool(verbose)) as progress:

        def work_and_report(chunk):
            work(chunk)
            progress.update(len(chunk))

        if n_workers == 1:
            for chunk in chunks:
                work_and_report(chunk)
        else:
            Parallel(n_jobs=n_workers, prefer="threads")(
                delayed(work_and_report)(c) for c in chunks
            )
    problems = []
    for i in sorted(errors):
        ok[i] = False
        _report(errors[i], on_error, problems)
    return out, ok, problems


def _dtype_name(dtype):
    """The name of the numpy dtype that ``dtype`` denotes, or ``dtype`` itself if none.

    ``"u1"``, ``np.uint8`` and ``np.dtype("uint8")`` all give ``"uint8"``.
    """
    if dtype is None:  # np.dtype(None) is float64; show None in the error
        return None
    try:
        return np.dtype(dtype).name
    except (TypeError, ValueError):
        return dtype


class ImageDirLoader(ParamsValidated, TransformerMixin, BaseEstimator):
    """Turn image paths into a 4-D array, as the first step of a ``Pipeline``.

    Each path is read by :func:`decode_image`: JPEG, PNG, BMP, TIFF or DICOM
    (``pip install "skxray[dicom]"``).

    The transformer is stateless: ``fit`` learns nothing, so the same paths
    always give the same array, at fit and at predict time alike.

    Parameters
    ----------
    image_size : int or (height, width), default=128
        Output size in pixels, each >= 1; an int means a square.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        One channel or three.
    resize : {"stretch", "pad"}, default="stretch"
        ``"stretch"`` ignores the aspect ratio (as Keras does); ``"pad"``
        keeps it and pads with black.
    interpolation : {"area", "bilinear", "bicubic", "nearest", "lanczos"}, default="area"
        Resampling filter.
    dtype : {"float32", "uint8"} or numpy dtype, default="float32"
        ``float32`` in [0, 1], or ``uint8`` in [0, 255] at a quarter of the
        memory (the estimators rescale ``uint8`` input themselves). Any
        dtype-like naming one of them (``np.uint8``, ``"u1"``...) is accepted.
    n_jobs : int, default=None
        Threads decoding images; ``-1`` uses all cores.
    verbose : int, default=0
        Report the images decoded so far (``n/total``) on stdout: redrawn in
        place in a terminal, one line per call in a log.
    stream : bool, default=False
        Decode nothing in ``transform``: return an :class:`ImageStream`, which
        the estimators read one batch at a time while they train and predict
        (``n_jobs`` threads decode the next batches). Memory then stays flat
        however many images there are. Later ``HistogramEqualizer`` and
        ``BorderCrop`` steps are applied to each batch. A bad file raises its
        :class:`ImageLoadError` when its batch is read, so check the files
        first (``load_image_folder(..., check_images=True)``).

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one path a sample.

    See Also
    --------
    load_image_folder : list the paths and labels of a folder tree.
    decode_image : read one file.

    Notes
    -----
    ``Pipeline(steps, memory=joblib.Memory(folder))`` (scikit-learn's own
    caching) stores this step's output: a second fit on the same paths, or a
    grid search over later steps, reads the images from the cache instead of
    decoding them. The cache key is the paths and this step's parameters, not
    the files' contents: clear the cache (``memory.clear()``) when files change
    in place.

    A bad file raises :class:`ImageLoadError` naming it. A transformer cannot
    drop samples without misaligning ``y``, so filter bad files beforehand
    with ``load_image_folder(..., check_images=True, on_error="skip")``.

    Examples
    --------
    >>> from skxray import ImageDirLoader
    >>> from skxray.datasets import load_sample_xrays
    >>> paths = load_sample_xrays().paths[:4]
    >>> X = ImageDirLoader(image_size=32).fit_transform(paths)
    >>> X.shape, X.dtype.name
    ((4, 32, 32, 1), 'float32')
    """

    _parameter_constraints = {
        **_IMAGE_CONSTRAINTS,
        "dtype": [StrOptions({"float32", "uint8"})],  # checked on the dtype's name
        "verbose": ["verbose"],
        "stream": ["boolean"],
    }

    def __init__(
        self,
        image_size=LOADER_IMAGE_SIZE,
        *,
        color_mode="grayscale",
        resize="stretch",
        interpolation="area",
        dtype="float32",
        n_jobs=None,
        verbose=0,
        stream=False,
    ):
        self.stream = stream
        self.image_size = image_size
        self.color_mode = color_mode
        self.resize = resize
        self.interpolation = interpolation
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _validate_params(self):
        params = self.get_params(deep=False)
        params["dtype"] = _dtype_name(self.dtype)
        validate_params(self._parameter_constraints, params, type(self).__name__)

    def _check_paths(self, X):
        if isinstance(X, (str, os.PathLike)):
            raise TypeError("X must be a list or array of image paths, not a single path.")
        paths = np.asarray([os.fspath(p) for p in np.ravel(np.asarray(X, dtype=object))])
        if np.ndim(X) > 2 or (np.ndim(X) == 2 and np.shape(X)[1] != 1):
            raise ValueError(
                f"X must be a 1-D list of image paths (or one column), got shape {np.shape(X)}."
            )
        if len(paths) == 0:
            raise ValueError("X is empty: ImageDirLoader needs at least one image path.")
        return paths

    def fit(self, X, y=None):
        """Check the parameters and the paths; nothing is learned.

        Parameters
        ----------
        X : list or ndarray of str of shape (n_samples,)
            Image paths.
        y : None
            Ignored.

        Returns
        -------
        self : ImageDirLoader
        """
        self._validate_params()
        self._check_paths(X)
        self.n_features_in_ = 1
        return self

    def transform(self, X):
        """Decode and resize the images.

        Parameters
        ----------
        X : list or ndarray of str of shape (n_samples,)
            Image paths.

        Returns
        -------
        images : ndarray of shape (n_samples, height, width, channels), or ImageStream
            An :class:`ImageStream` of the same shape with ``stream=True``.
        """
        self._validate_params()
        paths = self._check_paths(X)
        if self.stream:
            from ._stream import ImageStream

            return ImageStream(paths, self)
        return self._decode(paths, self.n_jobs, verbose=self.verbose)

    def _decode(self, paths, n_jobs, verbose=0):
        """Decode ``paths`` (checked) with this loader's settings; raise on a bad file."""
        images, _, _ = _decode_many(
            paths,
            size=check_image_size(self.image_size, "image_size", type(self).__name__),
            color_mode=self.color_mode,
            resize=self.resize,
            interpolation=self.interpolation,
            dtype=np.dtype(self.dtype),
            n_jobs=n_jobs,
            verbose=verbose,
        )
        return images

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
