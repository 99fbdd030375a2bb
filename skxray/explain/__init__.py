"""Where a network looked: CAM, Grad-CAM and Grad-CAM++ heatmaps, their displays, and the
shortcut audit's deletion test."""

from ._audit import ShortcutAudit, region_masks, shortcut_audit
from ._cam import cam_explain
from ._plot import HeatmapDisplay, overlay_heatmap, plot_heatmaps

__all__ = [
    "HeatmapDisplay",
    "ShortcutAudit",
    "cam_explain",
    "overlay_heatmap",
    "plot_heatmaps",
    "region_masks",
    "shortcut_audit",
]
