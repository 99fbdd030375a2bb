"""XrayAugmenter: training-time image augmentation as Keras preprocessing layers."""

import math
import numbers

import keras
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from ..utils._param_validation import Interval, ParamsValidated, StrOptions


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
    TransferClassifier : takes ``augmenter=``, whatever its backbone.

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
        """Return the Keras layer that applies these transforms.

        Parameters
        ----------
        seed : int, default=None
            Seed of the layer's random draws.

        Returns
        -------
        layers : list of keras.layers.Layer
            One :class:`AffineAugmentation` (empty when every range is 0):
            active only when called with ``training=True``.
        """
        self._validate_params()
        layer = AffineAugmentation(
            rotation=float(self.rotation_range),
            shift=(float(self.height_shift_range), float(self.width_shift_range)),
            shear=math.tan(math.radians(self.shear_range)),
            zoom=float(self.zoom_range),
            horizontal_flip=bool(self.horizontal_flip),
            brightness=float(self.brightness_range),
            contrast=float(self.contrast_range),
            fill_mode=self.fill_mode,
            seed=seed,
            name="augmentation",
        )
        return [layer] if layer.is_active else []

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


# Columns of the one uniform draw per image, in [0, 1).
_ANGLE, _SHIFT_Y, _SHIFT_X, _SHEAR, _SHEAR_SIGN, _ZOOM, _FLIP, _BRIGHT, _CONTRAST = range(9)


