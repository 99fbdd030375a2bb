"""Models that ship with skxray, fitted on the public train split: load and list them.

The files live in ``skxray/persistence/pretrained/`` (package data), with
``registry.json``: per model, its file, SHA-256 and size, the recipe and commit that built
it, what it was trained on and how long that took. ``maint_tools/train_pretrained.py``
rebuilds them from the public data. They are read by :func:`skxray.load` like any model
file (nothing is unpickled), after their SHA-256 is checked against the registry.
"""

import hashlib
import json
from functools import cache
from pathlib import Path

from ._errors import ModelFileError

PRETRAINED_DIR = Path(__file__).with_name("pretrained")
DEFAULT_PRETRAINED = "pneumonia"
"""The model ``skxray predict`` and ``skxray explain`` use when given none."""


@cache
def _registry():
    path = PRETRAINED_DIR / "registry.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["models"]


def list_pretrained():
    """The models that ship with skxray.

    Returns
    -------
    models : list of dict
        One per model: ``name``, ``file``, ``size_bytes``, ``classes``,
        ``recipe``, ``trained_on``, ``description`` and the rest of its
        registry entry (``sha256``, ``commit``, ``fit_seconds``...).

    Examples
    --------
    >>> from skxray import list_pretrained
    >>> [model["name"] for model in list_pretrained()]
    ['pneumonia', 'pneumonia-subtype']
    """
    return [{"name": name, **entry} for name, entry in _registry().items()]


def pretrained_path(name=DEFAULT_PRETRAINED):
    """The file of the shipped model ``name``, after checking its SHA-256.

    Parameters
    ----------
    name : str, default="pneumonia"
        A name from :func:`list_pretrained`.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    ValueError
        ``name`` is not a shipped model (the message lists them).
    skxray.ModelFileError
        The file is missing or its bytes differ from those recorded when it
        was built (changed or corrupt).

    Examples
    --------
    >>> from skxray import load_metadata, pretrained_path
    >>> load_metadata(pretrained_path("pneumonia"))["class_names"]
    ['NORMAL', 'PNEUMONIA']
    """
    registry = _registry()
    if name not in registry:
        known = ", ".join(sorted(registry)) or "none (this installation has no model files)"
        raise ValueError(f"No pretrained model named {name!r}; the shipped models: {known}.")
    entry = registry[name]
    path = PRETRAINED_DIR / entry["file"]
    if not path.is_file():
        raise ModelFileError(path, "the shipped model file is missing; reinstall skxray")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != entry["sha256"]:
        raise ModelFileError(
            path,
            "refused: its SHA-256 differs from the one recorded when it was built (the file "
            "was changed or is corrupt); reinstall skxray",
        )
    return path


def load_pretrained(name=DEFAULT_PRETRAINED):
    """A fitted model that ships with skxray: predicts on the first line, offline.

    ``"pneumonia"`` is a recipe of :func:`recommended_classifier` (NORMAL vs
    PNEUMONIA; its metadata's ``provenance`` names which: in this release
    ``"equalized-augmented-cnn"``, the default before
    ``"equalized-cnn-ensemble"``) and ``"pneumonia-subtype"`` the same recipe
    with ``target="subtype"`` (NORMAL, BACTERIA, VIRUS), each fitted on all 5216
    images of the public train split of Kermany et al. (2018, CC BY 4.0):
    paediatric chest X-rays from one hospital. A research tool, not a medical
    device; see its model card (:func:`skxray.model_card` of
    :func:`skxray.load_metadata` of :func:`pretrained_path`) and the
    "Pretrained models" docs page for its scores on data it did not see.

    Parameters
    ----------
    name : str, default="pneumonia"
        A name from :func:`list_pretrained`.

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Fitted; takes image file paths (it starts with an ``ImageDirLoader``).

    See Also
    --------
    list_pretrained : the shipped models, their sizes and training data.

    Examples
    --------
    >>> from skxray import load_pretrained
    >>> from skxray.datasets import load_sample_xrays
    >>> model = load_pretrained()
    >>> paths = load_sample_xrays(load_images=False).paths[:2]
    >>> model.predict_proba(paths).shape
    (2, 2)
    """
    from ._model_file import load  # Keras: only when a model is loaded

    return load(pretrained_path(name))
