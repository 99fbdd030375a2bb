"""Class-activation heatmaps: Grad-CAM, Grad-CAM++ and CAM for fitted classifiers."""

from collections.abc import Callable
from typing import NamedTuple

import cv2
import keras
import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..utils._estimators import is_voting_ensemble, through_pipeline
from ..utils._param_validation import StrOptions, integer, invalid, validate_params
from ._graphs import explained_graph, find_layer, target_coefficients


class CamMethod(NamedTuple):
    """A heatmap method: how to weight the channels of the explained layer.

    ``weights(activations, signal)`` returns the per-channel weights
    ``(n, k)`` of activations ``(n, h, w, k)``; the heatmap is the ReLU of
    their weighted sum. With ``needs_gradients`` the signal is the gradient
    of each image's target score by the activations ``(n, h, w, k)``;
    without, it is the output layer's weights of each image's target class
    ``(n, k)``, and the activations are the map entering global average pooling.
    """

    weights: Callable
    needs_gradients: bool = True


def _gradcam_weights(activations, gradients):
    """Selvaraju et al.: each channel's mean gradient."""
    return gradients.mean(axis=(1, 2))


def _gradcampp_weights(activations, gradients):
    """Chattopadhyay et al.: positive gradients, weighted by the closed-form alphas."""
    numerator = gradients**2
    denominator = 2 * gradients**2 + activations.sum(axis=(1, 2), keepdims=True) * gradients**3
    safe = np.where(denominator != 0, denominator, 1e-7)
    alpha = np.where(gradients != 0, numerator / safe, 0)
    return (alpha * np.maximum(gradients, 0)).sum(axis=(1, 2))


def _cam_weights(activations, class_weights):
    """Zhou et al.: the output layer's weights of the target class."""
    return class_weights


CAM_METHODS = {
    "gradcam": CamMethod(_gradcam_weights),
    "gradcam++": CamMethod(_gradcampp_weights),
    "cam": CamMethod(_cam_weights, needs_gradients=False),
}
"""The ``method`` names of :func:`cam_explain`.

To add a method, write a weight function ``(activations, signal) -> (n, k)``
(see :class:`CamMethod`) and register it:
``CAM_METHODS["name"] = CamMethod(function)``.
"""


def _unwrap(estimator, X):
    """Return (final estimator or model, model, the network's input)."""
    if isinstance(estimator, keras.Model):
        return estimator, estimator, _checked_images(estimator, X)
    if hasattr(estimator, "_model_input"):  # skxray: checks fit, the shape seen at fit, encodes
        X = estimator._model_input(X)
        return estimator, estimator.model_, X
    check_is_fitted(estimator, "model_")  # another scikeras classifier: its Keras model
    return estimator, estimator.model_, _checked_images(estimator.model_, X)


def _checked_images(model, X):
    X = np.asarray(X, dtype="float32")
    X = X[..., None] if X.ndim == 3 else X
    expected = tuple(model.input_shape[1:])
    if X.ndim != 4 or tuple(X.shape[1:]) != expected:
        raise ValueError(f"X has images of shape {X.shape[1:]}, but the model expects {expected}.")
    return X


def _is_predicted(target):
    return isinstance(target, str) and target == "predicted"


def _target_rule(final, target, n_outputs):
    """The column explained for every image (an int), or a function of a batch's outputs."""
    classes = getattr(final, "classes_", None)
    n_classes = 2 if n_outputs == 1 else n_outputs
    if callable(target):
        return lambda outputs: _call_target(target, _class_proba(outputs))
    if _is_predicted(target) or (target is None and n_classes != 2):
        return _predicted
    if target is None:
        return 1
    classes = np.arange(n_classes) if classes is None else np.asarray(classes)
    matches = np.flatnonzero(classes == target)
    if len(matches) != 1:
        invalid(
            "target",
            "cam_explain",
            f"a class of the estimator among {classes.tolist()}, 'predicted', a callable or None",
            target,
        )
    return int(matches[0])


def _predicted(outputs):
    return (outputs[:, 0] >= 0.5).astype(int) if outputs.shape[1] == 1 else outputs.argmax(1)


def _class_proba(outputs):
    """``(n, n_classes)`` probabilities from the outputs: a single sigmoid unit gives two."""
    return np.concatenate([1 - outputs, outputs], axis=1) if outputs.shape[1] == 1 else outputs


def _call_target(target, proba):
    """A callable target's class indices, checked."""
    index = np.asarray(target(proba))
    n, n_classes = proba.shape
    if (
        index.shape != (n,)
        or not np.issubdtype(index.dtype, np.integer)
        or (n and (index.min() < 0 or index.max() >= n_classes))
    ):
        raise ValueError(
            f"The target callable must return one class index in [0, {n_classes}) per "
            f"image, ints of shape ({n},); it returned {index!r}."
        )
    return index


