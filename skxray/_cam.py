"""Class-activation heatmaps: Grad-CAM, Grad-CAM++ and CAM for fitted classifiers."""

import weakref

import cv2
import keras
import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._gradients import activations_and_gradients, target_coefficients

METHODS = ("gradcam", "gradcam++", "cam")
_CONV_TYPES = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
_PASS_THROUGH = (keras.layers.Dropout, keras.layers.Activation)
_LOCAL_POOLING = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)


def _unwrap(estimator, X):
    """Return (final estimator or model, model, checked images)."""
    if isinstance(estimator, keras.Model):
        model = estimator
        X = np.asarray(X, dtype="float32")
        X = X[..., None] if X.ndim == 3 else X
        expected = tuple(model.input_shape[1:])
        if X.ndim != 4 or tuple(X.shape[1:]) != expected:
            raise ValueError(
                f"X has images of shape {X.shape[1:]}, but the model expects {expected}."
            )
        return estimator, model, X
    check_is_fitted(estimator, "model_")
    X, _ = estimator._validate_data(X)  # checks the image shape seen at fit
    X = estimator.feature_encoder_.transform(X)
    return estimator, estimator.model_, X


_GRAPHS = weakref.WeakKeyDictionary()  # model -> {key: derived graph}, freed with the model


def _cached(model, key, build):
    """Build a model's derived graph once (graph construction costs ~1 s for Inception)."""
    graphs = _GRAPHS.setdefault(model, {})
    if key not in graphs:
        graphs[key] = build()
    return graphs[key]


