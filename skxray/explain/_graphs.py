"""The graphs behind cam_explain: the explained layer, its graphs, and their one cache.

:func:`explained_graph` builds, once per model and layer, a callable
``graph(batch, coef) -> (activations, signal)``: a :class:`GradientStep`
(the signal is the gradient of the target scores by the activations, the
only backend-specific piece) or a :class:`CamGraph` (the signal is the
output layer's weights of each image's target class; no gradients).
"""

import weakref

import keras
import numpy as np

_CONV_TYPES = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
_PASS_THROUGH = (keras.layers.Dropout, keras.layers.Activation)
_LOCAL_POOLING = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
# Layers that finish a conv layer's output in place: its batch normalisation, activation,
# residual addition or a named identity (ScratchCNNClassifier's "block<i>_out").
_FOLLOWERS = (
    keras.layers.BatchNormalization,
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.Add,
    keras.layers.Identity,
)

_GRAPHS = weakref.WeakKeyDictionary()
"""The one cache: model -> {(kind, layer path): graph}, freed with the model.

Graph construction costs ~1 s for Inception; a :class:`GradientStep` also
keeps its compiled backward pass, so the cache holds both together.
"""


def explained_graph(model, path, conv, *, gradients=True):
    """The cached :class:`GradientStep` (or, without gradients, :class:`CamGraph`) of ``conv``.

    ``path`` is the chain of nested models holding ``conv``, as
    :func:`find_layer` returns it.
    """
    key = ("gradients" if gradients else "cam", *(m.name for m in path), conv.name)
    graphs = _GRAPHS.setdefault(model, {})
    if key not in graphs:
        build = _score_model if gradients else _cam_graph
        graphs[key] = build(model, path, conv)
    return graphs[key]


class GradientStep:
    """Activations of the explained layer and the gradients of the target scores by them.

    Parameters
    ----------
    graph : keras.Model
        Maps images to ``(activations, head input)``.
    scores : callable
        Maps the head input to class scores ``(n, n_outputs)``.
    """

    def __init__(self, graph, scores):
        self.graph = graph
        self.scores = scores
        self._tf_step = None  # compiled on first use (TensorFlow backend)

    def __call__(self, batch, coef):
        """``(activations, gradients)``, ndarrays of shape (n, h, w, k).

        The target score of image ``i`` is ``sum(scores[i] * coef[i])``. One
        forward and one backward pass for the whole batch (images do not
        interact in inference mode, so the gradient of the summed score is
        each image's own).
        """
        backend = keras.backend.backend()
        if backend == "tensorflow":
            if self._tf_step is None:
                self._tf_step = _tf_step(self.graph, self.scores)
            activations, gradients = self._tf_step(batch, np.asarray(coef, dtype="float32"))
            return activations.numpy(), gradients.numpy()
        if backend == "torch":
            import torch

            activations, head = self.graph(batch, training=False)
            total = (self.scores(head) * torch.as_tensor(coef, device=head.device)).sum()
            (gradients,) = torch.autograd.grad(total, activations)
            return activations.detach().cpu().numpy(), gradients.detach().cpu().numpy()
        raise NotImplementedError(
            f"Gradient-based heatmaps support the tensorflow and torch backends, not "
            f"{backend!r}; method='cam' needs no gradients."
        )


def _tf_step(graph, scores):
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def step(x, coef):
        with tf.GradientTape() as tape:
            activations, head = graph(x, training=False)
            total = tf.reduce_sum(scores(head) * coef)
        return activations, tape.gradient(total, activations)

    return step


class CamGraph:
    """The feature map entering global average pooling, and the output layer's kernel.

    Calling it gives ``(activations, class_weights)``: the map ``(n, h, w, k)``
    and ``coef @ kernel.T``, the output weights ``(n, k)`` of each image's target.
    """

    def __init__(self, graph, output_layer):
        self.graph = graph
        self.output_layer = output_layer

    def __call__(self, batch, coef):
        activations = keras.ops.convert_to_numpy(self.graph(batch, training=False))
        kernel = keras.ops.convert_to_numpy(self.output_layer.kernel)  # (channels, n_outputs)
        return activations, coef @ kernel.T


