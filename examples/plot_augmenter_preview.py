"""
Previewing XrayAugmenter
========================

``XrayAugmenter`` holds the report's ``ImageDataGenerator`` options (rotation,
shifts, shear, zoom, flip, fill mode) plus brightness and contrast. Inside an
estimator it acts on training batches only; ``augment`` shows what it does.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skxray import XrayAugmenter
from skxray.datasets import load_sample_xrays

image = load_sample_xrays(image_size=128).images[150]
batch = np.repeat(image[None], 7, axis=0)
settings = {"skxray default": XrayAugmenter(), "the report's": XrayAugmenter.from_report()}
fig, axes = plt.subplots(2, 8, figsize=(12, 3.4), layout="constrained")
for row, (name, augmenter) in zip(axes, settings.items(), strict=True):
    row[0].imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
    row[0].set_title("original", fontsize=8)
    for ax, out in zip(row[1:], augmenter.augment(batch, random_state=0), strict=True):
        ax.imshow(out[..., 0], cmap="gray", vmin=0, vmax=1)
    row[1].set_title(name, fontsize=8, loc="left")
    for ax in row:
        ax.set_axis_off()
plt.show()

# %%
# Horizontal flips are off by default: they put the heart on the wrong side.
