"""Is this image a chest X-ray the model can judge? Cheap checks, then a feature distance.

1. Cheap checks on the file and the decoded image: too small, an extreme aspect ratio, a
   colour picture (X-rays are grey), nearly constant pixels, upside down
   (:mod:`._orientation`).
2. The Mahalanobis distance of the network's penultimate features from those of its
   training images (Lee et al., "A simple unified framework for detecting
   out-of-distribution samples and adversarial attacks", NeurIPS 2018; one Gaussian with a
   Ledoit-Wolf covariance, scikit-learn's). The fit stores the features' mean, precision
   and a threshold (``input_stats_``); an image beyond it is flagged. With several seeds,
   the members' distances relative to their thresholds are averaged.

The threshold is a split-conformal quantile (Vovk et al. 2005; Angelopoulos and Bates,
"A gentle introduction to conformal prediction", 2021) of distances that the statistics did
not see: images held out from the network (its validation split) when there are enough,
else a fifth of the training images (100 when a fifth is fewer) kept out of the mean and
covariance. A training image's distance from statistics fitted on it is optimistic, the
more so the fewer the images: calibrated on those, models of the default recipe fitted on
200 X-rays flagged 92-99.8 % of unseen ones, and one fitted on 1000 flagged 20 %
(``benchmarks/studies/input_calibration.py``). :func:`calibrate_input_check` recalibrates
a fitted model on X-rays it never saw (no labels needed), for a guarantee on images like
them.

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
ALPHA = 0.01  # the false-flag rate the fit calibrates the distance threshold for
CALIBRATION_SPLIT = 5  # 1 / the training images that calibrate when none were held out
MIN_HELD_OUT = 100  # calibration images that ALPHA's conformal rank needs (1 / ALPHA)
TRAINED_UPRIGHT = 0.9  # of a model's training images found upright: orientation is checked


def _feature_model(network):
    """From the network's input to the input of its output layer (the penultimate features)."""
    import keras  # only for a fitted network: skxray.evaluation itself needs no Keras

    return keras.Model(network.inputs[0], network.get_layer("head_output").input)


def penultimate_features(network, X, batch_size):
    """The input of ``network``'s output layer for model inputs ``X``, as float64 rows."""
    features = _feature_model(network).predict(X, batch_size=batch_size, verbose=0)
    return np.asarray(features, dtype=np.float64).reshape(len(features), -1)


def conformal_quantile(scores, alpha):
    """The split-conformal threshold of calibration ``scores``: the ceil((n + 1)(1 - alpha))-th
    smallest. A new score exchangeable with them exceeds it with probability at most
    ``alpha``. With fewer than 1 / alpha - 1 scores that rank does not exist; the largest
    score is returned then (no guarantee)."""
    scores = np.sort(np.asarray(scores, dtype=np.float64))
    rank = int(np.ceil((len(scores) + 1) * (1 - alpha)))
    return float(scores[min(rank, len(scores)) - 1])


