"""The error of an unusable model file, apart from the Keras-heavy reader, so that listing
the shipped models and checking a name load no Keras."""

import os


class ModelFileError(ValueError):
    """Raised when :func:`load` or :func:`load_metadata` cannot use a file; it names the file.

    Missing, not a zip, truncated or corrupt, a missing member, not an skxray
    model file, types outside the allow-list, or an incompatible version.

    Examples
    --------
    >>> from skxray import ModelFileError, load
    >>> try:
    ...     load("no-such-model.skxray")
    ... except ModelFileError as error:
    ...     print(error)
    no-such-model.skxray: no such file
    """

    def __init__(self, path, problem):
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = os.fspath(path)
