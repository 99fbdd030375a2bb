"""Test configuration shared by the test suite and the doctests."""

import importlib.util
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_HOME", os.path.join(os.path.dirname(__file__), ".keras_test_home"))

import matplotlib

matplotlib.use("Agg")

# The examples of skxray/utils/_dask.py start a Dask cluster: skipped without the [dask] extra.
collect_ignore = [] if importlib.util.find_spec("distributed") else ["skxray/utils/_dask.py"]
