"""Seeing heatmaps: colour overlays, a side-by-side display, and which images to show."""

import numpy as np

from ..evaluation._scores import _check_binary
from ..utils._estimators import through_pipeline
from ..utils._param_validation import integer, real, validate_params
from ._cam import cam_explain

_METHOD_TITLES = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "cam": "CAM"}


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
    explained : array-like of int of shape (n,), default=None
        Index in ``target_names`` of the class each heatmap and ``proba``
        are about; ``None``: the last class (PNEUMONIA of a binary model).
    method : str, default=None
        The :func:`cam_explain` method that made the heatmaps, named on the
        colorbar ("Grad-CAM (relative)"); ``None`` says "heatmap".

    Attributes
    ----------
    figure_, axes_ : the matplotlib figure and its (n, 3) axes.
    colorbar_ : matplotlib Colorbar
        The heatmaps' colour scale, shared by the heatmap column. Each map is
        scaled to a maximum of 1, so it is relative within each image.

    Examples
    --------
    >>> import numpy as np
    >>> from skxray import HeatmapDisplay
    >>> d = HeatmapDisplay(np.zeros((2, 8, 8)), np.ones((2, 8, 8)), proba=[0.2, 0.9]).plot()
    >>> d.axes_.shape
    (2, 3)
    >>> d
    <HeatmapDisplay of 2 images (heatmap): plotted>
    """

    def __init__(
        self,
        images,
        heatmaps,
        *,
        proba=None,
        y_true=None,
        target_names=None,
        method=None,
        explained=None,
    ):
        self.explained = explained
        self.images = images
        self.heatmaps = heatmaps
        self.proba = proba
        self.y_true = y_true
        self.target_names = target_names
        self.method = method

    def __repr__(self):
        state = "plotted" if hasattr(self, "figure_") else "not plotted"
        return f"<HeatmapDisplay of {len(self.heatmaps)} images ({self._method_title()}): {state}>"

    def _explained_name(self, i):
        """The name of the class that row ``i``'s heatmap (and probability) is about."""
        names = self.target_names
        if self.explained is None:
            return names[-1] if names else "positive"
        k = int(self.explained[i])
        return names[k] if names else f"class {k}"

    def _method_title(self):
        if self.method is None:
            return "heatmap"
        return _METHOD_TITLES.get(self.method, self.method)

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
        proba = np.asarray(final.predict_proba(X))
        explained = _explained_classes(final, proba, cam_kwargs.get("target"))
        proba = proba[np.arange(len(proba)), explained]
        if images is None:
            images = X
        images = np.asarray(images, dtype=np.float32)
        if images.max() > 1:
            images = images / 255.0
        method = cam_kwargs.get("method", "gradcam")
        display = cls(
            images,
            heatmaps,
            proba=proba,
            y_true=y_true,
            target_names=target_names,
            method=method,
            explained=explained,
        )
        return display.plot()

    def plot(self, *, alpha=0.4, colormap="jet"):
        """Draw the grid, with one colorbar for the heatmap column.

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
        # Rows a little taller than the square images are wide, plus room for the colorbar:
        # with less, constrained layout lets the first row's titles off the top.
        fig, axes = plt.subplots(
            n, 3, figsize=(7.5, 2.7 * n + 0.7), squeeze=False, layout="constrained"
        )
        names = self.target_names
        for i in range(n):
            image = np.asarray(self.images[i], np.float32)
            gray = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
            axes[i, 0].imshow(gray, cmap="gray", vmin=0, vmax=1)
            shown = axes[i, 1].imshow(self.heatmaps[i], cmap=colormap, vmin=0, vmax=1)
            axes[i, 2].imshow(
                overlay_heatmap(image, self.heatmaps[i], alpha=alpha, colormap=colormap)
            )
            title = []
            if self.proba is not None:
                title.append(f"p({self._explained_name(i)}) = {float(self.proba[i]):.2f}")
            if self.y_true is not None:
                truth = self.y_true[i]
                title.append(f"true: {names[int(truth)] if names else truth}")
            axes[i, 0].set_title(", ".join(title), fontsize=9, loc="left")
            for ax in axes[i]:
                ax.set_axis_off()
        # Say which class the maps are evidence for: one name when every row explains the
        # same class (PNEUMONIA, for a binary model by default), else each row's own.
        explained = {self._explained_name(i) for i in range(n)}
        about = f"for {explained.pop()}" if len(explained) == 1 else "for each row's class"
        axes[0, 1].set_title(f"heatmap {about}", fontsize=9)
        axes[0, 2].set_title("overlay", fontsize=9)
        # One scale for every heatmap (each is scaled to a maximum of 1), centred under the
        # heatmap column. Attached to the whole grid: attached to the column alone, constrained
        # layout shifts that column against the others and, with one row, the titles off the top.
        self.colorbar_ = fig.colorbar(
            shown, ax=axes, location="bottom", shrink=0.3, aspect=15, pad=0.02
        )
        self.colorbar_.set_label(f"{self._method_title()} (relative)", fontsize=9)
        self.colorbar_.ax.tick_params(labelsize=8)
        self.figure_, self.axes_ = fig, axes
        return self


def _explained_classes(final, proba, target):
    """The column of ``proba`` that each heatmap of ``cam_explain(final, X, target=target)``
    explains, by :func:`cam_explain`'s own target rule."""
    from ._cam import _target_rule

    rule = _target_rule(final, target, proba.shape[1])
    return np.asarray(rule(proba)) if callable(rule) else np.full(len(proba), rule)


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