def cam_explain(estimator, X, *, method="gradcam", target=None, layer=None, batch_size=32):
    """Class-activation heatmaps: where the network looked for the target class.

    Parameters
    ----------
    estimator : fitted skxray or scikeras classifier, keras.Model, or Pipeline
        A Pipeline's earlier steps are applied to ``X`` first, so raw image
        paths can be explained through an ``ImageDirLoader``. A fitted
        soft :class:`~sklearn.ensemble.VotingClassifier` of such classifiers
        (``recommended_classifier(n_seeds=3)``) gives its members' mean map.
    X : array-like
        Images ``(n, H, W[, C])``, or whatever the Pipeline's first step takes.
    method : {"gradcam", "gradcam++", "cam"}, default="gradcam"
        ``"gradcam"`` (Selvaraju et al.) works for any conv network;
        ``"gradcam++"`` (Chattopadhyay et al.) weights positive gradients;
        ``"cam"`` (Zhou et al.) uses the output weights of a conv -> global
        average pooling -> Dense network and needs no gradients. The names
        are the keys of ``skxray.explain._cam.CAM_METHODS``, where methods are added.
    target : class label, "predicted", callable or None, default=None
        Class to explain. ``None``: the positive class (label 1, PNEUMONIA)
        of a binary classifier, the predicted class otherwise. A callable
        chooses per image: it takes the predicted probabilities, an ndarray
        ``(n, n_classes)`` with columns in the order of ``classes_`` (two
        columns for a single sigmoid unit), and returns the column index of
        each image's class, ints of shape ``(n,)``; e.g.
        ``lambda proba: proba.argmin(axis=1)`` explains the least likely
        class. It is called on batches of the images, so it must treat each
        row on its own.
    layer : str, int or keras layer, default=None
        Layer whose activations are weighted: any layer with a 4-D output,
        by name or object, or the n-th conv layer by index. ``None`` takes the
        last conv layer (or the concatenation of conv branches that follows
        it, such as Inception's ``mixed10``), also inside a nested sub-model.
    batch_size : int, default=32
        Images per forward and backward pass.

    Returns
    -------
    heatmaps : ndarray of shape (n, H, W), float32 in [0, 1]
        At the input resolution; each map scaled to a maximum of 1 (all
        zeros where nothing supports the target class).

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier, cam_explain
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=2, random_state=0)
    >>> maps = cam_explain(clf.fit(data.images, data.target), data.images[:3])
    >>> maps.shape, bool(maps.min() >= 0 and maps.max() <= 1)
    ((3, 32, 32), True)
    >>> least_likely = cam_explain(clf, data.images[:3], target=lambda p: p.argmin(axis=1))
    >>> least_likely.shape
    (3, 32, 32)
    """
    validate_params(
        {"method": [StrOptions(set(CAM_METHODS))], "batch_size": [integer(1)]},
        {"method": method, "batch_size": batch_size},
        "cam_explain",
    )
    estimator, X = through_pipeline(estimator, X)  # the transforms once, then the last step
    if is_voting_ensemble(estimator):
        options = dict(method=method, layer=layer, batch_size=batch_size)
        return _explain_ensemble(estimator, X, target, options)
    final, model, X = _unwrap(estimator, X)
    path, conv = find_layer(model, layer)
    n_outputs = int(model.output_shape[-1])
    rule = _target_rule(final, target, n_outputs)
    spec = CAM_METHODS[method]
    graph = explained_graph(model, path, conv, gradients=spec.needs_gradients)
    maps = []
    for start in range(0, len(X), batch_size):
        batch = X[start : start + batch_size]
        if callable(rule):
            index = rule(keras.ops.convert_to_numpy(model(batch, training=False)))
        else:
            index = np.full(len(batch), rule)
        activations, signal = graph(batch, target_coefficients(index, n_outputs))
        weights = spec.weights(activations, signal)
        maps.append(np.maximum(np.einsum("nhwk,nk->nhw", activations, weights), 0))
    return _finish(np.concatenate(maps), X.shape[1:3])


def _explain_ensemble(ensemble, X, target, options):
    """Mean heatmap of a fitted soft-voting ensemble's members (e.g. several seeds)."""
    if target is None and len(ensemble.classes_) > 2:
        target = "predicted"  # the ensemble's prediction, not each member's own
    if callable(target) or _is_predicted(target):
        if callable(target):
            labels = ensemble.classes_[_call_target(target, ensemble.predict_proba(X))]
        else:
            labels = ensemble.predict(X)
        maps = None
        for label in np.unique(labels):
            rows = np.flatnonzero(labels == label)
            part = _explain_ensemble(ensemble, np.asarray(X)[rows], label, options)
            maps = np.empty((len(X), *part.shape[1:]), np.float32) if maps is None else maps
            maps[rows] = part
        return maps
    if target is not None:
        if target not in ensemble.classes_:
            invalid(
                "target",
                "cam_explain",
                f"a class of the estimator among {ensemble.classes_.tolist()}, 'predicted', "
                "a callable or None",
                target,
            )
        target = ensemble.le_.transform([target])[0]  # members were fitted on encoded labels
    maps = np.mean([cam_explain(m, X, target=target, **options) for m in ensemble.estimators_], 0)
    peak = maps.max(axis=(1, 2), keepdims=True)
    return np.where(peak > 0, maps / np.where(peak > 0, peak, 1), 0).astype(np.float32)


def _finish(maps, size):
    height, width = size
    out = np.empty((len(maps), height, width), np.float32)

    for i, cam in enumerate(maps):
        resized = cv2.resize(
            cam.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
        )
        peak = resized.max()
        out[i] = resized / peak if peak > 0 else 0.0
    return np.clip(out, 0.0, 1.0)
