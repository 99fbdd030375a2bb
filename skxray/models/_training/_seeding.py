"""Seeding that holds wherever a fit runs: TensorFlow op determinism and Keras' layer seeds.

Both work around global state that scikeras and Keras share with the rest of the process.
"""

import contextlib
import random
import threading

from ...utils._compat import set_keras_python_random, tf_op_determinism


@contextlib.contextmanager
def _keep_op_determinism():
    """Undo the TensorFlow op determinism that scikeras may leave enabled.

    scikeras 0.13 sets TF_DETERMINISTIC_OPS before asking whether determinism
    was on, so it believes it was and never turns it off again; later
    unseeded random ops then fail. Restore the state seen before the call.
    """
    switch = tf_op_determinism()
    if switch is None:  # no TensorFlow: scikeras changes nothing
        yield
        return
    is_enabled, disable = switch
    was_enabled = is_enabled()
    try:
        yield
    finally:
        if not was_enabled and is_enabled():
            disable()


class _ThreadSeeds:
    """The ``random`` that Keras draws its default seeds from, made per thread.

    Keras gives every initializer and random layer built without a seed one drawn
    from Python's global ``random`` (``keras.src.random.seed_generator``), which
    scikeras seeds from ``random_state``. That generator is shared by every thread
    of the process: on a Dask worker the event loop thread draws from it
    (``dask.sizeof`` samples with ``random.sample``) while a fit runs in a task
    thread, so the weights changed from run to run. Inside :func:`_seeded_keras`
    the current thread draws from its own ``random.Random(seed)`` instead, which
    yields what ``random.seed(seed)`` would; elsewhere, the global generator.
    """

    def __init__(self):
        self._local = threading.local()

    def __getattr__(self, name):
        source = getattr(self._local, "generator", None)
        return getattr(random if source is None else source, name)


_THREAD_SEEDS = _ThreadSeeds()


@contextlib.contextmanager
def _seeded_keras(seed):
    """Keras' default seeds, in this thread, drawn from ``random.Random(seed)``.

    With ``seed=None`` nothing changes (Keras draws from the global generator).
    """
    if seed is None:
        yield
        return
    set_keras_python_random(_THREAD_SEEDS)  # the same object each time
    local = _THREAD_SEEDS._local
    outer = getattr(local, "generator", None)
    local.generator = random.Random(seed)
    try:
        yield
    finally:
        local.generator = outer