def _feature_layers(model, prefix=()):
    """(path, layer) of every layer with a 4-D output, nested models included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _feature_layers(layer, prefix + (layer,))
        elif not isinstance(layer, keras.layers.InputLayer) and len(layer.output.shape) == 4:
            found.append((prefix, layer))
    return found


def _find_layer(model, layer):
    """The layer to explain: by name, object or index, or the last conv output.

    The default is the last conv layer or the last concatenation of conv
    branches after it (Inception's ``mixed10``), nested models included.
    """
    candidates = _feature_layers(model)
    convs = [(p, c) for p, c in candidates if isinstance(c, _CONV_TYPES)]
    if not convs:
        raise ValueError(f"Model {model.name!r} has no convolutional layer to explain.")
    if layer is None:
        after = candidates[candidates.index(convs[-1]) :]
        merged = [(p, c) for p, c in after if isinstance(c, keras.layers.Concatenate)]
        return merged[-1] if merged else convs[-1]
    if isinstance(layer, int):
        return convs[layer]
    for path, candidate in candidates:
        if candidate is layer or candidate.name == layer:
            return path, candidate
    names = [c.name for _, c in convs]
    raise ValueError(f"No conv layer named {layer!r}; conv layers: {names}.")


def _score_model(model, path, conv):
    """A model from the input to (conv activations, pre-activation scores)."""
    output_layer = model.layers[-1]
    use_logits = isinstance(output_layer, keras.layers.Dense) and output_layer.activation in (
        keras.activations.sigmoid,
        keras.activations.softmax,
    )
    head_input = output_layer.input if use_logits else model.output
    if not path:
        graph = keras.Model(model.inputs, [conv.output, head_input])
    else:  # conv inside a nested model: rebuild the outer chain around it
        inner = keras.Model(path[0].inputs, [_nested_output(path[1:], conv), path[0].output])
        x = inputs = keras.Input(model.input_shape[1:])
        activations = None
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            if layer is path[0]:
                activations, x = inner(x)
            else:
                if layer is output_layer and use_logits:
                    break
                x = layer(x)
        graph = keras.Model(inputs, [activations, x])

    def scores(h):
        if not use_logits:
            return h
        z = keras.ops.matmul(h, output_layer.kernel)
        return z + output_layer.bias if output_layer.use_bias else z

    return graph, scores


def _nested_output(path, conv):
    if path:
        raise NotImplementedError(
            "conv layers nested two models deep are not supported; "
            "build the model flat (e.g. input_tensor=)."
        )
    return conv.output


def _target_index(final, target, n_outputs):
    classes = getattr(final, "classes_", None)
    n_classes = 2 if n_outputs == 1 else n_outputs
    if classes is None:
        classes = np.arange(n_classes)
    if target is None:
        return n_classes - 1 if n_classes == 2 else "predicted"
    if isinstance(target, str) and target == "predicted":
        return "predicted"
    matches = np.flatnonzero(np.asarray(classes) == target)
    if len(matches) != 1:
        raise ValueError(
            f"target {target!r} is not a class of this estimator; classes: "
            f"{list(classes)}, or 'predicted'."
        )
    return int(matches[0])


def _weights(method, A, G):
    if method == "gradcam":
        return G.mean(axis=(1, 2))
    numerator = G**2
    denominator = 2 * G**2 + A.sum(axis=(1, 2), keepdims=True) * G**3
    alpha = np.where(G != 0, numerator / np.where(denominator != 0, denominator, 1e-7), 0)
    return (alpha * np.maximum(G, 0)).sum(axis=(1, 2))


def _cam_graph(model, conv):
    """Zhou et al. CAM for conv -> [local pooling] -> GAP -> [dropout] -> Dense graphs.

    Returns a model from the input to the feature map that enters global
    average pooling, and the output layer's kernel.
    """
    after = model.layers[model.layers.index(conv) + 1 :]
    i = 0
    while i < len(after) and isinstance(after[i], _LOCAL_POOLING):
        i += 1
    ok = (
        i < len(after)
        and isinstance(after[i], keras.layers.GlobalAveragePooling2D)
        and isinstance(after[-1], keras.layers.Dense)
        and all(isinstance(layer, _PASS_THROUGH) for layer in after[i + 1 : -1])
    )
    if not ok:
        raise ValueError(
            "method='cam' needs the explained conv layer followed only by local pooling, "
            "global average pooling, dropout and one Dense output layer (e.g. "
            "ScratchCNNClassifier(head_pooling='avg', dense_units=0)); use 'gradcam' for "
            "other architectures."
        )
    graph = keras.Model(model.inputs, after[i].input)
    return graph, keras.ops.convert_to_numpy(after[-1].kernel)  # (channels, n_outputs)


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
        average pooling -> Dense network and needs no gradients.
    target : class label, "predicted" or None, default=None
        Class to explain. ``None``: the positive class (label 1, PNEUMONIA)
        of a binary classifier, the predicted class otherwise.
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
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; choose one of {METHODS}.")
    options = dict(method=method, layer=layer, batch_size=batch_size)
    if hasattr(estimator, "steps"):  # apply the transforms first, then explain the last step
        check_is_fitted(estimator)
        X = estimator[:-1].transform(X) if len(estimator.steps) > 1 else X
        estimator = estimator.steps[-1][1]
    if hasattr(estimator, "estimators_") and hasattr(estimator, "le_"):
        return _explain_ensemble(estimator, X, target, options)
    final, model, X = _unwrap(estimator, X)
    path, conv = _find_layer(model, layer)
    if method == "cam" and path:
        raise ValueError("method='cam' needs the conv layer in the top-level model.")
    n_outputs = int(model.output_shape[-1])
    target_index = _target_index(final, target, n_outputs)
    if method == "cam":
        graph, kernel = _cam_graph(model, conv)
    else:
        graph, scores = _cached(model, ("grad", conv.name), lambda: _score_model(model, path, conv))
    maps = []
    for start in range(0, len(X), batch_size):
        batch = X[start : start + batch_size]
        if target_index == "predicted":
            proba = keras.ops.convert_to_numpy(model(batch, training=False))
            index = (proba[:, 0] >= 0.5).astype(int) if n_outputs == 1 else proba.argmax(1)
        else:
            index = np.full(len(batch), target_index)
        if method == "cam":
            A = keras.ops.convert_to_numpy(graph(batch, training=False))
            weights = target_coefficients(index, n_outputs) @ kernel.T
        else:
            coef = target_coefficients(index, n_outputs)
            A, G = activations_and_gradients(graph, scores, batch, coef)
            weights = _weights(method, A, G)
        maps.append(np.maximum(np.einsum("nhwk,nk->nhw", A, weights), 0))
    return _finish(np.concatenate(maps), X.shape[1:3])


def _explain_ensemble(ensemble, X, target, options):
    """Mean heatmap of a fitted soft-voting ensemble's members (e.g. several seeds)."""
    if isinstance(target, str) and target == "predicted":
        predicted = ensemble.predict(X)
        maps = None
        for label in np.unique(predicted):
            rows = np.flatnonzero(predicted == label)
            part = _explain_ensemble(ensemble, np.asarray(X)[rows], label, options)
            maps = np.empty((len(X), *part.shape[1:]), np.float32) if maps is None else maps
            maps[rows] = part
        return maps
    if target is not None:
        if target not in ensemble.classes_:
            raise ValueError(f"target {target!r} is not a class; classes_ = {ensemble.classes_}.")
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
