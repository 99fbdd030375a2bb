"""shortcut_audit: does a classifier read the lungs, or the acquisition around them?"""

from dataclasses import dataclass, field

import numpy as np

from ..utils._estimators import through_pipeline
from ..utils._param_validation import StrOptions, invalid, real, validate_params
from ._cam import CAM_METHODS, cam_explain

DELETED_REGIONS = ("border", "corners", "center")
"""Regions the deletion test blanks: the outer band, the four corners, a central control."""

_FILLS = ("region_mean", "image_mean")
_CONSTRAINTS = {
    "border": [real(0, 0.5, closed="neither")],
    "corner": [real(0, 0.5, closed="neither")],
    "fill": [StrOptions(set(_FILLS)), real()],
}


def region_masks(shape, border=0.1, corner=0.2):
    """Boolean masks of the image regions a shortcut audit looks at.

    Parameters
    ----------
    shape : (int, int)
        Image height and width.
    border : float, default=0.1
        Width of the outer band, as a fraction of the height (top and bottom
        strips) and of the width (left and right strips).
    corner : float, default=0.2
        Side of each corner square, as a fraction of the height and width:
        where acquisition markers ("R", "L", text) usually sit.

    Returns
    -------
    masks : dict of str to ndarray of shape (height, width), bool
        ``"border"`` (the whole outer band), its ``"top"``, ``"bottom"``,
        ``"left"`` and ``"right"`` strips, ``"corners"`` and ``"center"``: a
        central box with the same area as the band, the control region (on a
        chest X-ray it holds the lungs and the heart).

    Examples
    --------
    >>> from skxray import region_masks
    >>> masks = region_masks((100, 100), border=0.1)
    >>> round(float(masks["border"].mean()), 2), round(float(masks["bottom"].mean()), 2)
    (0.36, 0.1)
    """
    validate_params(_CONSTRAINTS, {"border": border, "corner": corner}, "region_masks")
    height, width = (int(v) for v in shape)
    bh, bw = max(1, round(border * height)), max(1, round(border * width))
    ch, cw = max(1, round(corner * height)), max(1, round(corner * width))
    masks = {name: np.zeros((height, width), bool) for name in ("top", "bottom", "left", "right")}
    masks["top"][:bh] = True
    masks["bottom"][-bh:] = True
    masks["left"][:, :bw] = True
    masks["right"][:, -bw:] = True
    masks["border"] = masks["top"] | masks["bottom"] | masks["left"] | masks["right"]
    corners = np.zeros((height, width), bool)
    for rows in (slice(0, ch), slice(height - ch, height)):
        for cols in (slice(0, cw), slice(width - cw, width)):
            corners[rows, cols] = True
    masks["corners"] = corners
    scale = np.sqrt(masks["border"].mean())
    h, w = max(1, round(scale * height)), max(1, round(scale * width))
    top, left = (height - h) // 2, (width - w) // 2
    center = np.zeros((height, width), bool)
    center[top : top + h, left : left + w] = True
    masks["center"] = center
    return masks


def _mean_defined(shares):
    """Mean over the images whose heatmap is not empty (nan shares); nan if none is."""
    shares = np.asarray(shares, dtype=float)
    defined = shares[~np.isnan(shares)]
    return float(defined.mean()) if defined.size else float("nan")