def showcase_indices(y_true, proba, n=4, threshold=0.5):
    """Pick images worth showing with their heatmaps: both classes and the worst mistake.

    The most telling heatmaps are rarely those of the most confident calls of
    one class only. This picks, from held-out predictions:

    1. the worst error, when there is one: the wrong call (at ``threshold``)
       whose probability is farthest from its true label;
    2. then, in turn for the class shown least so far (label 1 first on a
       tie), that class's most confident correct call, or its next worst
       error once it has no correct call left.

    So with ``n >= 2`` and both classes present, both classes are shown, and
    at least one wrong prediction is whenever one exists.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, 0 or 1 (1 = PNEUMONIA).
    proba : array-like of shape (n_samples,)
        Predicted probability of label 1.
    n : int, default=4
        How many to pick; fewer when there are fewer samples.
    threshold : float, default=0.5
        Probability at or above which a case is called 1, as in
        :func:`~skxray.binary_scores`.

    Returns
    -------
    indices : ndarray of int, shape (min(n, n_samples),)
        Positions in ``y_true`` and ``proba``, ordered by ``proba`` (most
        confident label 0 first).

    Examples
    --------
    >>> from skxray.explain._plot import showcase_indices
    >>> y_true = [0, 0, 0, 1, 1, 1]
    >>> proba = [0.1, 0.3, 0.6, 0.95, 0.7, 0.2]  # images 2 and 5 are called wrong
    >>> showcase_indices(y_true, proba, n=4).tolist()  # 5 is the worse error
    [0, 5, 1, 3]
    """
    validate_params(
        {"n": [integer(1)], "threshold": [real(0, 1)]},
        {"n": n, "threshold": threshold},
        "showcase_indices",
    )
    y_true, proba = _check_binary(y_true, proba)
    called = (proba >= threshold).astype(int)
    # Each class's queue: its correct calls from the most confident, then its errors from
    # the worst. The confidence of a call in label 1 is proba, in label 0 it is 1 - proba.
    confidence = np.where(y_true == 1, proba, 1 - proba)
    queues = {}
    for label in (0, 1):
        mine = np.flatnonzero(y_true == label)
        right = mine[called[mine] == label]
        wrong = mine[called[mine] != label]
        queues[label] = [
            *right[np.argsort(-confidence[right], kind="stable")],
            *wrong[np.argsort(confidence[wrong], kind="stable")],
        ]
    errors = np.flatnonzero(called != y_true)
    picked = []
    if errors.size:
        worst = int(errors[np.argmin(confidence[errors])])
        picked.append(worst)
        queues[int(y_true[worst])].remove(worst)
    while len(picked) < min(n, len(y_true)):
        shown = [int(np.sum(y_true[picked] == label)) for label in (0, 1)]
        order = (1, 0) if shown[1] <= shown[0] else (0, 1)
        label = next(label for label in order if queues[label])
        picked.append(int(queues[label].pop(0)))
    picked = np.asarray(picked, dtype=int)
    return picked[np.argsort(proba[picked], kind="stable")]
