"""Datasets: the bundled real sample, the public folder layout and synthetic X-rays."""

from ._real import ATTRIBUTION, get_sample_xrays_path, load_chest_xray, load_sample_xrays
from ._synthetic import make_synthetic_xrays

__all__ = [
    "ATTRIBUTION",
    "get_sample_xrays_path",
    "load_chest_xray",
    "load_sample_xrays",
    "make_synthetic_xrays",
]
