"""Helpers of the ``skxray`` commands: errors, progress, output checks, model files, images.

Model files are read and written only by ``_save_model`` and ``_load_model``. Every problem a
user can fix is raised as :class:`CommandError` (or an skxray error) with a message that names
the file; ``skxray.cli.main`` prints it as one line. TensorFlow, Keras and scikit-learn are
imported inside the functions.
"""

import errno
import os
import sys
import zipfile
from pathlib import Path

DEFAULT_CLASS_NAMES = ("NORMAL", "PNEUMONIA")  # load_image_folder's labels 0 and 1
POSITIVE_CLASS = "PNEUMONIA"


class CommandError(Exception):
    """A problem the person running the command can fix; the message says which file."""


def one_line(exc):
    """The message of ``exc`` on one line, naming the file of an ``OSError``."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        text = f"{os.fspath(exc.filename)}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def plural(count, noun):
    """``1 image``, ``2 images``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def progress(args, message):
    """Print a progress line, unless --quiet."""
    if not args.quiet:
        print(message, flush=True)


def keras_verbosity(args):
    """The estimators' ``verbose``: 0 with --quiet, else 1 (they draw a bar on a terminal
    and write one line an epoch elsewhere)."""
    return 0 if args.quiet else 1


CREATED_FOLDERS = []
"""Folders this command created, removed again by ``main`` when it fails and they are empty."""


