"""StreamBatches: an :class:`~skxray.io.ImageStream` as a ``keras.utils.PyDataset``."""

import contextlib
import math

import keras
import numpy as np

from ...io._files import ImageLoadError


class StreamBatches(keras.utils.PyDataset):
    """The batches of an :class:`ImageStream` and its labels, for ``keras.Model.fit``.

    Each epoch visits the samples in a new order drawn from ``seed`` and the epoch
    number (the same seed gives the same batches), or in order when ``seed`` is
    ``None``. ``workers`` threads decode the next batches while the network trains.

    Parameters
    ----------
    stream : ImageStream
    y : ndarray or None
        Labels, as the network takes them; ``None`` for prediction.
    batch_size : int
    sample_weight : ndarray, default=None
    seed : int or None, default=None
        Shuffle each epoch (training); ``None`` keeps the order (prediction).
    workers : int, default=1
    """

    def __init__(self, stream, y, batch_size, *, sample_weight=None, seed=None, workers=1):
        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=2 * workers)
        self.stream = stream
        self.y = y
        self.batch_size = int(batch_size)
        self.sample_weight = sample_weight
        self.seed = seed
        self._epoch = 0
        self._order = self._draw_order()
        self.error = None  # a bad file's ImageLoadError, which Keras' input pipeline wraps

    def _draw_order(self):
        n = len(self.stream)
        if self.seed is None:
            return np.arange(n)
        return np.random.default_rng([self.seed, self._epoch]).permutation(n)

    @property
    def num_batches(self):
        return math.ceil(len(self.stream) / self.batch_size)

    def __len__(self):
        return self.num_batches

    def __getitem__(self, index):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        try:
            images = self.stream.read(rows)
        except ImageLoadError as exc:
            self.error = exc
            raise
        if self.y is None:
            return (images,)
        if self.sample_weight is None:
            return images, self.y[rows]
        return images, self.y[rows], self.sample_weight[rows]

    @staticmethod
    @contextlib.contextmanager
    def reraise(*batches):
        """Raise a bad file's own :class:`ImageLoadError` rather than the error of Keras'
        input pipeline that wraps it (TensorFlow re-raises it as an InvalidArgumentError)."""
        try:
            yield
        except Exception:
            for batch in batches:
                if isinstance(batch, StreamBatches) and batch.error is not None:
                    raise batch.error from None
            raise

    def on_epoch_end(self):
        self._epoch += 1
        self._order = self._draw_order()