def _feature_layers(model, prefix=()):
    """(path, layer) of every layer with a 4-D output, nested models included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _feature_layers(layer, prefix + (layer,))
        elif not isinstance(layer, keras.layers.InputLayer) and len(layer.output.shape) == 4:
            found.append((prefix, layer))
    return found


def find_layer(model, layer):
    """``(path, layer)``: the layer to explain, by name, object or index, or the last conv output.

    The default is the last conv layer or the last concatenation of conv
    branches after it (Inception's ``mixed10``), nested models included;
    without a concatenation, the last of the batch normalisation, activation,
    residual addition and identity layers that directly follow the last conv
    (a ResNet block's output). ``path`` is the chain of nested models holding it.
    """
    candidates = _feature_layers(model)
    convs = [(p, c) for p, c in candidates if isinstance(c, _CONV_TYPES)]
    if not convs:
        raise ValueError(f"Model {model.name!r} has no convolutional layer to explain.")
    if layer is None:
        after = candidates[candidates.index(convs[-1]) :]
        merged = [(p, c) for p, c in after if isinstance(c, keras.layers.Concatenate)]
        if merged:
            return merged[-1]
        chosen = convs[-1]
        for found in after[1:]:
            if not isinstance(found[1], _FOLLOWERS):
                break
            chosen = found
        return chosen
    if isinstance(layer, int):
        return convs[layer]
    for path, candidate in candidates:
        if candidate is layer or candidate.name == layer:
            return path, candidate
    names = [c.name for _, c in convs]
    raise ValueError(f"No layer with a 4-D output named {layer!r}; conv layers: {names}.")


def _score_model(model, path, conv):
    """A GradientStep from the input to (conv activations, pre-activation scores)."""
    output_layer = model.layers[-1]
    use_logits = isinstance(output_layer, keras.layers.Dense) and output_layer.activation in (
        keras.activations.sigmoid,
        keras.activations.softmax,
    )
    head_input = output_layer.input if use_logits else model.output
    if not path:
        graph = keras.Model(_inputs(model), [conv.output, head_input])
    else:  # conv inside a nested model: rebuild the outer chain around it
        inner = keras.Model(_inputs(path[0]), [_nested_output(path[1:], conv), path[0].output])
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

    return GradientStep(graph, scores)


def _nested_output(path, conv):
    if path:
        raise NotImplementedError(
            "conv layers nested two models deep are not supported; "
            "build the model flat (e.g. input_tensor=)."
        )
    return conv.output


def _cam_graph(model, path, conv):
    """Zhou et al. CAM for conv -> [local pooling] -> GAP -> [dropout] -> Dense graphs."""
    if path:
        raise ValueError("method='cam' needs the conv layer in the top-level model.")
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
    return CamGraph(keras.Model(_inputs(model), after[i].input), after[-1])


def target_coefficients(index, n_outputs):
    """Coefficients selecting each image's target class score.

    A single sigmoid unit scores class 1 with its logit ``z`` and class 0
    with ``-z``; a softmax layer scores class ``c`` with logit ``z_c``.

    Examples
    --------
    >>> from skxray.explain._graphs import target_coefficients
    >>> target_coefficients([1, 0], 1).ravel().tolist()
    [1.0, -1.0]
    """
    index = np.asarray(index)
    if n_outputs == 1:
        return np.where(index == 1, 1.0, -1.0).astype("float32")[:, None]
    coef = np.zeros((len(index), n_outputs), "float32")
    coef[np.arange(len(index)), index] = 1.0
    return coef


def _inputs(model):
    """``model``'s input tensor (its list when it has several), so that derived graphs take
    the same structure as the model (a list of one makes Keras warn on every call)."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs
