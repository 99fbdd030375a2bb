"""Safe model files: :func:`save` and :func:`load`, which never unpickle.

A model file (``.skxray`` recommended) is a zip archive holding ``metadata.json`` (format
``"skxray-model"`` version 1, the versions that wrote it, class names, image shape,
preprocessing, threshold, training-data fingerprint); ``skeleton.skops``, the scikit-learn object
with its Keras networks taken out, written by :mod:`skops.io` (itself a zip, hence nested),
whose loader refuses every type outside skops' defaults and :data:`TRUSTED_TYPES`; and
``networks/<i>.keras``, the ``model_`` of each skxray classifier in ``members`` order, loaded
with ``safe_mode=True``. Keras objects in parameters (callbacks, optimizer instances or
classes) are code, not data: they act only in training, and :func:`save` refuses them. The
scikeras callback lists are rebuilt from the parameters at load.

joblib/pickle: only for files you trust; skxray.save/load for files you share.
"""

import contextlib
import hashlib
import io
import json
import numbers
import os
import re
import tempfile
import zipfile
import zlib
from pathlib import Path

import keras
import sklearn
import skops
import skops.io
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted
from skops.io.exceptions import UntrustedTypesFoundException

from .._version import __version__
from ..io._files import IMAGE_EXTENSIONS
from ..io._folders import ImageDirLoader
from ..models._training._base import BaseXrayClassifier
from ..utils._estimators import final_estimator, members
from ..utils._param_validation import invalid, real, validate_params
from ._errors import ModelFileError

FORMAT = "skxray-model"
FORMAT_VERSION = 1
_METADATA, _SKELETON = "metadata.json", "skeleton.skops"

TRUSTED_TYPES = (
    # skxray's estimators, transformers and augmenter
    "skxray.models._scratch.ScratchCNNClassifier",
    "skxray.models._transfer.InceptionTransferClassifier",
    "skxray.models._transfer.TransferClassifier",
    "skxray.io._folders.ImageDirLoader",
    "skxray.preprocessing._transformers.HistogramEqualizer",
    "skxray.preprocessing._transformers.BorderCrop",
    "skxray.models._augment.XrayAugmenter",
    # what a fitted classifier and a recommended_classifier pipeline hold beyond skops'
    # defaults (skops.io.get_untrusted_types on saved files): scikeras' target encoders, the
    # dtypes of the training data, and VotingClassifier.named_estimators_
    "scikeras.utils.transformers.ClassifierLabelEncoder",
    "scikeras.utils.transformers.TargetReshaper",
    "numpy.dtype",
    f"{Bunch.__module__}.{Bunch.__qualname__}",  # where scikit-learn defines it (private)
)
"""Types a model file's skeleton may hold beyond skops' defaults; :func:`load` refuses others."""

MOVED_MODULES = {
    "skxray._scratch": "skxray.models._scratch",
    "skxray._transfer": "skxray.models._transfer",
    "skxray._augment": "skxray.models._augment",
    "skxray._io": "skxray.io._folders",
    "skxray._preprocess": "skxray.preprocessing._transformers",
}
"""Where the classes a skeleton may name lived before the subpackages (skxray 0.1 files)."""


def _upgrade_module_paths(skeleton):
    """``skeleton`` (skops bytes) with the modules of :data:`MOVED_MODULES` renamed, so that
    files saved before the move load; the allow-list then checks the new names as usual."""
    with zipfile.ZipFile(io.BytesIO(skeleton)) as archive:
        members = {info: archive.read(info) for info in archive.infolist()}
    changed = False
    for info, data in members.items():
        if info.filename != "schema.json":
            continue
        text = data.decode("utf-8")
        for old, new in MOVED_MODULES.items():
            text = text.replace(f'"__module__": "{old}"', f'"__module__": "{new}"')
        changed = text.encode("utf-8") != data
        members[info] = text.encode("utf-8")
    if not changed:
        return skeleton
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in members.items():
            archive.writestr(info, data)
    return buffer.getvalue()