def make_folder(path, what="output folder"):
    """Create folder ``path`` (and its parents), or say why it cannot be."""
    path = Path(path)
    if not path.exists():
        CREATED_FOLDERS.append(path)
    for ancestor in (path, *path.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise CommandError(f"cannot create {what} {path}: {ancestor} is a file")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {what} {path}: {exc.strerror or exc}") from exc
    if not os.access(path, os.W_OK):
        raise CommandError(f"cannot write to {what} {path}: permission denied")
    return path


def check_output_file(path, what):
    """Check before the long steps that file ``path`` can be written."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{what} {path} is a folder; give a file name")
    make_folder(path.parent, f"folder of the {what}")
    return path


def ensure_keras(args):
    """Import Keras (and TensorFlow) now, with its start-up log lines dropped unless
    ``--verbose``; commands call this once their inputs are checked."""
    if "keras" in sys.modules:
        return
    if getattr(args, "verbose", False):
        import keras  # noqa: F401
    else:
        from ..utils._quiet import import_quietly

        import_quietly("keras")


def _save_model(model, path, **metadata):
    """Write a fitted model to ``path`` with :func:`skxray.save` (a file that loading never
    unpickles); ``metadata``: ``target_names``, ``threshold``, ``training_paths``."""
    from ..persistence._model_file import save

    path = check_output_file(path, "model file")
    try:
        save(model, path, **metadata)  # written to a temporary file, then renamed
    except (OSError, TypeError, ValueError) as exc:
        raise CommandError(f"cannot write model file {path}: {one_line(exc)}") from exc
    return path


def _load_model(path, args=None):
    """Read a model file written by ``_save_model`` / :func:`skxray.save`, or a shipped
    model by name: ``(model, metadata)``. Any problem with the file raises one
    :class:`CommandError` naming it; nothing in the file is unpickled or run."""
    path = Path(shipped_model_path(path))
    ensure_keras(args)
    from ..persistence._model_file import ModelFileError, load, load_metadata

    if not path.is_file():
        raise CommandError(f"model file {path} is a folder, not a file")
    try:
        metadata = load_metadata(path)
        model = load(path)
    except ModelFileError as exc:
        raise CommandError(
            f"cannot read model file: {one_line(exc)} (write one with skxray train or "
            "skxray demo --save)"
        ) from exc
    return model, metadata


def shipped_model_path(name):
    """``name`` itself when such a file or folder exists, else the file of the shipped model
    of that name; an unknown name gets an error that lists the shipped models."""
    from ..persistence._errors import ModelFileError
    from ..persistence._pretrained import _registry, pretrained_path

    if Path(name).exists():
        return name
    if name in _registry():
        try:
            return str(pretrained_path(name))
        except (ValueError, ModelFileError) as exc:
            raise CommandError(one_line(exc)) from exc
    shipped = ", ".join(_registry()) or "none in this installation"
    if Path(name).suffix.lower() in _MODEL_SUFFIXES or os.sep in str(name):
        raise CommandError(f"model file {name} does not exist")
    raise CommandError(
        f"model {name} is neither a model file nor a shipped model (shipped: {shipped}; "
        "skxray models lists them)"
    )


def precheck_images(paths):
    """Refuse, in well under a second, a file that cannot be an image (empty, or a header
    that Pillow and the DICOM check do not recognise) before any model loads."""
    from PIL import Image, UnidentifiedImageError

    from ..io._files import _is_dicom_file

    for path in paths:
        try:
            if os.path.getsize(path) == 0:
                raise CommandError(f"{path}: file is empty (0 bytes)")
            if _is_dicom_file(path):
                continue
            with Image.open(path):
                pass
        except UnidentifiedImageError:
            raise CommandError(f"{path}: not a recognised image file") from None
        except OSError as exc:
            raise CommandError(one_line(exc)) from None


def missing_path_message(path):
    """Why ``path``, which ``os.path.exists`` denies, cannot be read: missing, a broken
    symbolic link, or a loop of them."""
    if not os.path.islink(path):
        return f"{path}: no such file or folder"
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{path}: a loop of symbolic links"
    return f"{path}: a symbolic link to {os.readlink(path)}, which does not exist"


def image_files(inputs, problems=None):
    """The image files among ``inputs``: files as given, folders searched recursively by
    the scanner ``load_image_folder`` uses; other entries of a folder go to ``problems``."""
    from ..io._files import IMAGE_EXTENSIONS, ImageLoadError, list_image_files

    files = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            skipped = []
            try:
                found = list_image_files(path, "collect", skipped)
            except ImageLoadError as exc:
                raise CommandError(one_line(exc)) from exc
            if not found:
                listed = "; ".join(str(p) for p in skipped[:3]) + (
                    "..." if len(skipped) > 3 else ""
                )
                raise CommandError(
                    f"folder {path} holds no image files ({', '.join(IMAGE_EXTENSIONS)} or "
                    "DICOM), even in its sub-folders"
                    + (f"; skipped {len(skipped)}: {listed}" if skipped else "")
                )
            if problems is not None:
                problems += skipped
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise CommandError(missing_path_message(path))
    return list(dict.fromkeys(str(f) for f in files))


def image_shape(model, path):
    """The (H, W, C) a fitted model (Pipeline, ensemble or skxray classifier) was fitted on."""
    from ..utils._estimators import final_estimator, members

    shape = getattr(members(model)[0], "image_shape_", None)
    if shape is None:
        raise CommandError(
            f"cannot tell which image size the {type(final_estimator(model)).__name__} in "
            f"{path} expects; save a Pipeline that starts with an ImageDirLoader instead"
        )
    return shape


def decode_for(model, model_path, paths, args, skip_bad=False):
    """Decode ``paths`` as ``model`` reads them.

    Returns ``(images, kept_paths, problems, rest)``: ``rest`` is the model after its
    ``ImageDirLoader`` (or the whole model, which then decodes at its ``image_shape_``), so
    ``rest.predict_proba(images)`` is the model's prediction for ``kept_paths``.
    """
    import numpy as np

    from ..io._folders import ImageDirLoader, _decode_many
    from ..utils._param_validation import check_image_size

    first = model.steps[0][1] if hasattr(model, "steps") else None
    if isinstance(first, ImageDirLoader):
        loader, rest = first, model[1:]
    else:
        height, width, channels = image_shape(model, model_path)
        color_mode = "rgb" if channels == 3 else "grayscale"
        loader, rest = ImageDirLoader((height, width), color_mode=color_mode), model
    progress(args, f"decoding {plural(len(paths), 'image')}...")
    images, ok, problems = _decode_many(
        np.asarray(paths, dtype=str),
        size=check_image_size(loader.image_size, "image_size", "ImageDirLoader"),
        color_mode=loader.color_mode,
        resize=loader.resize,
        interpolation=loader.interpolation,
        dtype=np.dtype(loader.dtype),
        on_error="collect" if skip_bad else "raise",  # skipped files are returned, not warned
        n_jobs=-1,
        verbose=not args.quiet,
    )
    if not ok.any():
        raise CommandError(f"none of the {len(paths)} images could be read: {problems[0]}")
    kept = [p for p, good in zip(paths, ok, strict=True) if good]
    return (images if ok.all() else images[ok]), kept, problems, rest


def class_names(model, metadata):
    """The model's class names and the column of PNEUMONIA (the positive class)."""
    names = metadata.get("class_names")
    classes = list(model.classes_)
    if not names:
        if all(isinstance(c, str) for c in classes):
            names = classes
        elif len(classes) == 2 and [int(c) for c in classes] == [0, 1]:
            names = list(DEFAULT_CLASS_NAMES)
        else:
            names = [str(c) for c in classes]
    if len(names) != len(classes):
        raise CommandError(
            f"the model has {len(classes)} classes but its file names {len(names)}: {names}"
        )
    if len(names) > 2:
        return list(names), None
    return list(names), names.index(POSITIVE_CLASS) if POSITIVE_CLASS in names else 1


def threshold_of(args, metadata, n_classes=2):
    """--threshold, else the threshold saved with the model, else 0.5; ``None`` for a model
    of three classes or more, which predicts the most probable class."""
    if n_classes > 2:
        if args.threshold is not None:
            raise CommandError(
                f"--threshold is for two-class models; this one has {n_classes} classes and "
                "predicts the most probable"
            )
        return None
    if args.threshold is not None:
        return args.threshold
    saved = metadata.get("threshold")
    return 0.5 if saved is None else saved


def report_skipped(problems):
    """List skipped files on stderr; the clause the summary line ends with."""
    for problem in problems:
        print(f"skxray: skipped {problem}", file=sys.stderr)
    return f"; skipped {len(problems)} unreadable file(s), listed on stderr" if problems else ""


_MODEL_SUFFIXES = (".skxray", ".joblib", ".pkl", ".pickle", ".keras")


def _is_model_file(path):
    """Whether ``path`` is meant as a model: a model-file suffix (an unusable one then gets
    the model-file error), or a zip holding ``metadata.json``."""
    path = Path(path)
    if path.suffix.lower() in _MODEL_SUFFIXES:
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            return "metadata.json" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def resolve_model(args, inputs):
    """Set ``args.model`` to the model file to use and return the image inputs.

    ``--model`` names a shipped model or a file; without it, a model file given as the
    first input (the syntax before shipped models) is used, else the shipped
    ``"pneumonia"`` model, and the command says which.
    """
    from ..persistence._pretrained import DEFAULT_PRETRAINED

    inputs = list(inputs)
    if args.model is None and inputs and _is_model_file(inputs[0]):
        args.model, inputs = inputs[0], inputs[1:]
    if not inputs:
        raise CommandError("no images given: name image files or folders")
    name = DEFAULT_PRETRAINED if args.model is None else args.model
    args.model = shipped_model_path(name)
    if args.model != name:
        progress(args, f"Using the shipped model {name!r} (skxray models lists them).")
    return inputs


def model_and_images(args, inputs):
    """What ``predict`` and ``explain`` start from: the model file, its class names and
    threshold, and the images of ``inputs`` decoded as the model reads them.

    Returns ``(names, positive, threshold, images, paths, problems, rest)``; see
    :func:`decode_for` for the last four. ``positive`` (the column of PNEUMONIA) and
    ``threshold`` are ``None`` for a model of three classes or more.
    """
    model, metadata, images, paths, problems, rest = loaded_model_and_images(args, inputs)
    names, positive = class_names(model, metadata)
    threshold = threshold_of(args, metadata, len(names))
    return (names, positive, threshold, images, paths, problems, rest)


def loaded_model_and_images(args, inputs):
    """The model of ``args`` (a shipped name or a file), its metadata, and the images of
    ``inputs`` decoded as it reads them: ``(model, metadata, images, paths, problems,
    rest)``, ``problems`` including the non-image entries of the folders given."""
    inputs = resolve_model(args, inputs)
    scanned = []  # non-image entries of the folders given: reported, not fatal
    files = image_files(inputs, scanned)
    if not args.skip_bad:
        precheck_images(files)  # a file that is no image fails before the model loads
    model, metadata = _load_model(args.model, args)
    images, paths, problems, rest = decode_for(model, args.model, files, args, args.skip_bad)
    return model, metadata, images, paths, scanned + problems, rest
