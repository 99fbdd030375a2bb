"""Importing TensorFlow without its C++ start-up lines on stderr (standard library only).

Used by ``skxray.__getattr__`` (the first use of an estimator) and by the CLI. Set
``SKXRAY_VERBOSE=1`` (or ``TF_CPP_MIN_LOG_LEVEL=0``) to see them.
"""

import os
import re
import sys

# Lines that TensorFlow's C++ runtime (absl logging) writes to stderr while it loads.
_NATIVE_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} [\d:.]+\s+\d+ [^\]\s]+:\d+\]"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called)"
)


def import_quietly(module):
    """Import ``module``, dropping the native log lines TensorFlow writes while it loads.

    TensorFlow 2.21's C++ runtime logs before absl::InitializeLog(), which ignores
    TF_CPP_MIN_LOG_LEVEL, so file descriptor 2 points at a temporary file meanwhile.
    Anything else written there (a real error) is passed on.
    """
    import tempfile

    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no stderr at all
        __import__(module)
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            __import__(module)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", "replace").splitlines(keepends=True)
            kept = [line for line in lines if not _NATIVE_LOG_LINE.match(line)]
            kept = [line for line in kept if not line.startswith("To enable the following")]
            sys.stderr.write("".join(kept))


def wants_native_logs():
    """Whether the user asked for TensorFlow's native log lines."""
    return bool(os.environ.get("SKXRAY_VERBOSE")) or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0"
