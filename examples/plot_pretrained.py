"""
The shipped model: a probability and a heatmap, with no training
================================================================

skxray ships a recommended recipe fitted on the 5216 images of the public train split
(Kermany et al. 2018, CC BY 4.0). :func:`~skxray.load_pretrained` reads it offline, and
it predicts on the first line. The bundled sample X-rays used here are themselves
train-split images, so the model has seen them: this shows how to use it, not how well it
generalises (see the "Pretrained models" page for scores on images it never saw).
"""

# %%
# Three lines from import to a probability and a heatmap
# ------------------------------------------------------
from skxray import cam_explain, check_inputs, load_pretrained, plot_heatmaps
from skxray.datasets import load_sample_xrays

model = load_pretrained()  # "pneumonia": NORMAL vs PNEUMONIA
paths = load_sample_xrays(load_images=False).paths[[0, 1, -2, -1]]
proba = model.predict_proba(paths)[:, 1]
print([f"{p:.2f}" for p in proba])

# %%
# The heatmaps say where the network looked for pneumonia (Grad-CAM on the last
# convolution). They take the same inputs as ``predict``: here, file paths.
heatmaps = cam_explain(model, paths)
print(heatmaps.shape)
display = plot_heatmaps(model, paths, target_names=["NORMAL", "PNEUMONIA"])

# %%
# Is the input a chest X-ray the model can judge?
# -----------------------------------------------
# :func:`~skxray.check_inputs` flags pictures that are not: too small, colour, blank, or
# whose features lie far from those of the training images. A clear image can still be
# misclassified.
import os
import tempfile

import numpy as np
from PIL import Image

rng = np.random.default_rng(0)
noise_path = os.path.join(tempfile.mkdtemp(), "noise.png")
Image.fromarray((rng.random((224, 224)) * 255).astype("uint8")).save(noise_path)
check = check_inputs(model, [*paths[:2], noise_path])
for path, reason in zip([*paths[:2], noise_path], check.reasons, strict=True):
    print(path.rsplit("/", 1)[-1], "->", reason or "looks like a training X-ray")