def fit_input_stats(features, images=None, held_out=None):
    """The statistics ``check_inputs`` compares new images with, from the training images'
    penultimate ``features``; ``None`` for fewer than 3 images.

    Split-conformal: with ``held_out`` (features of ``MIN_HELD_OUT`` images or more that the
    network did not train on), the Gaussian is fitted on all ``features`` and the threshold
    is the conformal quantile at ``ALPHA`` of the held-out distances. Otherwise a seeded
    fifth of the training images is kept out of the Gaussian and calibrates it, or
    ``MIN_HELD_OUT`` of them when a fifth is fewer (at most half the images)
    (``"calibration"`` says which). With the training ``images``, also the fraction of them
    that the orientation check finds upright (``"upright"``): the check is applied only to
    a model trained on upright X-rays."""
    if len(features) < 3:
        return None
    if held_out is None or len(held_out) < MIN_HELD_OUT:
        order = np.random.default_rng(0).permutation(len(features))
        n = len(features)
        n_fit = n - max(1, n // CALIBRATION_SPLIT, min(MIN_HELD_OUT, n // 2))
        features, held_out = features[order[:n_fit]], features[order[n_fit:]]
        calibration = f"split ({len(held_out)} of {len(order)} training images)"
    else:
        calibration = f"held-out ({len(held_out)} images)"
    covariance = LedoitWolf().fit(features)
    scores = _distances(held_out, covariance.location_, covariance.precision_)
    stats = {
        "mean": covariance.location_.astype(np.float32),
        "precision": covariance.precision_.astype(np.float32),
        "threshold": conformal_quantile(scores, ALPHA),
        "calibration": calibration,
    }
    if images is not None:
        stats["upright"] = float(np.mean(upright_probability(images) >= UPRIGHT_BELOW))
    return stats


def fitted_input_stats(classifier, images, held_out=None):
    """``input_stats_`` of a just-fitted ``classifier`` from its training ``images`` (model
    inputs), calibrated on what the network held out when it did: ``held_out`` holds the
    indices of ``images`` (``validation_split``) or images (``validation_data``). Warns
    when the fit collapsed to one class."""
    features = classifier._penultimate_features(images)
    held, train = None, np.ones(len(images), dtype=bool)
    if isinstance(held_out, np.ndarray) and held_out.dtype.kind == "i":
        train[held_out] = False
        held = features[~train]
    elif held_out is not None and hasattr(held_out, "shape"):  # not a stream
        held = classifier._penultimate_features(held_out)
    warn_if_one_class(classifier, features[train])
    return fit_input_stats(features[train], images[train], held_out=held)


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
        threshold (> 1: flagged; the threshold is calibrated so that about
        1 % of new images like the training ones exceed it); nan when the
        model has no training statistics.
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


def _distance_score(final, images):
    """The members' mean feature distance over their thresholds (nan without statistics)."""
    ratios = []
    for member in members(final):
        stats = getattr(member, "input_stats_", None)
        if stats is None:
            continue
        features = member._penultimate_features(member._model_input(images))
        ratios.append(_distances(features, stats["mean"], stats["precision"]) / stats["threshold"])
    return np.mean(ratios, axis=0) if ratios else np.full(len(images), np.nan)


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
    (Lee et al. 2018), against a threshold that ``fit`` calibrates on
    distances its Gaussian did not see (split-conformal, for a 1 % false-flag
    rate; ``input_stats_``) and :func:`calibrate_input_check` can
    recalibrate on a site's own X-rays. A clear image can still be
    misclassified.

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
    score = _distance_score(final, images)
    for i, value in enumerate(score):
        if value > 1:
            reasons[i].append(f"unlike the training images (feature distance {value:.1f}x)")
    return InputCheck(score=score, reasons=["; ".join(r) for r in reasons])


def calibrate_input_check(model, X, *, alpha=0.01):
    """Recalibrate a fitted model's input check on X-rays it never saw, in place.

    Split-conformal calibration (Angelopoulos and Bates 2021): the feature-distance
    threshold of :func:`check_inputs` becomes the ``ceil((n + 1)(1 - alpha))``-th smallest
    score of the ``n`` images ``X``. A new image exchangeable with them (the same scanners,
    patients and preparation) is then flagged as unlike the training images with
    probability at most ``alpha``. No labels are needed: a site calibrates on its own
    chest X-rays, which must not include the model's training images.

    Parameters
    ----------
    model : estimator
        A fitted skxray classifier, a ``Pipeline`` ending in one, or a seed
        ensemble, as :func:`check_inputs` takes it. Its ``input_stats_``
        thresholds are changed in place; ``skxray.save`` keeps them.
    X : array-like
        Chest X-rays the model did not train on: images, or file paths for a
        Pipeline that starts with an ``ImageDirLoader``. At least
        ``ceil(1 / alpha) - 1`` of them.
    alpha : float, default=0.01
        The false-flag rate to guarantee, in (0, 1).

    Returns
    -------
    model : estimator
        The same model, recalibrated.

    Raises
    ------
    ValueError
        If ``alpha`` is not in (0, 1), ``X`` holds too few images for it (the
        message gives both numbers), or the model has no input statistics.

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier, calibrate_input_check, check_inputs
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(160, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=1, random_state=0)
    >>> clf = clf.fit(data.images[:60], data.target[:60])
    >>> clf = calibrate_input_check(clf, data.images[60:], alpha=0.05)
    >>> clf.input_stats_["calibration"]
    'conformal on 100 held-out images, alpha 0.05'
    >>> bool(check_inputs(clf, data.images[60:]).flagged.mean() <= 0.05)
    True
    """
    recalibrate(model, X, alpha)
    return model


def recalibrate(model, X, alpha):
    """:func:`calibrate_input_check`'s work: ``(score, quantile)``, the images' distance
    scores before it and the factor by which every threshold grew (``score > quantile``:
    flagged now)."""
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise ValueError(f"calibrate_input_check: alpha must be a float in (0, 1); got {alpha!r}.")
    final, images = through_pipeline(model, X)
    images = np.asarray(images)
    images = images[..., None] if images.ndim == 3 else images
    needed = int(np.ceil(1 / alpha)) - 1
    if len(images) < needed:
        raise ValueError(
            f"calibrate_input_check: alpha={alpha} needs at least {needed} images, "
            f"got {len(images)}; give more X-rays or a larger alpha."
        )
    fitted = [m for m in members(final) if getattr(m, "input_stats_", None) is not None]
    if not fitted:
        raise ValueError(
            "calibrate_input_check: the model has no input statistics (input_stats_), as "
            "after training on an ImageStream; there is no distance to calibrate."
        )
    score = _distance_score(final, images)
    quantile = conformal_quantile(score, alpha)
    for member in fitted:
        stats = member.input_stats_
        member.input_stats_ = {
            **stats,
            "threshold": stats["threshold"] * quantile,
            "calibration": f"conformal on {len(images)} held-out images, alpha {alpha:g}",
        }
    return score, quantile
