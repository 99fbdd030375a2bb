"""Stateless image transformers: HistogramEqualizer and BorderCrop."""

import numbers

import cv2
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..io._stream import ImageStream
from ..utils._images import check_image_batch
from ..utils._param_validation import Interval, ParamsValidated, StrOptions, integer, real


class _ImageTransformer(ParamsValidated, TransformerMixin, BaseEstimator):
    """Stateless per-image transformers: parameter check at fit, images in and out."""

    def _check_images(self, X):
        return check_image_batch(X, type(self).__name__, pixel_values=True)

    def fit(self, X, y=None):
        """Check the parameters and the images; nothing is learned.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images, uint8 or float in [0, 1].
        y : None
            Ignored.

        Returns
        -------
        self : object
            The transformer.
        """
        self._validate_params()
        if not isinstance(X, ImageStream):  # a stream is checked batch by batch, when read
            X = self._check_images(X)
        self.n_features_in_ = X.shape[1]
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class HistogramEqualizer(_ImageTransformer):
    """Equalise each image's histogram, so that exposure and contrast stop mattering.

    X-ray machines and their settings differ in brightness, contrast and
    gamma. Global histogram equalisation maps every image to a (nearly) flat
    histogram; as it depends only on the order of the grey levels, any
    increasing change of intensity (brighter, darker, flatter, another gamma)
    gives the same output, up to 8-bit rounding. A classifier trained and
    used behind it therefore cannot latch on to a hospital's exposure. It
    does not undo blur or noise. ``"clahe"`` equalises locally instead
    (contrast-limited adaptive histogram equalisation), which is common in
    chest X-ray work but only partly invariant.

    The transformer is stateless (``fit`` learns nothing) and meant as a
    ``Pipeline`` step before a classifier, so it runs on training and test
    images alike; see :func:`recommended_classifier`.

    Parameters
    ----------
    method : {"global", "clahe"}, default="global"
        Whole-image equalisation, or CLAHE.
    clip_limit : float, default=2.0
        CLAHE's contrast limit, > 0 (used by ``"clahe"`` only, always checked).
    tile_grid_size : int, default=8
        CLAHE's tiles per side, >= 1 (used by ``"clahe"`` only, always checked).

    Attributes
    ----------
    n_features_in_ : int
        The image height, as for the classifiers (scikit-learn's convention of
        ``X.shape[1]``).

    See Also
    --------
    recommended_classifier : uses it in front of the classifier.

    Notes
    -----
    Each image is processed on 8-bit grey levels (OpenCV's ``equalizeHist`` /
    ``createCLAHE``), channel by channel. Float input must lie in [0, 1] and
    comes back as float in [0, 1] (float64 stays float64, other types become
    float32); uint8 input comes back as uint8.

    Examples
    --------
    >>> import numpy as np
    >>> from skxray import HistogramEqualizer
    >>> rng = np.random.default_rng(0)
    >>> images = rng.uniform(0.2, 0.4, size=(2, 16, 16, 1)).astype("float32")
    >>> out = HistogramEqualizer().fit_transform(images)
    >>> out.shape, bool(out.min() < 0.05 and out.max() == 1.0)
    ((2, 16, 16, 1), True)
    >>> brighter = images**0.5  # another exposure: every pixel changes by about 0.24
    >>> float(np.abs(HistogramEqualizer().transform(brighter) - out).mean()) < 0.01
    True
    """

    _parameter_constraints = {
        "method": [StrOptions({"global", "clahe"})],
        # (0, inf], and a bool passes as 0 or 1 (hence not real()): as it always has.
        "clip_limit": [Interval(numbers.Real, 0, None, closed="right")],
        "tile_grid_size": [integer(1, None, closed="left")],
    }

    def __init__(self, method="global", *, clip_limit=2.0, tile_grid_size=8):
        self.method = method
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def transform(self, X):
        """Equalise every image (and every channel) on its own.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images, uint8 or float in [0, 1].

        Returns
        -------
        equalised : ndarray of the same shape
            uint8 for uint8 input; float in [0, 1] otherwise (float64 stays
            float64, any other type becomes float32).
        """
        self._validate_params()
        if isinstance(X, ImageStream):  # applied to each batch as it is read
            return X.then(self)
        X = self._check_images(X)
        is_uint8 = X.dtype == np.uint8
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float32)
        u8 = X if is_uint8 else np.round(X * 255).astype(np.uint8)
        planes = u8 if u8.ndim == 4 else u8[..., None]
        if self.method == "clahe":
            size = int(self.tile_grid_size)
            clahe = cv2.createCLAHE(clipLimit=float(self.clip_limit), tileGridSize=(size, size))
            equalize = clahe.apply
        else:
            equalize = cv2.equalizeHist
        out = np.empty_like(planes)
        for i in range(planes.shape[0]):
            for c in range(planes.shape[3]):
                out[i, :, :, c] = equalize(np.ascontiguousarray(planes[i, :, :, c]))
        out = out.reshape(u8.shape)
        return out if is_uint8 else out.astype(dtype) / dtype.type(255)


class BorderCrop(_ImageTransformer):
    """Cut away the outer band of each image and resize the rest back to the input size.

    The edge of a chest X-ray shows the acquisition, not the patient: the
    collimation edge, side markers ("R", "L"), text, tubes and the abdomen.
    A classifier that may read them can learn the hospital instead of the
    disease (see :func:`shortcut_audit`). Cropping a fixed fraction from
    every side keeps the lung fields, which sit in the middle of a
    postero-anterior chest film, and removes most of that band. The output
    keeps the input's height and width, so the classifier behind it needs no
    other change.

    Parameters
    ----------
    fraction : float, default=0.08
        Fraction of the height cut from the top and from the bottom, and of
        the width from each side; in [0, 0.4).

    Attributes
    ----------
    n_features_in_ : int
        The image height (scikit-learn's convention of ``X.shape[1]``).

    See Also
    --------
    shortcut_audit : measures how much a classifier relies on the border.

    Examples
    --------
    >>> import numpy as np
    >>> from skxray import BorderCrop
    >>> images = np.zeros((1, 100, 100, 1), dtype="float32")
    >>> images[:, :10] = 1.0  # a bright band along the top edge
    >>> out = BorderCrop(0.1).fit_transform(images)
    >>> out.shape, float(out.max())
    ((1, 100, 100, 1), 0.0)
    """

    _parameter_constraints = {"fraction": [real(0, 0.4, closed="left")]}

    def __init__(self, fraction=0.08):
        self.fraction = fraction

    def transform(self, X):
        """Crop each image's border and resize it back (area interpolation).

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images, uint8 or float in [0, 1].

        Returns
        -------
        cropped : ndarray of the same shape and dtype (float16 becomes float32)
        """
        self._validate_params()
        if isinstance(X, ImageStream):  # applied to each batch as it is read
            return X.then(self)
        X = self._check_images(X)
        height, width = X.shape[1:3]
        top, left = int(round(self.fraction * height)), int(round(self.fraction * width))
        if top == 0 and left == 0:
            return X
        dtype = X.dtype if X.dtype in (np.uint8, np.float32, np.float64) else np.float32
        out = np.empty(X.shape, dtype)
        for i, image in enumerate(X):
            inner = np.ascontiguousarray(image[top : height - top, left : width - left], dtype)
            resized = cv2.resize(inner, (width, height), interpolation=cv2.INTER_AREA)
            out[i] = resized.reshape(out[i].shape)
        return out
