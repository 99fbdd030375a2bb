"""Is this image a chest X-ray the model can judge? Cheap checks, then a feature distance.

1. Cheap checks on the file and the decoded image: too small, an extreme aspect ratio, a
   colour picture (X-rays are grey), nearly constant pixels, upside down
   (:mod:`._orientation`).
2. The Mahalanobis distance of the network's penultimate features from those of its
   training images (Lee et al., "A simple unified framework for detecting
   out-of-distribution samples and adversarial attacks", NeurIPS 2018; one Gaussian with a
   Ledoit-Wolf covariance, scikit-learn's). The fit stores the features' mean, precision
   and the 99.5th percentile of the training images' distances (``input_stats_``); an image
   beyond that threshold is flagged. With several seeds, the members' distances relative to
   their thresholds are averaged.

A clear image can still be wrong: the check says whether the image looks like the training
images, not whether the prediction is right.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image
from sklearn.covariance import LedoitWolf
from sklearn.exceptions import ConvergenceWarning

from ..utils._estimators import members, through_pipeline
from ._orientation import UPRIGHT_BELOW, upright_probability

MIN_SIDE = 64  # pixels: smaller files are thumbnails or icons, not radiographs
MAX_ASPECT = 2.5  # chest films are near square (portrait or landscape)
MIN_STD = 0.02  # on [0, 1]: below, the image is blank or nearly so
MAX_COLOUR = 0.04  # mean |R-G| + |G-B| on [0, 1] of a thumbnail
QUANTILE = 0.995  # of the training images' distances: the threshold
TRAINED_UPRIGHT = 0.9  # of a model's training images found upright: orientation is checked


def _feature_model(network):
    """From the network's input to the input of its output layer (the penultimate features)."""
    import keras  # only for a fitted network: skxray.evaluation itself needs no Keras

    return keras.Model(network.inputs[0], network.get_layer("head_output").input)


def penultimate_features(network, X, batch_size):
    """The input of ``network``'s output layer for model inputs ``X``, as float64 rows."""
    features = _feature_model(network).predict(X, batch_size=batch_size, verbose=0)
    return np.asarray(features, dtype=np.float64).reshape(len(features), -1)


def fit_input_stats(features, images=None):
    """The statistics ``check_inputs`` compares new images with, from the training images'
    penultimate ``features``; ``None`` for fewer than 3 images. With the training
    ``images``, also the fraction of them that the orientation check finds upright
    (``"upright"``): the check is applied only to a model trained on upright X-rays."""
    if len(features) < 3:
        return None
    covariance = LedoitWolf().fit(features)
    distances = _distances(features, covariance.location_, covariance.precision_)
    stats = {
        "mean": covariance.location_.astype(np.float32),
        "precision": covariance.precision_.astype(np.float32),
        "threshold": float(np.quantile(distances, QUANTILE)),
    }
    if images is not None:
        stats["upright"] = float(np.mean(upright_probability(images) >= UPRIGHT_BELOW))
    return stats


def _checks_orientation(members):
    """Whether the orientation check applies: every member was trained on images that it
    finds upright (90 % at least), or recorded no such fraction (files before it)."""
    fractions = [(getattr(m, "input_stats_", None) or {}).get("upright", 1.0) for m in members]
    return min(fractions, default=1.0) >= TRAINED_UPRIGHT


def warn_if_one_class(classifier, features):
    """Warn (``ConvergenceWarning``) when ``classifier`` predicts one class for all its
    training images, from their penultimate ``features``: a collapsed fit, whose scores
    are those of a constant."""
    import keras

    output = classifier.model_.get_layer("head_output")
    proba = keras.ops.convert_to_numpy(output(features.astype(np.float32)))
    predicted = (proba[:, 0] >= 0.5).astype(int) if proba.shape[1] == 1 else proba.argmax(1)
    if len(predicted) > 1 and np.unique(predicted).size == 1:
        label = classifier.classes_[predicted[0]]
        label = label.item() if isinstance(label, np.generic) else label
        warnings.warn(
            f"{type(classifier).__name__} predicts class {label!r} for all {len(predicted)} "
            "of its training images: the fit collapsed to one class. Train longer or on more "
            "images, or balance the classes (class_weight='balanced').",
            ConvergenceWarning,
            stacklevel=4,
        )


def _distances(features, mean, precision):
    centred = features - mean
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", centred, precision, centred), 0.0))