@dataclass(repr=False)
class ShortcutAudit:
    """Result of :func:`shortcut_audit`.

    Attributes
    ----------
    heat_share : dict of str to ndarray of shape (n_samples,)
        Share of each image's heatmap mass in each region of
        :func:`region_masks` (nan for an all-zero map).
    uniform_share : dict of str to float
        The share a uniform heatmap would give: the region's area fraction.
    heat_share_border_blanked : ndarray of shape (n_samples,)
        Share of the heatmap in the border band *after* the band was blanked.
        Heat that stays on a band with no content left comes from the
        network's position (zero padding, a position-specific head), not
        from what the band shows: a heatmap artefact rather than a shortcut.
    proba : ndarray of shape (n_samples,)
        Predicted probability of the target class on the intact images.
    proba_deleted : dict of str to ndarray of shape (n_samples,)
        The same after blanking ``"border"``, ``"corners"`` or ``"center"``.
    target, method, border, corner, fill : object
        The settings used.
    heatmaps : ndarray of shape (n_samples, height, width)
        The heatmaps of the intact images.

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier, shortcut_audit
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=1, random_state=0)
    >>> audit = shortcut_audit(clf.fit(data.images, data.target), data.images[:4])
    >>> audit.heatmaps.shape, round(audit.uniform_share["border"], 2)
    ((4, 32, 32), 0.34)
    """

    heat_share: dict
    uniform_share: dict
    heat_share_border_blanked: np.ndarray
    proba: np.ndarray
    proba_deleted: dict
    target: object
    method: str
    border: float
    corner: float
    fill: object
    heatmaps: np.ndarray = field(repr=False)

    def summary(self):
        """Means over the images, as a flat dict of floats.

        Returns
        -------
        summary : dict
            ``n_images`` (an int), then floats: ``heat_ratio_<region>``: mean
            heat share over the uniform share (1 = no preference; > 1 = the map
            favours the region);
            ``heat_ratio_border_blanked``: the same for the blanked band;
            ``delta_<region>``: mean change of the probability when the
            region is blanked; ``abs_delta_<region>``: mean absolute change;
            ``flips_<region>``: share of decisions at 0.5 that change.
        """
        out = {"n_images": len(self.proba)}
        for name, share in self.heat_share.items():
            out[f"heat_ratio_{name}"] = _mean_defined(share) / self.uniform_share[name]
        blanked = _mean_defined(self.heat_share_border_blanked)
        out["heat_ratio_border_blanked"] = blanked / self.uniform_share["border"]
        decided = self.proba >= 0.5
        for name, proba in self.proba_deleted.items():
            delta = proba - self.proba
            out[f"delta_{name}"] = float(delta.mean())
            out[f"abs_delta_{name}"] = float(np.abs(delta).mean())
            out[f"flips_{name}"] = float(np.mean((proba >= 0.5) != decided))
        return out

    def __repr__(self):
        summary = self.summary()
        return (
            f"<ShortcutAudit of {summary['n_images']} images ({self.method}): border heat "
            f"{summary['heat_ratio_border']:.2f}x uniform, mean |dp| border "
            f"{summary['abs_delta_border']:.3f} vs centre {summary['abs_delta_center']:.3f}; "
            "print() it for the table>"
        )

    def __str__(self):
        s = self.summary()
        lines = [
            f"shortcut audit of {int(s['n_images'])} images ({self.method}, border "
            f"{self.border:g}, corners {self.corner:g})",
            f"{'region':<10} {'heat / uniform':>14} {'mean dp':>8} {'mean |dp|':>9} {'flips':>6}",
        ]
        for name in ("border", "top", "bottom", "left", "right", "corners", "center"):
            row = f"{name:<10} {s[f'heat_ratio_{name}']:>14.2f}"
            if name in self.proba_deleted:
                row += (
                    f" {s[f'delta_{name}']:>+8.3f} {s[f'abs_delta_{name}']:>9.3f}"
                    f" {s[f'flips_{name}']:>6.1%}"
                )
            lines.append(row)
        lines.append(f"border heat after blanking the border: {s['heat_ratio_border_blanked']:.2f}")
        return "\n".join(lines)


def _blank(X, mask, fill):
    out = np.array(X, copy=True)
    for image in out:
        if fill == "region_mean":
            value = image[mask].mean(axis=0)
        elif fill == "image_mean":
            value = image.mean(axis=(0, 1))
        else:
            value = fill
        image[mask] = value
    return out


def _final_and_inputs(estimator, X):
    """The last step of a fitted Pipeline and ``X`` as it reaches it."""
    estimator, X = through_pipeline(estimator, X)
    X = np.asarray(X)
    X = X[..., None] if X.ndim == 3 else X
    if X.ndim != 4:
        raise ValueError(
            f"shortcut_audit needs images (n, height, width[, channels]) at the classifier; "
            f"got an array of shape {X.shape}."
        )
    return estimator, X


