"""Helpers: parameter validation, image-size defaults, progress lines, Dask workers, versions."""

from ._dask import limit_worker_threads
from ._show_versions import show_versions

__all__ = ["limit_worker_threads", "show_versions"]
