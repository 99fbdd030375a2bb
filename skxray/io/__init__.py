"""Reading X-rays: decoding (JPEG, PNG, BMP, TIFF, DICOM), folder trees and their labels, streams.

Nothing here imports Keras or TensorFlow.
"""

from ._decode import decode_image
from ._files import IMAGE_EXTENSIONS, ImageLoadError
from ._folders import ImageDirLoader, load_image_folder
from ._labels import patient_id, pneumonia_subtype
from ._stream import ImageStream

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageDirLoader",
    "ImageLoadError",
    "ImageStream",
    "decode_image",
    "load_image_folder",
    "patient_id",
    "pneumonia_subtype",
]
