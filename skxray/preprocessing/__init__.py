"""Stateless image transformers for a ``Pipeline``: NumPy and OpenCV only, no Keras."""

from ._transformers import BorderCrop, HistogramEqualizer

__all__ = ["BorderCrop", "HistogramEqualizer"]
