"""Helpers: parameter validation, image-size defaults, progress lines, Dask workers, versions.

Its public names are imported on first use (PEP 562): the CLI imports ``utils._quiet`` at
start-up, which must load nothing but the standard library.
"""

import importlib

__all__ = ["limit_worker_threads", "show_versions"]
_LAZY = {"limit_worker_threads": "._dask", "show_versions": "._show_versions"}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name], __name__), name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
