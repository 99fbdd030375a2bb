"""The in-process cache of frozen-base features, shared by the transfer classifiers."""

import hashlib
import os
import threading
from collections import OrderedDict

import numpy as np


def base_key(weights, input_size, dtype, image_shape):
    """Identity of a frozen base and its input, for the feature cache."""
    if weights is None or weights == "imagenet":
        identity = (weights,)
    else:
        stat = os.stat(weights)
        identity = (os.path.abspath(weights), stat.st_size, stat.st_mtime_ns)
    return (*identity, int(input_size), str(dtype), tuple(image_shape))


class FeatureCache:
    """Features of a frozen network, one entry per distinct image and base.

    Images are keyed by a hash of their bytes, so an image that appears in
    several cross-validation folds is featurised once. Least recently used
    entries are dropped beyond ``max_bytes``.

    Parameters
    ----------
    max_bytes : int, default=1 GiB

    Attributes
    ----------
    n_computed : int
        Images pushed through a base so far.
    n_reused : int
        Images served from the cache so far.

    Examples
    --------
    >>> import numpy as np
    >>> from skxray import FeatureCache
    >>> cache = FeatureCache()
    >>> X = np.arange(12, dtype="float32").reshape(3, 2, 2)
    >>> f = cache.get_or_compute("base", X[[0, 1, 0]], lambda rows: rows.sum(axis=(1, 2))[:, None])
    >>> f.ravel().tolist(), cache.n_computed
    ([6.0, 22.0, 6.0], 2)
    """

    def __init__(self, max_bytes=2**30):
        self.max_bytes = max_bytes
        self._store = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.n_computed = 0
        self.n_reused = 0

    def clear(self):
        """Drop every entry and reset the counters."""
        with self._lock:
            self._store.clear()
            self._bytes = 0
            self.n_computed = self.n_reused = 0

    def get_or_compute(self, key, X, compute):
        """Features of ``X`` under base ``key``; ``compute(rows)`` fills the gaps.

        Parameters
        ----------
        key : hashable or None
            Base identity; ``None`` computes everything and caches nothing.
        X : ndarray of shape (n, ...)
        compute : callable
            Maps an array of rows of ``X`` to an array of features.

        Returns
        -------
        features : ndarray of shape (n, ...)
        """
        if key is None:
            return np.asarray(compute(X))
        X = np.ascontiguousarray(X)
        digests = [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in X]
        with self._lock:
            missing = {}
            for i, digest in enumerate(digests):
                if (key, digest) not in self._store and digest not in missing:
                    missing[digest] = i
        if missing:
            rows = np.fromiter(missing.values(), dtype=int)
            computed = np.asarray(compute(X[rows]))
            with self._lock:
                for digest, feature in zip(missing, computed, strict=True):
                    self._put((key, digest), feature.copy())
                self.n_computed += len(rows)
        with self._lock:
            out = []
            for digest in digests:
                feature = self._store.get((key, digest))
                if feature is None:  # evicted meanwhile: a tiny cache; recompute below
                    break
                self._store.move_to_end((key, digest))
                out.append(feature)
            self.n_reused += len(digests) - len(missing)
        if len(out) != len(digests):
            return np.asarray(compute(X))
        return np.stack(out)

    def _put(self, key, feature):
        self._store[key] = feature
        self._bytes += feature.nbytes
        while self._bytes > self.max_bytes and len(self._store) > 1:
            _, old = self._store.popitem(last=False)
            self._bytes -= old.nbytes


FEATURE_CACHE = FeatureCache()
"""The process-wide cache used by :class:`TransferClassifier`, whatever its backbone."""
