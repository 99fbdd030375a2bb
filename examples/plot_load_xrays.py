"""
Loading a folder tree of chest X-rays
=====================================

``load_image_folder`` reads a ``root/<class>/<image>`` tree, the layout of the
public chest X-ray dataset, and gives integer labels (1 = PNEUMONIA), class
names and patient groups. ``ImageDirLoader`` turns the paths into an image
array. Here we use the 200 real X-rays bundled with skxray (Kermany et al.
2018, CC BY 4.0).
"""

# %%
# List the images and their labels
# --------------------------------
import matplotlib.pyplot as plt
import numpy as np

from skxray import ImageDirLoader, load_image_folder
from skxray.datasets import get_sample_xrays_path

data = load_image_folder(get_sample_xrays_path())
print(data.target_names, np.bincount(data.target), f"{len(set(data.groups))} patients")

# %%
# Decode a few of each class and look at them
# -------------------------------------------
picks = np.r_[np.flatnonzero(data.target == 0)[:4], np.flatnonzero(data.target == 1)[:4]]
images = ImageDirLoader(image_size=128).fit_transform(data.paths[picks])
fig, axes = plt.subplots(2, 4, figsize=(8, 4.4), layout="constrained")
for ax, image, label in zip(axes.ravel(), images, data.target[picks], strict=True):
    ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
    ax.set_title(data.target_names[label], fontsize=9)
    ax.set_axis_off()
plt.show()
