"""Memory that TensorFlow would keep after every fit, handed back (TensorFlow backend only).

The cause, found with ``objgraph`` back-reference chains (issue 23): Keras' TensorFlow
trainer sums gradients through ``tf.distribute``'s ``ReplicaContext.all_reduce``, which wraps
them in ``tf.custom_gradient``. In a traced function that decorator registers a gradient
function under a fresh name (``CustomGradient-N``) in TensorFlow's global gradient registry
and never removes it. The registered closure holds tensors of the traced training step, so
the step's whole ``FuncGraph``, its branch functions and their function-library entries
outlive the model: 5 MiB per fit of a tiny network, about 15 MiB per fit of the optimized
CNN. The gradients are only looked up while the step is traced, so once ``fit`` has returned
the entries of that model's own graphs can go, and so can entries whose variables are
deleted (their model is gone); entries of other live models (other threads) stay.

The same many short-lived models make TensorFlow warn that a Keras step function "triggered
tf.function retracing": each new model traces its own functions once, which is not the
retracing that warning is about, so skxray filters that one message.
"""

import logging
import warnings

import keras

from ...utils._compat import tf_gradient_registry

_RETRACING = "triggered tf.function retracing"


def _tensorflow_backend():
    return keras.backend.backend() == "tensorflow"


def _graph_in(function, depth=0):
    """The graph of the first symbolic tensor held in ``function``'s closure (or nested)."""
    for cell in getattr(function, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        for item in value if isinstance(value, (list, tuple)) else (value,):
            graph = getattr(item, "graph", None)
            if graph is not None and hasattr(graph, "outer_graph"):
                return graph
        if callable(value) and depth < 3:
            graph = _graph_in(value, depth + 1)
            if graph is not None:
                return graph
    return None


def _outermost(graph):
    while getattr(getattr(graph, "outer_graph", None), "outer_graph", False) is not False:
        graph = graph.outer_graph
    return graph


def release_traced_gradients(model):
    """Drop the gradient-registry entries of ``model``'s traced training steps.

    Parameters
    ----------
    model : keras.Model
        A model whose ``fit`` has returned.

    Returns
    -------
    n_released : int
        How many entries were removed (0 on other backends, and, with a warning, on a
        TensorFlow whose registry is not where skxray looks for it).
    """
    if not _tensorflow_backend():
        return 0
    registry = tf_gradient_registry()
    if registry is None:
        warnings.warn(
            "skxray cannot find TensorFlow's gradient registry "
            "(tensorflow.python.framework.ops._gradient_registry._registry), so it cannot "
            "release the traced training steps of a fitted model: memory grows with every "
            "fit in this process. Use the TensorFlow versions skxray supports (pyproject.toml).",
            RuntimeWarning,
            stacklevel=2,
        )
        return 0
    variables = [*model.variables, *getattr(model.optimizer, "variables", ())]
    mine = {id(getattr(v, "value", v)) for v in variables}
    released = 0
    for name in [key for key in list(registry) if key.startswith("CustomGradient-")]:
        entry = registry.get(name)
        graph = _graph_in(entry.get("type")) if isinstance(entry, dict) else None
        if graph is None:
            continue
        try:
            held = {id(v) for v in getattr(_outermost(graph), "variables", ())}
        except AssertionError:  # its variables are deleted: its model is gone, so is its use
            held = mine
        if held & mine:
            registry.pop(name, None)
            released += 1
    return released


class _NoRetracingWarning(logging.Filter):
    def filter(self, record):
        return _RETRACING not in record.getMessage()


def quiet_retracing_warnings():
    """Filter TensorFlow's "triggered tf.function retracing" warning (idempotent)."""
    if not _tensorflow_backend():
        return
    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _NoRetracingWarning) for f in logger.filters):
        logger.addFilter(_NoRetracingWarning())
