"""The ``skxray`` command: ``demo``, ``train``, ``evaluate``, ``predict``, ``explain``.

Importing it loads the standard library only; each command imports what it needs.
"""

from ._main import main

__all__ = ["main"]
