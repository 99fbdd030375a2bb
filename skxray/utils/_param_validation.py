"""One way to validate parameters: declarative constraints and one error type.

Every estimator, transformer and public function of skxray declares what its
parameters accept, as scikit-learn does with ``_parameter_constraints``, and
checks them with :func:`validate_params` (functions), the :func:`validates`
decorator (functions that must check everything before any work, as
scikit-learn's ``@validate_params``) or :meth:`ParamsValidated._validate_params`
(estimators, called at ``fit``).
A bad value raises :class:`InvalidParameterError`, scikit-learn's own error
type (a ``ValueError`` and a ``TypeError``), whose message names the
parameter, its owner, what it accepts and what it got.

The constraint objects are scikit-learn's (``Interval``, ``StrOptions``,
``Options``, ``HasMethods``, ``"boolean"``, ``None``, a type...) plus the
:class:`ImageSize` and :class:`PerBlock` constraints defined here. scikit-learn
keeps its validation helpers private: they come through
:mod:`skxray.utils._compat`, and the rest of skxray takes them from here.
"""

import functools
import inspect
import numbers

from ._compat import (
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
    "ImageSize",
    "Interval",
    "InvalidParameterError",
    "Options",
    "ParamsValidated",
    "PerBlock",
    "StrOptions",
    "check_image_size",
    "integer",
    "invalid",
    "real",
    "validate_params",
    "validates",
]


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class ImageSize(_Constraint):
    """An image size: an int ``>= minimum`` (a square) or a ``(height, width)`` pair."""

    def __init__(self, minimum=1):
        super().__init__()
        self.minimum = minimum

    def is_satisfied_by(self, val):
        if _is_int(val):
            return val >= self.minimum
        return (
            isinstance(val, (tuple, list))
            and len(val) == 2
            and all(_is_int(v) and v >= self.minimum for v in val)
        )

    def __str__(self):
        return f"an int >= {self.minimum} or a (height, width) pair of ints >= {self.minimum}"


class PerBlock(_Constraint):
    """A positive int for every block, or a non-empty sequence of positive ints, one a block."""

    def __init__(self, allow_int=True):
        super().__init__()
        self.allow_int = allow_int

    def is_satisfied_by(self, val):
        if _is_int(val):
            return self.allow_int and val >= 1
        return (
            isinstance(val, (tuple, list))
            and len(val) > 0
            and all(_is_int(v) and v >= 1 for v in val)
        )

    def __str__(self):
        sequence = "a non-empty sequence of positive ints"
        return f"a positive int or {sequence}" if self.allow_int else sequence


class _NotBool(_Constraint):
    """An :class:`Interval` that refuses booleans (scikit-learn's takes True as 1)."""

    def __init__(self, interval):
        super().__init__()
        self.interval = interval

    def is_satisfied_by(self, val):
        if isinstance(val, bool):
            return False
        try:
            return self.interval.is_satisfied_by(val)
        except TypeError:  # e.g. a Fraction, on which Interval calls np.isnan
            return False

    def __str__(self):
        return str(self.interval)


def _open_unbounded(low, high, closed):
    """``closed`` with the unbounded ends open, as scikit-learn's Interval requires."""
    left = closed in ("both", "left") and low is not None
    right = closed in ("both", "right") and high is not None
    return {(True, True): "both", (True, False): "left", (False, True): "right"}.get(
        (left, right), "neither"
    )


def real(low=None, high=None, closed="both"):
    """A real number (not a bool) between ``low`` and ``high``; None means unbounded."""
    return _NotBool(Interval(numbers.Real, low, high, closed=_open_unbounded(low, high, closed)))


def integer(low=None, high=None, closed="both"):
    """An int (not a bool) between ``low`` and ``high``; None means unbounded."""
    interval = Interval(numbers.Integral, low, high, closed=_open_unbounded(low, high, closed))
    return _NotBool(interval)


def _make(constraint):
    return constraint if isinstance(constraint, _Constraint) else make_constraint(constraint)


def validate_params(constraints, params, caller):
    """Check ``params`` against ``constraints``; raise :class:`InvalidParameterError`.

    Parameters
    ----------
    constraints : dict of str to list
        For each parameter, the constraints of which one must hold.
    params : dict of str to object
        The values; names without constraints are not checked.
    caller : str
        The estimator or function named in the error.

    Examples
    --------
    >>> from skxray.utils._param_validation import StrOptions, validate_params
    >>> validate_params({"mode": [StrOptions({"a", "b"})]}, {"mode": "c"}, "demo")
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'mode' parameter of demo must be a str among {...}. Got 'c' instead.
    """  # noqa: E501
    for name, value in params.items():
        if name not in constraints:
            continue
        options = [_make(c) for c in constraints[name]]
        if any(option.is_satisfied_by(value) for option in options):
            continue
        shown = [str(option) for option in options if not option.hidden]
        expected = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {expected}. Got {value!r} instead."
        )


def validates(constraints, caller=None):
    """Decorator: check a function's arguments against ``constraints`` before it runs.

    skxray's form of scikit-learn's ``@validate_params``: each call binds its
    arguments to the signature (defaults included) and checks them with
    :func:`validate_params`, so a bad parameter raises before any work is done
    (a prediction, a file read). Arguments without constraints are not checked.

    Parameters
    ----------
    constraints : dict of str to list
        For each parameter, the constraints of which one must hold.
    caller : str, default=None
        The name in the error; the function's name by default.

    Examples
    --------
    >>> from skxray.utils._param_validation import integer, validates
    >>> @validates({"n": [integer(1)]})
    ... def repeat(text, n=2):
    ...     return text * n
    >>> repeat("ab")
    'abab'
    >>> repeat("ab", n=0)
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'n' parameter of repeat must be an int in the range [1, inf). Got 0 instead.
    """  # noqa: E501

    def decorate(function):
        signature = inspect.signature(function)
        name = caller or function.__name__

        @functools.wraps(function)
        def checked(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            validate_params(constraints, bound.arguments, name)
            return function(*args, **kwargs)

        return checked

    return decorate


def invalid(name, caller, requirement, value):
    """Raise the error of a parameter that breaks a rule no constraint can state.

    For rules between parameters, or that depend on the data, such as "one
    kernel size per conv block".
    """
    raise InvalidParameterError(
        f"The {name!r} parameter of {caller} must be {requirement}. Got {value!r} instead."
    )


def check_image_size(image_size, name="image_size", caller="skxray"):
    """``(height, width)`` from an image size given as an int or a pair.

    Examples
    --------
    >>> from skxray.utils._param_validation import check_image_size
    >>> check_image_size(64), check_image_size((32, 48))
    ((64, 64), (32, 48))
    """
    validate_params({name: [ImageSize()]}, {name: image_size}, caller)
    if _is_int(image_size):
        return int(image_size), int(image_size)
    return int(image_size[0]), int(image_size[1])


class ParamsValidated:
    """Mixin: ``_validate_params()`` checks ``get_params(deep=False)`` against
    the class's ``_parameter_constraints``."""

    _parameter_constraints: dict = {}

    def _validate_params(self):
        validate_params(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
