"""Model files that are never unpickled (skops and Keras archives), and model cards."""

from ._card import model_card, write_model_card
from ._model_file import ModelFileError, load, load_metadata, save

__all__ = ["ModelFileError", "load", "load_metadata", "model_card", "save", "write_model_card"]
