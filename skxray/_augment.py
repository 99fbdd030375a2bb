"""XrayAugmenter: training-time image augmentation as Keras preprocessing layers."""

import math
import numbers

import keras
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from ._validation import Interval, ParamsValidated, StrOptions


def _at_most(high):
    """A number in [0, high]; a bool passes as 0 or 1, as it always has (hence not real())."""
    return [Interval(numbers.Real, 0, high, closed="both")]


class XrayAugmenter(ParamsValidated, BaseEstimator):
    """Random geometric and intensity transforms for training X-ray classifiers.

    The options of Keras' former ``ImageDataGenerator`` that the 2018 report
    used, as one cloneable object. Pass it to an estimator as
    ``augmenter=XrayAugmenter(...)``: the estimator then inserts the
    transforms as Keras random-preprocessing layers at the front of its
    network. Keras runs those layers only in training mode, so every training
    batch gets fresh random transforms each epoch, while validation data,
    ``predict`` and ``predict_proba`` never see them. ``GridSearchCV`` can
    tune it as ``augmenter__rotation_range`` and so on.

    It is deliberately *not* a transformer: a ``Pipeline`` calls
    ``transform`` at predict time too, which would augment test images (the
    report's mistake). Putting it in a ``Pipeline`` therefore fails with
    scikit-learn's own error. To look at what it does, call :meth:`augment`.

    Parameters
    ----------
    rotation_range : float, default=10
        Maximum rotation in degrees, either way; in [0, 180].
    width_shift_range, height_shift_range : float, default=0.1
        Maximum shift as a fraction of the width / height; in [0, 1].
    shear_range : float, default=0
        Maximum shear angle in degrees, either way (as in
        ``ImageDataGenerator``: the report's 0.2 meant 0.2 degrees); in [0, 89].
    zoom_range : float, default=0.1
        Zoom factor drawn from ``[1 - zoom_range, 1 + zoom_range]``; in [0, 1].
    horizontal_flip : bool, default=False
        Randomly mirror left-right. Off by default: it moves the heart to
        the wrong side of a chest X-ray.
    fill_mode : {"constant", "nearest", "reflect", "wrap"}, default="constant"
        How to fill pixels moved in from outside; ``"constant"`` fills black.
    brightness_range : float, default=0.1
        Maximum brightness change, as a fraction of the [0, 1] range; in [0, 1].
    contrast_range : float, default=0.1
        Contrast factor drawn from ``[1 - contrast_range, 1 + contrast_range]``;
        in [0, 1].

    See Also
    --------
    ScratchCNNClassifier : takes ``augmenter=``.
    InceptionTransferClassifier : takes ``augmenter=``.

    Examples
    --------
    >>> import numpy as np
    >>> from skxray import XrayAugmenter
    >>> images = np.full((2, 32, 32, 1), 0.5, dtype="float32")
    >>> out = XrayAugmenter(rotation_range=20).augment(images, random_state=0)
    >>> out.shape, bool(0 <= out.min() and out.max() <= 1)
    ((2, 32, 32, 1), True)
    """

    _parameter_constraints = {
        "rotation_range": _at_most(180),
        "width_shift_range": _at_most(1),
        "height_shift_range": _at_most(1),
        "shear_range": _at_most(89),
        "zoom_range": _at_most(1),
        "fill_mode": [StrOptions({"constant", "nearest", "reflect", "wrap"})],
        "brightness_range": _at_most(1),
        "contrast_range": _at_most(1),
    }

    def __init__(
        self,
        rotation_range=10.0,
        width_shift_range=0.1,
        height_shift_range=0.1,
        shear_range=0.0,
        zoom_range=0.1,
        horizontal_flip=False,
        fill_mode="constant",
        brightness_range=0.1,
        contrast_range=0.1,
    ):
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.horizontal_flip = horizontal_flip
        self.fill_mode = fill_mode
        self.brightness_range = brightness_range
        self.contrast_range = contrast_range

    @classmethod
    def from_report(cls):
        """The settings of the 2018 report's ``ImageDataGenerator``.

        ``rotation_range=40``, shifts 0.2, ``shear_range=0.2``,
        ``zoom_range=0.2``, ``horizontal_flip=True``, ``fill_mode="nearest"``,
        no intensity changes.

        Returns
        -------
        augmenter : XrayAugmenter

        Examples
        --------
        >>> from skxray import XrayAugmenter
        >>> XrayAugmenter.from_report().rotation_range
        40
        """
        return cls(
            rotation_range=40,
            width_shift_range=0.2,
            height_shift_range=0.2,
            shear_range=0.2,
            zoom_range=0.2,
            horizontal_flip=True,
            fill_mode="nearest",
            brightness_range=0.0,
            contrast_range=0.0,
        )

    def build_layers(self, seed=None):
        """Return the Keras random-preprocessing layers for these settings.

        Parameters
        ----------
        seed : int, default=None
            Base seed; layer ``i`` gets ``seed + i``.

        Returns
        -------
        layers : list of keras.layers.Layer
            Active only when called with ``training=True``.
        """
        self._validate_params()

        def next_seed():
            return None if seed is None else seed + len(layers)

        geometry = {"fill_mode": self.fill_mode, "fill_value": 0.0}
        layers = []
        if self.rotation_range:
            layers.append(
                keras.layers.RandomRotation(
                    self.rotation_range / 360.0, seed=next_seed(), **geometry
                )
            )
        if self.width_shift_range or self.height_shift_range:
            layers.append(
                keras.layers.RandomTranslation(
                    self.height_shift_range, self.width_shift_range, seed=next_seed(), **geometry
                )
            )
        if self.shear_range:
            factor = math.tan(math.radians(self.shear_range))
            layers.append(
                keras.layers.RandomShear(
                    x_factor=factor, y_factor=0.0, seed=next_seed(), **geometry
                )
            )
        if self.zoom_range:
            layers.append(keras.layers.RandomZoom(self.zoom_range, seed=next_seed(), **geometry))
        if self.horizontal_flip:
            layers.append(keras.layers.RandomFlip("horizontal", seed=next_seed()))
        if self.brightness_range:
            layers.append(
                keras.layers.RandomBrightness(
                    self.brightness_range, value_range=(0, 1), seed=next_seed()
                )
            )
        if self.contrast_range:
            layers.append(
                keras.layers.RandomContrast(
                    self.contrast_range, value_range=(0, 1), seed=next_seed()
                )
            )
        return layers

    def augment(self, X, random_state=None):
        """Apply one random draw of the transforms, e.g. to preview them.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images in [0, 1].
        random_state : int, RandomState instance or None, default=None
            Seed of the draw.

        Returns
        -------
        augmented : ndarray of the same shape as ``X``, float32 in [0, 1]
        """
        X = np.asarray(X, dtype=np.float32)
        if X.ndim not in (3, 4):
            raise ValueError(
                f"XrayAugmenter.augment expects images (n, H, W[, C]); got an "
                f"array of shape {X.shape}."
            )
        images = X[..., None] if X.ndim == 3 else X
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        out = images
        for layer in self.build_layers(seed):
            out = layer(out, training=True)
        out = np.clip(keras.ops.convert_to_numpy(out), 0.0, 1.0)
        return out.reshape(X.shape)