def _networks(model):
    """The fitted skxray classifiers of ``model``, whose networks are saved apart."""
    nets = members(model)
    if not all(isinstance(net, BaseXrayClassifier) for net in nets):
        raise TypeError(
            "skxray.save saves an skxray classifier, a Pipeline ending in one, or a "
            f"VotingClassifier of them; got {type(model).__name__} (for a search, save its "
            "best_estimator_)."
        )
    try:
        check_is_fitted(model)
        for net in nets:
            check_is_fitted(net, "model_")
    except NotFittedError:
        raise NotFittedError(
            f"This {type(model).__name__} is not fitted: call fit before skxray.save."
        ) from None
    return nets


def _holds_keras(value):
    if isinstance(value, (list, tuple, dict)):
        return any(map(_holds_keras, value.values() if isinstance(value, dict) else value))
    return isinstance(value, type) or type(value).__module__.startswith(("keras", "tensorflow"))


def _check_parameters(nets):
    for net in nets:
        for name, value in net.get_params(deep=False).items():
            if _holds_keras(value) or isinstance(value, keras.callbacks.Callback):
                raise ValueError(
                    f"skxray.save cannot store {type(net).__name__}'s parameter {name}={value!r}: "
                    "Keras objects and classes are code, not data. Such parameters act only in "
                    "training; set them to None or a name (optimizer='adam') with set_params "
                    "before saving, or use joblib for a file only you will load."
                )


def _fingerprint(training_paths):
    if isinstance(training_paths, dict):  # another file's record, kept (a re-saved model)
        if set(training_paths) != {"n_files", "sha256"}:
            raise ValueError(
                "training_paths: a dict must be the 'training_data' of a model file's metadata "
                f"(keys n_files and sha256); got keys {sorted(training_paths)}"
            )
        return {"n_files": int(training_paths["n_files"]), "sha256": str(training_paths["sha256"])}
    if isinstance(training_paths, (str, os.PathLike)):
        root = Path(training_paths)
        if not root.is_dir():
            raise FileNotFoundError(f"training_paths: {root} is not a folder (or pass a list)")
        files = [p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS]
    else:
        files = [Path(p) for p in training_paths]
    names = "\n".join(sorted(p.name for p in files))
    return {"n_files": len(files), "sha256": hashlib.sha256(names.encode()).hexdigest()}


def _plain(size):
    return int(size) if isinstance(size, numbers.Integral) else [int(n) for n in size]


def _metadata(model, nets, target_names, threshold, training_paths):
    classes = [str(c) for c in final_estimator(model).classes_]
    if target_names is not None:
        if len(target_names) != len(classes) or not all(isinstance(n, str) for n in target_names):
            invalid(
                "target_names", "skxray.save", f"{len(classes)} str, one per class", target_names
            )
        classes = list(target_names)
    steps = model.steps[:-1] if isinstance(model, Pipeline) else []
    loader = next((step for _, step in steps if isinstance(step, ImageDirLoader)), None)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": {
            "skxray": __version__,
            "keras": keras.__version__,
            "keras_backend": keras.backend.backend(),
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
        },
        "estimator": type(model).__name__,
        "class_names": classes,
        "image_shape": [int(n) for n in nets[0].image_shape_],
        "image_dtype": str(nets[0].image_dtype_),
        "preprocessing": {
            "steps": [name for name, _ in steps],
            "loader": loader
            and {"image_size": _plain(loader.image_size), "color_mode": loader.color_mode},
        },
        "threshold": float(threshold) if len(classes) == 2 else None,  # else: most probable
        "training_data": None if training_paths is None else _fingerprint(training_paths),
        "networks": [f"networks/{i}.keras" for i in range(len(nets))],
    }


