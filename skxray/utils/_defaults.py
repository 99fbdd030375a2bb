"""Image-size defaults, in one place (pixels per side)."""

LOADER_IMAGE_SIZE = 128
"""``ImageDirLoader`` and the bundled sample: the size of the default recipe."""
FOLDER_IMAGE_SIZE = 224
"""``load_image_folder``: the size of the stored copy of the Kermany et al. data."""
INCEPTION_INPUT_SIZE = 299
"""Inception-V3's native input size."""
SYNTHETIC_IMAGE_SIZE = 64
"""``make_synthetic_xrays``."""
