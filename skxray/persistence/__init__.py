"""Model files that are never unpickled (skops and Keras archives), and model cards.

Names are imported on first use (PEP 562), so that listing the shipped models or checking a
model name loads no Keras.
"""

import importlib

_LAZY = {
    "ModelFileError": "_errors",
    "list_pretrained": "_pretrained",
    "load": "_model_file",
    "load_metadata": "_model_file",
    "load_pretrained": "_pretrained",
    "model_card": "_card",
    "pretrained_path": "_pretrained",
    "save": "_model_file",
    "write_model_card": "_card",
}
__all__ = list(_LAZY)


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
