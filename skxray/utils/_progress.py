"""n/total progress of one long step: redrawn in place on a terminal, one line in a log."""

import sys
import threading
import time


class Progress:
    """Report ``done/total`` for one step, such as decoding images.

    On a terminal the line is redrawn in place (carriage return) at most
    ten times a second; elsewhere (a log file, a notebook, a pipe) one clean
    line is printed when the step ends. Updates may come from several
    threads. Disabled, it prints nothing.

    Parameters
    ----------
    total : int
        Units of work in the step.
    label : str
        What is done, e.g. ``"decoding images"``.
    enabled : bool, default=True
        Print anything at all.
    stream : file-like, default=None
        Where to write; ``sys.stdout`` when None.

    Examples
    --------
    >>> import io
    >>> from skxray.utils._progress import Progress
    >>> out = io.StringIO()
    >>> with Progress(3, "decoding images", stream=out) as progress:
    ...     progress.update(2)
    ...     progress.update(1)
    >>> out.getvalue().startswith("decoding images: 3/3 in ")
    True
    """

    def __init__(self, total, label, *, enabled=True, stream=None):
        self.total = int(total)
        self.label = label
        self.enabled = enabled
        self.stream = sys.stdout if stream is None else stream
        self.done = 0
        self._lock = threading.Lock()
        self._start = time.perf_counter()
        self._last = 0.0
        isatty = getattr(self.stream, "isatty", None)
        self._live = enabled and callable(isatty) and isatty()

    def update(self, n=1):
        """Record ``n`` more units done (thread-safe)."""
        with self._lock:
            self.done += int(n)
            now = time.perf_counter()
            if self._live and (now - self._last > 0.1 or self.done >= self.total):
                self._last = now
                self.stream.write(f"\r{self.label}: {self.done}/{self.total}")
                self.stream.flush()

    def close(self):
        """End the step: the final count and the time taken, on one line."""
        if not self.enabled:
            return
        seconds = time.perf_counter() - self._start
        start = "\r" if self._live else ""
        self.stream.write(f"{start}{self.label}: {self.done}/{self.total} in {seconds:.1f} s\n")
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