@keras.saving.register_keras_serializable(package="skxray")
class AffineAugmentation(keras.layers.Layer):
    """Random rotation, shift, shear, zoom and flip as one warp, then brightness and contrast.

    Each image gets one 3 × 3 affine matrix, the product of the matrices
    that Keras' ``RandomRotation``, ``RandomTranslation``, ``RandomShear``,
    ``RandomZoom`` and ``RandomFlip`` would apply one after the other (with
    the same conventions and random ranges), and is interpolated once by
    ``keras.ops.image.affine_transform``: faster than five layers, and
    blurred once instead of four times. Brightness and contrast follow, as
    ``RandomBrightness`` and ``RandomContrast`` with ``value_range=(0, 1)``.
    All the random numbers of a batch come from one draw of the layer's
    seed generator. Works on the TensorFlow, JAX and torch backends.

    Built by :meth:`XrayAugmenter.build_layers`; not meant to be made by hand.

    Parameters
    ----------
    rotation : float
        Maximum rotation in degrees, either way.
    shift : tuple of float
        Maximum (vertical, horizontal) shift as a fraction of the height / width.
    shear : float
        Maximum shear factor (the tangent of the shear angle), either way.
    zoom : float
        Zoom drawn from ``[1 - zoom, 1 + zoom]``.
    horizontal_flip : bool
        Mirror left-right with probability 1/2.
    brightness : float
        Maximum brightness change, either way.
    contrast : float
        Contrast factor drawn from ``[1 - contrast, 1 + contrast]``.
    fill_mode : str
        ``affine_transform``'s fill mode; ``"constant"`` fills 0.
    seed : int or None
        Seed of the layer's ``keras.random.SeedGenerator``.
    **kwargs : dict
        Passed to ``keras.layers.Layer``.
    """

    def __init__(
        self,
        rotation=0.0,
        shift=(0.0, 0.0),
        shear=0.0,
        zoom=0.0,
        horizontal_flip=False,
        brightness=0.0,
        contrast=0.0,
        fill_mode="constant",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rotation = float(rotation)
        self.shift = tuple(float(v) for v in shift)
        self.shear = float(shear)
        self.zoom = float(zoom)
        self.horizontal_flip = bool(horizontal_flip)
        self.brightness = float(brightness)
        self.contrast = float(contrast)
        self.fill_mode = fill_mode
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def is_warping(self):
        """Whether any geometric transform is on."""
        return bool(self.rotation or any(self.shift) or self.shear or self.zoom)

    @property
    def is_active(self):
        """Whether the layer changes images at all."""
        warp = self.is_warping or self.horizontal_flip
        return bool(warp or self.brightness or self.contrast)

    def draw(self, batch_size):
        """The random parameters of ``batch_size`` images, each within its range.

        Returns
        -------
        params : dict of tensors of shape (batch_size,)
            ``angle`` (degrees), ``shift_y`` / ``shift_x`` (fractions of the
            height / width), ``shear`` (factor), ``zoom``, ``flip`` (0 or 1),
            ``brightness`` (added) and ``contrast`` (factor).
        """
        ops = keras.ops
        u = keras.random.uniform((batch_size, 9), seed=self.seed_generator)

        def spread(column, half_width):  # uniform in [-half_width, half_width)
            return (2.0 * u[:, column] - 1.0) * half_width

        sign = ops.where(u[:, _SHEAR_SIGN] > 0.5, -1.0, 1.0)
        flip = ops.cast(u[:, _FLIP] > 0.5, "float32") if self.horizontal_flip else 0.0 * u[:, 0]
        return {
            "angle": spread(_ANGLE, self.rotation),
            "shift_y": spread(_SHIFT_Y, self.shift[0]),
            "shift_x": spread(_SHIFT_X, self.shift[1]),
            "shear": spread(_SHEAR, self.shear) * sign,
            "zoom": 1.0 + spread(_ZOOM, self.zoom),
            "flip": flip,
            "brightness": spread(_BRIGHT, self.brightness),
            "contrast": 1.0 + spread(_CONTRAST, self.contrast),
        }

    @staticmethod
    def matrices(params, height, width):
        """Output-to-input affine matrices ``(batch, 3, 3)``: rotation · shift · shear ·
        zoom · flip, each as the Keras layer of that name builds it, so that the warp
        equals those layers applied in that order."""
        ops = keras.ops
        angle = params["angle"] * (math.pi / 180.0)
        ones, zeros = ops.ones_like(angle), ops.zeros_like(angle)
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0

        def matrix(a0, a1, a2, b0, b1, b2):
            rows = [ops.stack([a0, a1, a2], -1), ops.stack([b0, b1, b2], -1)]
            return ops.stack([*rows, ops.stack([zeros, zeros, ones], -1)], 1)

        cos, sin = ops.cos(angle), ops.sin(angle)
        rotate = matrix(cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)
        shift = matrix(ones, zeros, -params["shift_x"] * width,
                       zeros, ones, -params["shift_y"] * height)  # fmt: skip
        shear = matrix(ones, params["shear"], zeros, zeros, ones, zeros)
        z = params["zoom"]
        zoom = matrix(z, zeros, cx * (1.0 - z), zeros, z, cy * (1.0 - z))
        f = params["flip"]
        flip = matrix(1.0 - 2.0 * f, zeros, f * (width - 1), zeros, ones, zeros)
        out = rotate
        for step in (shift, shear, zoom, flip):
            out = ops.matmul(out, step)
        return out

    def apply(self, images, params):
        """Apply drawn parameters to images ``(batch, H, W, C)`` in [0, 1]."""
        ops = keras.ops
        dtype = images.dtype
        if self.is_warping or self.horizontal_flip:
            height, width = images.shape[1], images.shape[2]
            transform = ops.reshape(self.matrices(params, height, width), (-1, 9))[:, :8]
            images = ops.image.affine_transform(
                images,
                ops.cast(transform, "float32"),
                interpolation="bilinear",
                fill_mode=self.fill_mode,
                fill_value=0.0,
            )
        if self.brightness:
            delta = ops.reshape(params["brightness"], (-1, 1, 1, 1))
            images = ops.clip(images + ops.cast(delta, dtype), 0.0, 1.0)
        if self.contrast:
            factor = ops.cast(ops.reshape(params["contrast"], (-1, 1, 1, 1)), dtype)
            mean = ops.mean(images, axis=(1, 2), keepdims=True)
            images = ops.clip((images - mean) * factor + mean, 0.0, 1.0)
        return images

    def call(self, images, training=False):
        if not training or not self.is_active:
            return images
        return self.apply(images, self.draw(keras.ops.shape(images)[0]))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        names = ("rotation", "shift", "shear", "zoom", "horizontal_flip", "brightness",
                 "contrast", "fill_mode", "seed")  # fmt: skip
        config.update({name: getattr(self, name) for name in names})
        return config
