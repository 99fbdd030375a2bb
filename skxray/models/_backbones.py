"""The Keras applications a transfer classifier can stand on, and how each is fed and split.

One entry per backbone: the ``keras.applications`` constructor, its module (whose
``preprocess_input`` matches its ImageNet weights), its default and smallest input sizes, the
name of its ImageNet weights file, and a pattern that names the end of each of its blocks
(fine-tuning unfreezes the top blocks). :class:`BackbonePreprocessing` applies
``preprocess_input`` inside the network, so that saved models carry it.
"""

import re
from dataclasses import dataclass

import keras

from ._weights import WeightsNotAvailableError


@dataclass(frozen=True)
class Backbone:
    """How skxray builds, feeds and splits one ``keras.applications`` model."""

    constructor: str  # the keras.applications function
    module: str  # the keras.applications module holding its preprocess_input
    default_size: int
    min_size: int
    weights_file: str  # what Keras caches in ~/.keras/models for weights="imagenet"
    block_end: str  # regex; its "block" group names a block, the last match ends it

    def build(self, **kwargs):
        return getattr(keras.applications, self.constructor)(include_top=False, **kwargs)

    def preprocess(self, x):
        """``preprocess_input`` of images in [0, 1] (it expects 0-255 RGB)."""
        module = getattr(keras.applications, self.module)
        return module.preprocess_input(x * 255.0)

    def block_ends(self, layers):
        """Indices in ``layers`` of the last layer of each block, in order."""
        pattern = re.compile(self.block_end)
        ends = {}
        for i, layer in enumerate(layers):
            match = pattern.match(layer.name)
            if match:
                ends[match.group("block")] = i
        return sorted(ends.values())


BACKBONES = {
    "inception_v3": Backbone(
        "InceptionV3", "inception_v3", 299, 75,
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", r"^(?P<block>mixed\d+)$",
    ),
    "densenet121": Backbone(
        "DenseNet121", "densenet", 224, 32,
        "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        r"^(?P<block>conv\d_block\d+)_concat$",
    ),
    "resnet50": Backbone(
        "ResNet50", "resnet", 224, 32,
        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        r"^(?P<block>conv\d_block\d+)_out$",
    ),
    "efficientnet_b0": Backbone(
        "EfficientNetB0", "efficientnet", 224, 32, "efficientnetb0_notop.h5",
        r"^(?P<block>block\d[a-z])_(project_bn|add)$",
    ),
    "mobilenet_v3_small": Backbone(
        "MobileNetV3Small", "mobilenet_v3", 224, 32,
        "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        r"^(?P<block>expanded_conv(_\d+)?)_(project_bn|add)$",
    ),
}  # fmt: skip
"""The backbones of :class:`TransferClassifier`, by name."""


@keras.saving.register_keras_serializable(package="skxray")
class BackbonePreprocessing(keras.layers.Layer):
    """A backbone's ``preprocess_input`` as a layer, for images in [0, 1].

    Parameters
    ----------
    backbone : str
        A key of :data:`BACKBONES`.
    **kwargs : dict
        Passed to ``keras.layers.Layer``.
    """

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone

    def call(self, x):
        return BACKBONES[self.backbone].preprocess(x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "backbone": self.backbone}


def load_backbone_weights(base, name, source, size):
    """Copy the weights of ``name`` built with ``source`` (a path or ``"imagenet"``) into
    ``base``, layer by layer (``base`` is built flat, on skxray's input tensor)."""
    spec = BACKBONES[name]
    try:
        donor = spec.build(weights=source, input_shape=(size, size, 3))
    except Exception as exc:
        if source == "imagenet":
            raise WeightsNotAvailableError(
                f"Could not get the ImageNet weights of {spec.constructor} ({exc}). Keras "
                f"caches them as ~/.keras/models/{spec.weights_file} (or under KERAS_HOME): "
                "put that file there from a machine with internet access, or pass "
                "weights=<path to a weights file>; weights=None trains from random weights."
            ) from exc
        raise ValueError(
            f"Weights file {source!r} does not fit {spec.constructor}(include_top=False): {exc}"
        ) from exc
    src = [layer for layer in donor.layers if layer.weights]
    dst = [layer for layer in base.layers if layer.weights]
    if len(src) != len(dst):
        raise ValueError(f"Weights file {source!r} does not fit {spec.constructor}.")
    for a, b in zip(src, dst, strict=True):
        b.set_weights(a.get_weights())
