"""Every private name skxray takes from its upstream libraries, in one module.

An upstream release that moves one of these names breaks this module, not five, and
``tests/test_compat.py`` has one test per workaround that fails loudly, naming what moved.
``pyproject.toml`` bounds keras, tensorflow and scikeras below their next minor release
for the same reason. The workarounds were checked on keras 3.15, tensorflow 2.21 and
scikeras 0.13; raise a bound once ``tests/test_compat.py`` passes on the new release.

- scikit-learn: the parameter-validation toolkit (``sklearn.utils._param_validation``),
  which scikit-learn's own estimators use; read through
  :mod:`skxray.utils._param_validation`.
- scikeras 0.13: the parameter-routing helpers of ``scikeras._utils`` (``optimizer__*``,
  ``callbacks__*``), used by ``BaseXrayClassifier``.
- TensorFlow: the op-determinism switch of ``tensorflow.python.framework.config``
  (scikeras turns determinism on and never off again), and the global gradient registry of
  ``tensorflow.python.framework.ops`` (``tf.custom_gradient`` leaves an entry per traced
  training step, holding its graph).
- Keras 3: ``keras.src.random.seed_generator.python_random``, the ``random`` that
  Keras draws its default layer seeds from.

Keras, TensorFlow and scikeras are imported on first use, inside the functions:
``skxray.utils`` and ``skxray.io`` import this module and stay free of them.
"""

from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    _Constraint,
    make_constraint,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_Constraint",
    "get_optimizer_class",
    "make_constraint",
    "route_params",
    "set_keras_python_random",
    "tf_gradient_registry",
    "tf_op_determinism",
    "try_to_convert_strings_to_classes",
    "unflatten_params",
]

# -------------------------------------------------------------------- scikeras


def get_optimizer_class(optimizer):
    """scikeras' ``get_optimizer_class``: a Keras optimizer class from its name or itself."""
    from scikeras._utils import get_optimizer_class

    return get_optimizer_class(optimizer)


def route_params(params, destination, pass_filter, strict=False):
    """scikeras' ``route_params``: the ``destination__*`` entries of ``params``, unprefixed."""
    from scikeras._utils import route_params

    return route_params(params, destination=destination, pass_filter=pass_filter, strict=strict)


def try_to_convert_strings_to_classes(items, class_getter):
    """scikeras' ``try_to_convert_strings_to_classes``: names in ``items`` made classes."""
    from scikeras._utils import try_to_convert_strings_to_classes

    return try_to_convert_strings_to_classes(items, class_getter)


def unflatten_params(items, params, base_params=None):
    """scikeras' ``unflatten_params``: ``items`` (a class, or nested) built with ``params``."""
    from scikeras._utils import unflatten_params

    return unflatten_params(items=items, params=params, base_params=base_params)


# ------------------------------------------------------------------ TensorFlow


def tf_op_determinism():
    """TensorFlow's op-determinism switch, as ``(is_enabled, disable)``, or ``None``.

    ``tensorflow.python.framework.config.is_op_determinism_enabled`` and
    ``disable_op_determinism`` (only ``enable_op_determinism`` is public). ``None`` where
    TensorFlow is not installed: scikeras then changes nothing either.
    """
    try:
        from tensorflow.python.framework import config
    except ImportError:
        return None
    return config.is_op_determinism_enabled, config.disable_op_determinism


def tf_gradient_registry():
    """TensorFlow's global gradient registry (a dict of name to entry), or ``None``.

    ``tensorflow.python.framework.ops._gradient_registry._registry``: ``tf.custom_gradient``
    adds a ``CustomGradient-N`` entry there for every traced function that uses it, and never
    removes it. ``None`` where TensorFlow is not installed or no longer has it.
    """
    try:
        from tensorflow.python.framework import ops
    except ImportError:
        return None
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


# ----------------------------------------------------------------------- Keras


def set_keras_python_random(source):
    """Make Keras draw its default layer seeds from ``source`` (an object like ``random``).

    Keras gives every initializer and random layer built without a seed one drawn with
    ``keras.src.random.seed_generator.python_random.randint``: that module attribute is
    replaced. Raises ``AttributeError`` if Keras no longer has it (rather than silently
    seeding nothing).
    """
    from keras.src.random import seed_generator

    if not hasattr(seed_generator, "python_random"):
        raise AttributeError(
            "keras.src.random.seed_generator.python_random is gone: skxray cannot seed "
            "Keras' default layer seeds per thread with this Keras; see skxray.utils._compat."
        )
    seed_generator.python_random = source
