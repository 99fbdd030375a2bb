"""Seeing heatmaps: colour overlays and a side-by-side display."""

import numpy as np

from ._cam import cam_explain
from ._utils import through_pipeline
from ._validation import real, validate_params


def overlay_heatmap(image, heatmap, *, alpha=0.4, colormap="jet"):
    """Blend a heatmap, coloured, over an image.

    Parameters
    ----------
    image : ndarray of shape (H, W), (H, W, 1) or (H, W, 3)
        Image in [0, 1].
    heatmap : ndarray of shape (H, W)
        Heatmap in [0, 1], e.g. one of :func:`cam_explain`'s.
    alpha : float, default=0.4
        Weight of the coloured heatmap.
    colormap : str, default="jet"
        A matplotlib colormap name.

    Returns
    -------
    overlay : ndarray of shape (H, W, 3), float32 in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skxray import overlay_heatmap
    >>> overlay_heatmap(np.zeros((8, 8)), np.ones((8, 8))).shape
    (8, 8, 3)
    """
    import matplotlib

    validate_params({"alpha": [real(0, 1)]}, {"alpha": alpha}, "overlay_heatmap")
    image = np.asarray(image, dtype=np.float32)
    heatmap = np.asarray(heatmap, dtype=np.float32)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"image must be (H, W), (H, W, 1) or (H, W, 3), got {image.shape}.")
    if heatmap.shape != image.shape[:2]:
        raise ValueError(f"heatmap shape {heatmap.shape} does not match image {image.shape[:2]}.")
    for name, array in (("image", image), ("heatmap", heatmap)):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise ValueError(
                f"{name} must hold finite values in [0, 1]; got range "
                f"[{np.nanmin(array):.3g}, {np.nanmax(array):.3g}]."
            )
    colored = matplotlib.colormaps[colormap](heatmap)[..., :3].astype(np.float32)
    return np.clip((1 - alpha) * image + alpha * colored, 0.0, 1.0)


class HeatmapDisplay:
    """Image, heatmap and overlay side by side, one row an image.

    Create it with :meth:`from_estimator` or :func:`plot_heatmaps`.

    Parameters
    ----------
    images : ndarray of shape (n, H, W[, C])
    heatmaps : ndarray of shape (n, H, W)
    proba : ndarray of shape (n,), default=None
        Predicted probability of the explained class, shown in the titles.
    y_true : array-like of shape (n,), default=None
    target_names : list of str, default=None

    Attributes
    ----------
    figure_, axes_ : the matplotlib figure and its (n, 3) axes.

    Examples
    --------
    >>> import numpy as np
    >>> from skxray import HeatmapDisplay
    >>> d = HeatmapDisplay(np.zeros((2, 8, 8)), np.ones((2, 8, 8)), proba=[0.2, 0.9]).plot()
    >>> d.axes_.shape
    (2, 3)
    """

    def __init__(self, images, heatmaps, *, proba=None, y_true=None, target_names=None):
        self.images = images
        self.heatmaps = heatmaps
        self.proba = proba
        self.y_true = y_true
        self.target_names = target_names

    @classmethod
    def from_estimator(
        cls, estimator, X, *, y_true=None, target_names=None, images=None, **cam_kwargs
    ):
        """Compute heatmaps with :func:`cam_explain` and plot them.

        Parameters
        ----------
        estimator : fitted classifier or Pipeline
        X : array-like
            Input of ``estimator`` (images, or paths for a Pipeline).
        y_true : array-like, default=None
        target_names : list of str, default=None
        images : ndarray, default=None
            Images to draw under the heatmaps; by default ``X`` when it holds
            images, else the Pipeline's transformed ``X``.
        **cam_kwargs
            ``method``, ``target``, ``layer``... for :func:`cam_explain`.

        Returns
        -------
        display : HeatmapDisplay

        Examples
        --------
        >>> from skxray import HeatmapDisplay, ScratchCNNClassifier
        >>> from skxray.datasets import make_synthetic_xrays
        >>> data = make_synthetic_xrays(40, 32, random_state=0)
        >>> clf = ScratchCNNClassifier("vanilla", epochs=1, random_state=0)
        >>> clf = clf.fit(data.images, data.target)
        >>> HeatmapDisplay.from_estimator(clf, data.images[:2], method="gradcam++").axes_.shape
        (2, 3)
        """
        final, X = through_pipeline(estimator, X)  # a Pipeline decodes the images once
        heatmaps = cam_explain(final, X, **cam_kwargs)
        proba = final.predict_proba(X)[:, -1]
        if images is None:
            images = X
        images = np.asarray(images, dtype=np.float32)
        if images.max() > 1:
            images = images / 255.0
        return cls(images, heatmaps, proba=proba, y_true=y_true, target_names=target_names).plot()

    def plot(self, *, alpha=0.4, colormap="jet"):
        """Draw the grid.

        Parameters
        ----------
        alpha : float, default=0.4
        colormap : str, default="jet"

        Returns
        -------
        self : HeatmapDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from skxray import HeatmapDisplay
        >>> display = HeatmapDisplay(np.zeros((1, 8, 8)), np.ones((1, 8, 8)))
        >>> display.plot(alpha=0.6, colormap="viridis").axes_.shape
        (1, 3)
        """
        import matplotlib.pyplot as plt

        n = len(self.heatmaps)
        fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.6 * n), squeeze=False, layout="constrained")
        names = self.target_names
        for i in range(n):
            image = np.asarray(self.images[i], np.float32)
            gray = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
            axes[i, 0].imshow(gray, cmap="gray", vmin=0, vmax=1)
            axes[i, 1].imshow(self.heatmaps[i], cmap=colormap, vmin=0, vmax=1)
            axes[i, 2].imshow(
                overlay_heatmap(image, self.heatmaps[i], alpha=alpha, colormap=colormap)
            )
            title = []
            if self.proba is not None:
                label = names[-1] if names else "positive"
                title.append(f"p({label}) = {float(self.proba[i]):.2f}")
            if self.y_true is not None:
                truth = self.y_true[i]
                title.append(f"true: {names[int(truth)] if names else truth}")
            axes[i, 0].set_title(", ".join(title), fontsize=9, loc="left")
            for ax in axes[i]:
                ax.set_axis_off()
        axes[0, 1].set_title("heatmap", fontsize=9)
        axes[0, 2].set_title("overlay", fontsize=9)
        self.figure_, self.axes_ = fig, axes
        return self


def plot_heatmaps(estimator, X, *, y_true=None, target_names=None, **cam_kwargs):
    """Plot image, heatmap and overlay for a few images.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
        Explained with :func:`cam_explain`.
    X : array-like
        Input of ``estimator`` (images, or paths for a Pipeline).
    y_true : array-like, default=None
        True labels, shown in the titles.
    target_names : list of str, default=None
        Class names for the titles.
    **cam_kwargs
        ``method``, ``target``, ``layer``... for :func:`cam_explain`.

    Returns
    -------
    display : HeatmapDisplay

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier, plot_heatmaps
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=1, random_state=0)
    >>> clf = clf.fit(data.images, data.target)
    >>> plot_heatmaps(clf, data.images[:2], y_true=data.target[:2]).axes_.shape
    (2, 3)
    """
    return HeatmapDisplay.from_estimator(
        estimator, X, y_true=y_true, target_names=target_names, **cam_kwargs
    )