def shortcut_audit(
    estimator, X, *, border=0.1, corner=0.2, method="gradcam", target=None, fill="region_mean"
):
    """Check whether a fitted classifier looks at the image border and the markers.

    A chest X-ray classifier should decide from the lungs. One that learnt the
    acquisition (the collimation edge, the side markers "R"/"L", text, tubes
    outside the body) scores well on images of the hospital it was trained on
    and fails on others. The audit asks two questions on real images:

    1. **Where is the heat?** The share of each Grad-CAM (or other
       :func:`cam_explain` method) map in the outer border band, in each of
       its four strips, in the corner squares and in a central box of the
       same area as the band, against what a uniform map would give.
    2. **Does the decision depend on it?** A deletion test: the change of the
       predicted probability when the border band, the corners or (as a
       control) the central box is blanked: flattened to its own mean grey
       level, which removes markers, edges and texture but keeps the
       region's overall brightness.

    Heat on the border that stays there after the border is blanked (see
    ``heat_share_border_blanked``), with a probability that barely moves, is
    a heatmap artefact (the network's sense of position, e.g. zero padding);
    a probability that moves is a real shortcut.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
        Anything :func:`cam_explain` explains: an skxray classifier, a soft
        ``VotingClassifier`` of them, or a ``Pipeline`` ending in one (its
        earlier steps are applied to ``X`` first, so ``X`` may be file paths
        behind an :class:`ImageDirLoader`). Binary classifiers.
    X : array-like
        Images ``(n, H, W[, C])``, or what the Pipeline's first step takes.
    border : float, default=0.1
        Width of the border band, as a fraction of the image side.
    corner : float, default=0.2
        Side of each corner square, as a fraction of the image side.
    method : {"gradcam", "gradcam++", "cam"}, default="gradcam"
        Heatmap method.
    target : class label or None, default=None
        Class whose heatmap and probability are audited; ``None`` takes the
        positive class (the last of ``classes_``, PNEUMONIA).
    fill : "region_mean", "image_mean" or float, default="region_mean"
        Value written into a blanked region: the mean of that region's own
        pixels (per image), the whole image's mean, or a constant on the
        classifier's input scale (0 mimics zero padding).

    Returns
    -------
    audit : ShortcutAudit
        Per-image shares and probabilities; ``audit.summary()`` gives the
        means and ``print(audit)`` a table.

    See Also
    --------
    cam_explain : the heatmaps.
    region_masks : the regions.

    Examples
    --------
    >>> from skxray import ScratchCNNClassifier, shortcut_audit
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = ScratchCNNClassifier("vanilla", epochs=2, random_state=0)
    >>> audit = shortcut_audit(clf.fit(data.images, data.target), data.images[:8])
    >>> sorted(audit.proba_deleted)
    ['border', 'center', 'corners']
    >>> 0 <= audit.summary()["abs_delta_border"] <= 1
    True
    """
    constraints = {**_CONSTRAINTS, "method": [StrOptions(set(CAM_METHODS))]}
    params = dict(border=border, corner=corner, method=method, fill=fill)
    validate_params(constraints, params, "shortcut_audit")
    final, X = _final_and_inputs(estimator, X)
    masks = region_masks(X.shape[1:3], border=border, corner=corner)
    classes = np.asarray(final.classes_)
    if len(classes) != 2:
        raise ValueError(f"shortcut_audit needs a binary classifier; classes_ = {list(classes)}.")
    target = classes[-1] if target is None else target
    if target not in classes:
        invalid("target", "shortcut_audit", f"one of classes_ {classes.tolist()}", target)
    column = int(np.flatnonzero(classes == target)[0])

    def shares(maps, names):
        total = maps.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                n: np.where(total > 0, (maps * masks[n]).sum(axis=(1, 2)) / total, np.nan)
                for n in names
            }

    heatmaps = cam_explain(final, X, method=method, target=target)
    heat_share = shares(heatmaps, [n for n in masks])
    proba = final.predict_proba(X)[:, column]
    blanked = {name: _blank(X, masks[name], fill) for name in DELETED_REGIONS}
    proba_deleted = {n: final.predict_proba(images)[:, column] for n, images in blanked.items()}
    blanked_maps = cam_explain(final, blanked["border"], method=method, target=target)
    return ShortcutAudit(
        heat_share=heat_share,
        uniform_share={name: float(mask.mean()) for name, mask in masks.items()},
        heat_share_border_blanked=shares(blanked_maps, ["border"])["border"],
        proba=proba,
        proba_deleted=proba_deleted,
        target=target,
        method=method,
        border=float(border),
        corner=float(corner),
        fill=fill,
        heatmaps=heatmaps,
    )
