"""Images streamed from disk: decoded batch by batch, never all at once.

``ImageDirLoader(stream=True).transform(paths)`` returns an :class:`ImageStream`: the
paths and how to decode them. The stateless transformers (``HistogramEqualizer``,
``BorderCrop``) add themselves to it instead of running, and the estimators train on it
through ``skxray.models._training._batches.StreamBatches``, a ``keras.utils.PyDataset``
that decodes each batch in worker threads while the network trains on the previous one.
This module needs neither Keras nor TensorFlow.
"""

import numpy as np


class ImageStream:
    """Images of a list of files, decoded when read (what ``ImageDirLoader(stream=True)``
    returns).

    It has the ``shape``, ``dtype`` and length of the array that decoding every file
    would give, and reading any subset (:meth:`read`, ``np.asarray``) decodes just
    those files, then applies the transformers added with :meth:`then`. Indexing with
    an array of positions or a boolean mask gives the stream of those files, so
    scikit-learn can split it; an estimator fitted on it decodes one batch at a time.

    Parameters
    ----------
    paths : sequence of str
        Image files.
    loader : ImageDirLoader
        How to decode them.
    steps : tuple of transformers, default=()
        Stateless transformers applied to each decoded batch, in order.

    Examples
    --------
    >>> from skxray import HistogramEqualizer, ImageDirLoader
    >>> from skxray.datasets import load_sample_xrays
    >>> paths = load_sample_xrays(load_images=False).paths
    >>> stream = ImageDirLoader(32, stream=True).transform(paths)
    >>> stream.shape, len(stream[:10])
    ((200, 32, 32, 1), 10)
    >>> HistogramEqualizer().transform(stream[:4]).read().shape
    (4, 32, 32, 1)
    """

    ndim = 4

    def __init__(self, paths, loader, steps=()):
        self.paths = np.asarray(paths, dtype=str)
        self.loader = loader
        self.steps = tuple(steps)
        self._probe = None

    def _sample(self):
        """One decoded image, through the steps: gives the shape and dtype of a read."""
        if self._probe is None:
            self._probe = self.read([0])
        return self._probe

    @property
    def shape(self):
        """``(n_images, height, width, channels)`` of a full read (one image is decoded to
        learn it, once)."""
        return (len(self.paths), *self._sample().shape[1:])

    @property
    def dtype(self):
        """The dtype of a read."""
        return self._sample().dtype

    def __len__(self):
        return len(self.paths)

    def __repr__(self):
        names = " -> ".join(type(step).__name__ for step in self.steps)
        return f"<ImageStream of {len(self)} images{' -> ' + names if names else ''}>"

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self.read([int(key)])[0]
        stream = ImageStream(self.paths[key], self.loader, self.steps)
        stream._probe = self._probe
        return stream

    def then(self, transformer):
        """The stream with ``transformer.transform`` applied to every batch read."""
        stream = ImageStream(self.paths, self.loader, (*self.steps, transformer))
        return stream

    @property
    def workers(self):
        """Threads that decode batches ahead of training: the loader's ``n_jobs``."""
        from joblib import effective_n_jobs

        return max(1, effective_n_jobs(self.loader.n_jobs))

    def read(self, indices=None, n_jobs=1):
        """Decode the images at ``indices`` (all by default) and apply the steps.

        Parameters
        ----------
        indices : array-like of int, default=None
        n_jobs : int, default=1
            Threads decoding them.

        Returns
        -------
        images : ndarray of shape (len(indices), height, width, channels)
        """
        paths = self.paths if indices is None else self.paths[np.asarray(indices, dtype=int)]
        images = self.loader._decode(paths, n_jobs=n_jobs)
        for step in self.steps:
            images = step.transform(images)
        return images

    def read_chunks(self, size, n_jobs=1):
        """Yield the decoded images ``size`` at a time, in order (see :meth:`read`)."""
        for start in range(0, len(self), size):
            yield self.read(np.arange(start, min(start + size, len(self))), n_jobs)

    def __array__(self, dtype=None, copy=None):
        images = self.read(n_jobs=self.loader.n_jobs)
        return images if dtype is None else images.astype(dtype, copy=False)