def save(model, path, *, target_names=None, threshold=0.5, training_paths=None, provenance=None):
    """Save a fitted skxray model to one file that :func:`load` reads without unpickling.

    joblib/pickle: only for files you trust; skxray.save/load for files you share.
    The file is a zip archive: ``metadata.json``, the scikit-learn skeleton
    written by :mod:`skops.io`, and each Keras network as a ``.keras`` member.

    Parameters
    ----------
    model : estimator
        A fitted :class:`ScratchCNNClassifier` or :class:`TransferClassifier`
        (any backbone), a ``Pipeline`` ending in one
        (such as :func:`recommended_classifier`'s), or a ``VotingClassifier``
        of them; ``NotFittedError`` if unfitted. Keras objects in parameters
        (callbacks, optimizer instances) are refused: set them to ``None`` or
        a name first.
    path : str or path-like
        Where to write (``.skxray`` recommended), through a temporary file.
    target_names : list of str, default=None
        Class names, one per class of ``classes_``; ``None`` records
        ``classes_`` as strings.
    threshold : float, default=0.5
        The decision threshold on the positive-class probability, in (0, 1),
        recorded for the file's users (``predict`` itself is unchanged). A
        model of three classes or more records ``None``: it predicts the most
        probable class.
    training_paths : folder, list of paths or dict, default=None
        The training images (a folder, searched recursively, or file paths):
        records their count and a sha256 of their sorted file names (names
        only, not contents). A dict is another file's record
        (``load_metadata(path)["training_data"]``), kept as it is, for a model
        saved again (e.g. after :func:`~skxray.calibrate_input_check`).
    provenance : dict, default=None
        Where the model comes from, recorded as ``metadata["provenance"]``: a
        dict of str keys and JSON values, e.g. ``{"recipe": ...,
        "commit": ..., "trained_on": ...}`` (the shipped models record
        these).

    Examples
    --------
    >>> import os, tempfile
    >>> import skxray
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = skxray.ScratchCNNClassifier("vanilla", conv_filters=(4,), dense_units=8, epochs=1)
    >>> clf = clf.fit(data.images, data.target)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skxray")
    >>> skxray.save(clf, path, target_names=["NORMAL", "PNEUMONIA"])
    >>> skxray.load_metadata(path)["class_names"]
    ['NORMAL', 'PNEUMONIA']
    """
    validate_params(
        {
            "threshold": [real(0, 1, closed="neither")],
            "target_names": [list, tuple, None],
            "provenance": [dict, None],
        },
        {"threshold": threshold, "target_names": target_names, "provenance": provenance},
        "skxray.save",
    )
    nets = _networks(model)
    _check_parameters(nets)
    metadata = _metadata(model, nets, target_names, threshold, training_paths)
    if provenance is not None:
        try:
            metadata["provenance"] = json.loads(json.dumps(provenance))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"skxray.save: provenance must be JSON data ({exc}).") from exc
    detached = [net._detach_network() for net in nets]
    try:  # the Keras objects are out of the estimators only while skops writes the skeleton
        skeleton = skops.io.dumps(model)
    finally:
        for net, state in zip(nets, detached, strict=True):
            net._attach_network(state)
    extra = sorted(set(skops.io.get_untrusted_types(data=skeleton)) - set(TRUSTED_TYPES))
    if extra:
        raise TypeError(
            f"skxray.save cannot store objects of types {extra}: load would refuse them. "
            "Use plain values (str, numbers, numpy dtype names) in parameters, or joblib for "
            "a file only you will load."
        )
    partial = f"{os.fspath(path)}.partial"
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            archive.writestr(_METADATA, json.dumps(metadata, indent=2))
            archive.writestr(_SKELETON, skeleton)
            for net, member in zip(nets, metadata["networks"], strict=True):
                network_file = os.path.join(workdir, "network.keras")
                net.model_.save(network_file)
                archive.write(network_file, member)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _read(archive, member, path):
    try:
        return archive.read(member)
    except KeyError:
        raise ModelFileError(path, f"the archive has no member {member!r}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ModelFileError(path, f"member {member!r} is corrupt ({exc})") from exc


@contextlib.contextmanager
def _opened(path):
    """The archive at ``path``, open, and its metadata (format checked, versions not)."""
    if not os.path.isfile(path):
        raise ModelFileError(path, "no such file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ModelFileError(path, f"not a zip archive, or a truncated one ({exc})") from exc
    with archive:
        if _METADATA not in archive.namelist():
            raise ModelFileError(
                path, f"not an skxray model file (no {_METADATA}); see skxray.save"
            )
        try:
            metadata = json.loads(_read(archive, _METADATA, path))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelFileError(path, f"{_METADATA} is not valid JSON ({exc})") from exc
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
            raise ModelFileError(path, f"not an skxray model file (its format is not {FORMAT!r})")
        yield archive, metadata


def load_metadata(path):
    """The metadata of a model file written by :func:`save`, without loading the model.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.

    Returns
    -------
    metadata : dict
        ``format``, ``format_version``, ``versions`` (skxray, keras,
        keras_backend, scikit-learn, skops), ``estimator``, ``class_names``,
        ``image_shape`` (the network's input), ``image_dtype``,
        ``preprocessing`` (``steps`` before the classifier; ``loader``: the
        :class:`ImageDirLoader`'s ``image_size`` and ``color_mode``, or
        ``None``), ``threshold``, ``training_data`` (``n_files``, ``sha256``)
        and ``networks`` (members). Versions are not checked here.

    Examples
    --------
    >>> import os, tempfile
    >>> import skxray
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = skxray.ScratchCNNClassifier("vanilla", conv_filters=(4,), dense_units=8, epochs=1)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skxray")
    >>> skxray.save(clf.fit(data.images, data.target), path, threshold=0.3)
    >>> meta = skxray.load_metadata(path)
    >>> meta["class_names"], meta["image_shape"], meta["threshold"]
    (['0', '1'], [32, 32, 1], 0.3)
    """
    with _opened(path) as (_, metadata):
        return metadata


def _major_minor(version):
    match = re.match(r"(\d+)\.(\d+)", str(version))
    return None if match is None else match.groups()


def load(path):
    """Load a model written by :func:`save`, without unpickling anything.

    joblib/pickle: only for files you trust; skxray.save/load for files you share.
    A file from another skxray major.minor version or format version is
    refused; the skeleton is read by :mod:`skops.io`, refusing types outside
    skops' defaults and ``skxray.persistence._model_file.TRUSTED_TYPES``; each network by
    ``keras.saving.load_model(..., safe_mode=True)``. The model predicts,
    explains and audits exactly as before saving, without the training data.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.

    Returns
    -------
    model : estimator
        The fitted model, of the type that was saved.

    Raises
    ------
    ModelFileError
        For a missing, damaged, foreign, tampered or incompatible file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skxray
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = skxray.ScratchCNNClassifier("vanilla", conv_filters=(4,), dense_units=8, epochs=1)
    >>> clf = clf.fit(data.images, data.target)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skxray")
    >>> skxray.save(clf, path)
    >>> loaded = skxray.load(path)
    >>> np.array_equal(loaded.predict_proba(data.images), clf.predict_proba(data.images))
    True
    """
    with _opened(path) as (archive, metadata):
        if metadata.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(
                path,
                f"format version {metadata.get('format_version')!r} is unknown; skxray "
                f"{__version__} reads version {FORMAT_VERSION}",
            )
        versions = metadata.get("versions")
        saved = versions.get("skxray") if isinstance(versions, dict) else None
        if _major_minor(saved) != _major_minor(__version__):
            raise ModelFileError(
                path,
                f"written by skxray {saved}, not readable by this skxray {__version__} (a file "
                "is read by the skxray major.minor version that wrote it): load it with skxray "
                f"{saved}, or retrain and save with this version",
            )
        skeleton = _read(archive, _SKELETON, path)
        try:
            model = skops.io.loads(_upgrade_module_paths(skeleton), trusted=list(TRUSTED_TYPES))
        except UntrustedTypesFoundException as exc:
            raise ModelFileError(
                path, f"refused: the skeleton holds types outside the allow-list ({exc})"
            ) from exc
        except Exception as exc:  # a malformed skeleton can fail in many ways inside skops
            raise ModelFileError(
                path, f"{_SKELETON} is corrupt ({type(exc).__name__}: {exc})"
            ) from exc
        nets, names = members(model), metadata.get("networks")
        if (
            not all(isinstance(net, BaseXrayClassifier) for net in nets)
            or not isinstance(names, list)
            or len(names) != len(nets)
        ):
            raise ModelFileError(path, "the skeleton and the networks listed do not match")
        with tempfile.TemporaryDirectory() as workdir:
            for i, (net, member) in enumerate(zip(nets, names, strict=True)):
                network_file = os.path.join(workdir, f"{i}.keras")
                Path(network_file).write_bytes(_read(archive, str(member), path))
                if not zipfile.is_zipfile(network_file):
                    raise ModelFileError(path, f"member {member!r} is not a Keras archive")
                try:
                    network = keras.saving.load_model(network_file, safe_mode=True)
                except Exception as exc:  # Keras raises many types for a bad archive
                    raise ModelFileError(
                        path, f"member {member!r} is not a loadable Keras network ({exc})"
                    ) from exc
                net._attach_network({"model_": network})
    return model
