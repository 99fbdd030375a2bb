"""The one backend-specific piece of cam_explain: activations and their gradients."""

import weakref

import keras
import numpy as np


def activations_and_gradients(graph, scores, batch, coef):
    """Run ``graph`` on ``batch`` and differentiate the target scores by the activations.

    Parameters
    ----------
    graph : keras.Model
        Maps images to ``(activations, head input)``.
    scores : callable
        Maps the head input to class scores ``(n, n_outputs)``.
    batch : ndarray of shape (n, H, W, C)
    coef : ndarray of shape (n, n_outputs)
        Target score of image ``i`` is ``sum(scores[i] * coef[i])``.

    Returns
    -------
    activations, gradients : ndarray of shape (n, h, w, k)
        One forward and one backward pass for the whole batch (images do not
        interact in inference mode, so the gradient of the summed score is
        each image's own).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        step = _TF_STEPS.get(graph)
        if step is None:
            step = _TF_STEPS[graph] = _tf_step(graph, scores)
        activations, gradients = step(batch, np.asarray(coef, dtype="float32"))
        return activations.numpy(), gradients.numpy()
    if backend == "torch":
        import torch

        activations, head = graph(batch, training=False)
        total = (scores(head) * torch.as_tensor(coef, device=head.device)).sum()
        (gradients,) = torch.autograd.grad(total, activations)
        return activations.detach().cpu().numpy(), gradients.detach().cpu().numpy()
    raise NotImplementedError(
        f"Gradient-based heatmaps support the tensorflow and torch backends, not {backend!r}; "
        "method='cam' needs no gradients."
    )


_TF_STEPS = weakref.WeakKeyDictionary()  # graph -> compiled step, freed with the graph


def _tf_step(graph, scores):
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def step(x, coef):
        with tf.GradientTape() as tape:
            activations, head = graph(x, training=False)
            total = tf.reduce_sum(scores(head) * coef)
        return activations, tape.gradient(total, activations)

    return step


def target_coefficients(index, n_outputs):
    """Coefficients selecting each image's target class score.

    A single sigmoid unit scores class 1 with its logit ``z`` and class 0
    with ``-z``; a softmax layer scores class ``c`` with logit ``z_c``.

    Examples
    --------
    >>> from skxray._gradients import target_coefficients
    >>> target_coefficients([1, 0], 1).ravel().tolist()
    [1.0, -1.0]
    """
    index = np.asarray(index)
    if n_outputs == 1:
        return np.where(index == 1, 1.0, -1.0).astype("float32")[:, None]
    coef = np.zeros((len(index), n_outputs), "float32")
    coef[np.arange(len(index)), index] = 1.0
    return coef