@dataclass
class InputCheck:
    """What :func:`check_inputs` found, one entry per image.

    Attributes
    ----------
    score : ndarray of shape (n_images,)
        Mahalanobis distance of the penultimate features over the model's
        threshold (> 1: farther than 99.5 % of the training images); nan
        when the model has no training statistics.
    reasons : list of str
        Why each image is flagged ("" when it is not).

    Examples
    --------
    >>> import numpy as np
    >>> from skxray.evaluation import InputCheck
    >>> check = InputCheck(score=np.array([0.4, 2.5]), reasons=["", "a colour picture"])
    >>> check.flagged.tolist(), check
    ([False, True], <InputCheck of 2 images: 1 flagged>)
    """

    score: np.ndarray
    reasons: list

    @property
    def flagged(self):
        """Boolean array: images that are probably not chest X-rays the model can judge."""
        return np.array([bool(reason) for reason in self.reasons])

    def __repr__(self):
        return f"<InputCheck of {len(self.reasons)} images: {int(self.flagged.sum())} flagged>"


def _file_reasons(path):
    try:
        with Image.open(path) as image:
            width, height = image.size
            thumb = image.convert("RGB")
            thumb.thumbnail((64, 64))
            rgb = np.asarray(thumb, dtype=np.float32) / 255.0
    except Exception:  # unreadable here means DICOM or an exotic file: the decoder decides
        return []
    reasons = []
    if min(width, height) < MIN_SIDE:
        reasons.append(f"too small ({width}x{height} px)")
    if max(width, height) / max(min(width, height), 1) > MAX_ASPECT:
        reasons.append(f"extreme aspect ratio ({width}x{height} px)")
    colour = np.abs(rgb[..., 0] - rgb[..., 1]).mean() + np.abs(rgb[..., 1] - rgb[..., 2]).mean()
    if colour > MAX_COLOUR:
        reasons.append("a colour picture")
    return reasons


def check_inputs(model, X, *, paths=None):
    """Flag images that are probably not chest X-rays this model can judge.

    Cheap checks first (on files: smaller than 64 px, an aspect ratio beyond
    2.5, colour; on pixels: nearly constant, upside down), then the Mahalanobis distance
    of the network's penultimate features from those of its training images
    (Lee et al. 2018), against the 99.5th percentile of the training
    images' distances, stored by ``fit`` as ``input_stats_``. A clear image
    can still be misclassified.

    Parameters
    ----------
    model : estimator
        A fitted skxray classifier, a ``Pipeline`` ending in one (file paths
        then go through its loader), or a seed ensemble.
    X : array-like
        What ``model.predict`` takes: images, or file paths for a Pipeline
        that starts with an ``ImageDirLoader``.
    paths : list of str, default=None
        The files ``X`` was decoded from, for the file checks (size, aspect,
        colour) when ``X`` holds images; file paths in ``X`` are used
        directly.

    Returns
    -------
    check : InputCheck
        ``score``, ``reasons`` and ``flagged``, one entry per image.

    Raises
    ------
    ValueError
        If ``paths`` does not hold one file per image of ``X`` (the message
        gives both lengths).

    Examples
    --------
    >>> import numpy as np
    >>> from skxray import ScratchCNNClassifier, check_inputs
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(60, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=1, random_state=0)
    >>> clf = clf.fit(data.images, data.target)
    >>> blank = np.full((1, 32, 32, 1), 0.5, dtype="float32")
    >>> check_inputs(clf, blank).reasons[0].split("; ")[0]
    'nearly constant pixels'
    >>> bool(check_inputs(clf, data.images).flagged.mean() < 0.1)  # its training images
    True
    """
    if isinstance(X, (list, tuple, np.ndarray)) and len(X) and isinstance(X[0], str):
        paths = [str(p) for p in X]
    if paths is not None and len(paths) != len(X):
        raise ValueError(
            f"check_inputs: paths holds {len(paths)} files but X holds {len(X)} images; "
            "give one path per image, in the order of X."
        )
    final, images = through_pipeline(model, X)
    images = np.asarray(images)
    images = images[..., None] if images.ndim == 3 else images
    pixels = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
    reasons = [[] for _ in range(len(images))]
    if paths is not None:
        for i, path in enumerate(paths):
            reasons[i] += _file_reasons(path)
    stds = pixels.reshape(len(pixels), -1).std(axis=1)
    for i, std in enumerate(stds):
        if std < MIN_STD:
            reasons[i].append("nearly constant pixels")
    if _checks_orientation(members(final)):
        upright = upright_probability(pixels)
        for i in np.flatnonzero((upright < UPRIGHT_BELOW) & (stds >= MIN_STD)):
            reasons[i].append(f"probably upside down (P(upright) {upright[i]:.2f})")
    ratios = []
    for member in members(final):
        stats = getattr(member, "input_stats_", None)
        if stats is None:
            continue
        features = member._penultimate_features(member._model_input(images))
        ratios.append(_distances(features, stats["mean"], stats["precision"]) / stats["threshold"])
    score = np.mean(ratios, axis=0) if ratios else np.full(len(images), np.nan)
    for i, value in enumerate(score):
        if value > 1:
            reasons[i].append(f"unlike the training images (feature distance {value:.1f}x)")
    return InputCheck(score=score, reasons=["; ".join(r) for r in reasons])
