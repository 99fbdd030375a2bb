"""The private upstream names of ``skxray/utils/_compat.py``: one test per workaround.

Each fails loudly, naming what moved, when an upstream release moves or changes the name a
workaround depends on (``pyproject.toml`` bounds keras, tensorflow and scikeras below their
next minor release; raise a bound only once these pass on it).
"""

import numbers
import random
import warnings

import keras
import numpy as np
import pytest
import skops.io
from sklearn.utils import Bunch

from skxray.utils import _compat

TENSORFLOW = keras.backend.backend() == "tensorflow"
needs_tensorflow = pytest.mark.skipif(not TENSORFLOW, reason="a TensorFlow workaround")


def test_sklearn_parameter_validation():
    """``sklearn.utils._param_validation``: the constraints and the error skxray raises."""
    assert issubclass(_compat.InvalidParameterError, ValueError)
    assert issubclass(_compat.InvalidParameterError, TypeError)
    assert isinstance(_compat.StrOptions({"a"}), _compat._Constraint)
    assert _compat.make_constraint("boolean").is_satisfied_by(True)
    assert not _compat.Interval(numbers.Integral, 1, None, closed="left").is_satisfied_by(0)
    assert _compat.Options(str, {"x"}).is_satisfied_by("x")
    assert _compat.HasMethods("fit").is_satisfied_by(Bunch(fit=None)) is False


def test_sklearn_bunch_type_name_is_what_skops_writes():
    """The model-file allow-list names Bunch where scikit-learn defines it (a private
    module); skops must write that same name for a Bunch (VotingClassifier's
    ``named_estimators_``)."""
    from skxray.persistence._model_file import TRUSTED_TYPES

    found = skops.io.get_untrusted_types(data=skops.io.dumps(Bunch(a=1)))
    assert set(found) <= set(TRUSTED_TYPES), found


def test_scikeras_routing_helpers():
    """``scikeras._utils``: how ``optimizer__*`` and ``callbacks__*`` reach their objects."""
    params = {"optimizer": "adam", "optimizer__learning_rate": 0.25, "epochs": 3}
    routed = _compat.route_params(params, "optimizer", pass_filter=set(), strict=True)
    assert routed == {"learning_rate": 0.25}
    assert _compat.get_optimizer_class("adam") is keras.optimizers.Adam
    cls = _compat.try_to_convert_strings_to_classes("adam", _compat.get_optimizer_class)
    assert cls is keras.optimizers.Adam
    optimizer = _compat.unflatten_params(items=cls, params=routed)
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == 0.25


@needs_tensorflow
def test_tensorflow_op_determinism_switch():
    """``tensorflow.python.framework.config``: the state that scikeras leaves enabled is
    read and undone (``_keep_op_determinism``)."""
    import tensorflow as tf

    from skxray.models._training._seeding import _keep_op_determinism

    switch = _compat.tf_op_determinism()
    assert switch is not None, "tensorflow.python.framework.config has moved"
    is_enabled, _ = switch
    assert is_enabled() is False
    with _keep_op_determinism():
        tf.config.experimental.enable_op_determinism()  # as scikeras does
        assert is_enabled() is True
    assert is_enabled() is False


@needs_tensorflow
def test_tensorflow_gradient_registry():
    """``tensorflow.python.framework.ops._gradient_registry._registry``: a traced
    ``tf.custom_gradient`` adds the ``CustomGradient-N`` entry that skxray releases."""
    import tensorflow as tf

    registry = _compat.tf_gradient_registry()
    assert isinstance(registry, dict), "TensorFlow's gradient registry has moved"
    before = set(registry)

    @tf.custom_gradient
    def double(x):
        return 2 * x, lambda upstream: 2 * upstream

    tf.function(double).get_concrete_function(tf.TensorSpec([], tf.float32))
    added = set(_compat.tf_gradient_registry()) - before
    assert added and all(key.startswith("CustomGradient-") for key in added), added
    for key in added:
        registry.pop(key)


@needs_tensorflow
def test_lost_gradient_registry_warns(monkeypatch):
    """Without the registry, ``release_traced_gradients`` cannot hand memory back: it says
    so instead of silently returning 0."""
    from skxray.models._training import _tf_memory

    monkeypatch.setattr(_tf_memory, "tf_gradient_registry", lambda: None)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(RuntimeWarning, match="gradient registry"):
        assert _tf_memory.release_traced_gradients(model) == 0


def test_lost_gradient_registry_does_not_warn_on_other_backends(monkeypatch):
    from skxray.models._training import _tf_memory

    monkeypatch.setattr(_tf_memory, "_tensorflow_backend", lambda: False)
    monkeypatch.setattr(_tf_memory, "tf_gradient_registry", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _tf_memory.release_traced_gradients(object()) == 0


def test_keras_default_seeds_come_from_the_thread_generator():
    """``keras.src.random.seed_generator.python_random``: Keras draws the default seed of an
    unseeded layer from it, which ``_seeded_keras`` makes ``random.Random(seed)`` in this
    thread."""
    from keras.src.random import seed_generator

    from skxray.models._training._seeding import _seeded_keras

    expected = random.Random(7).randint(1, int(1e9))
    for _ in range(2):
        with _seeded_keras(7):
            assert seed_generator.make_default_seed() == expected
    weights = []
    for _ in range(2):
        with _seeded_keras(7):
            layer = keras.layers.Dense(3)
            layer.build((None, 2))
            weights.append(keras.ops.convert_to_numpy(layer.kernel))
    np.testing.assert_array_equal(*weights)


def test_keras_seed_attribute_missing_fails_loudly(monkeypatch):
    from keras.src.random import seed_generator

    monkeypatch.delattr(seed_generator, "python_random")
    with pytest.raises(AttributeError, match="python_random is gone"):
        _compat.set_keras_python_random(random)


def test_private_upstream_names_are_imported_in_the_compat_module_only():
    import ast
    import re
    from pathlib import Path

    import skxray

    private = re.compile(r"^(scikeras\._|keras\.src|tensorflow\.python|sklearn(\.\w+)*\._)")
    package = Path(skxray.__file__).parent
    found = []
    for path in package.rglob("*.py"):
        if path.name == "_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found += [f"{path.relative_to(package)}: {n}" for n in names if private.match(n)]
    assert not found, found
