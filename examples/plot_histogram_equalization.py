"""
Exposure shifts and HistogramEqualizer
======================================

X-ray machines differ in exposure, contrast and gamma. A classifier trained on
one hospital's images can read such differences as disease: in skxray's
shift study (``benchmarks/studies/recipe_shift.py``), an Inception bottleneck model
called most *normal* validation images pneumonia once they were made darker
and flatter or brighter.

Global histogram equalisation depends only on the order of the grey levels,
so any increasing intensity change gives (nearly) the same image back. That
is why :func:`skxray.recommended_classifier` starts with a
:class:`skxray.HistogramEqualizer`. It does not undo blur or noise.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skxray import HistogramEqualizer
from skxray.datasets import load_sample_xrays

image = load_sample_xrays(image_size=128).images[10:11]  # a NORMAL image, (1, 128, 128, 1)
shifts = {
    "as scanned": image,
    "darker, low contrast": 0.1 + 0.6 * image**1.4,
    "brighter (gamma 0.6)": image**0.6,
}
equalizer = HistogramEqualizer()
fig, axes = plt.subplots(2, 3, figsize=(9, 6.4), layout="constrained")
for col, (name, shifted) in enumerate(shifts.items()):
    axes[0, col].imshow(shifted[0, ..., 0], cmap="gray", vmin=0, vmax=1)
    axes[0, col].set_title(name, fontsize=9)
    axes[1, col].imshow(equalizer.transform(shifted)[0, ..., 0], cmap="gray", vmin=0, vmax=1)
    axes[1, col].set_title("equalised", fontsize=9)
for ax in axes.flat:
    ax.set_axis_off()
plt.show()

# %%
# The equalised images differ only by rounding to 8-bit grey levels: the
# darker, flatter scan kept fewer distinct levels, which no equalisation can
# restore.
reference = equalizer.transform(image)
for name, shifted in shifts.items():
    before = np.abs(shifted - image).mean()
    after = np.abs(equalizer.transform(shifted) - reference).mean()
    print(f"{name:>22}: mean change {before:.3f} before, {after:.3f} after equalising")

# %%
# CLAHE (``HistogramEqualizer("clahe")``) equalises tiles of the image instead;
# it is common in chest X-ray work but only partly invariant to such shifts.
