"""Model files that are never unpickled (skops and Keras archives), and model cards."""

from ._card import model_card, write_model_card
from ._model_file import ModelFileError, load, load_metadata, save
from ._pretrained import list_pretrained, load_pretrained, pretrained_path

__all__ = [
    "ModelFileError",
    "list_pretrained",
    "load",
    "load_metadata",
    "load_pretrained",
    "model_card",
    "pretrained_path",
    "save",
    "write_model_card",
]
