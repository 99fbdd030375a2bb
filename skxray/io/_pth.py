"""Reading PyTorch's legacy ``.pth`` weights files safely, without torch.

A ``.pth`` file is a pickle, and unpickling runs whatever the file names. This reader
admits only what a saved state dict needs: ``collections.OrderedDict``,
``torch._utils._rebuild_tensor_v2`` and the storage types, each replaced by a harmless
stand-in that records a tensor's shape instead of calling torch. Any other global (``os.system``,
``builtins.eval``...) is refused before it is resolved, so nothing in the file runs.
Every element count, offset and stride is checked against the bytes that are actually in
the file before any array is made.

The legacy (non-zip) format is, in order: a pickled magic number, a pickled protocol
version, pickled system information, the pickled state dict (whose storages are persistent
ids), a pickled list of storage keys, then for each storage its element count (int64,
little-endian) and its raw little-endian data.
"""

import io
import os
import pickle
import struct
from collections import OrderedDict

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_STORAGE_DTYPES = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "<i1",
    "ByteStorage": "<u1",
    "BoolStorage": "?",
}
MAX_DIMENSIONS = 8


class UnsafeWeightsError(ValueError):
    """A weights file asks to run code, or its contents do not add up.

    Examples
    --------
    >>> from skxray.io._pth import UnsafeWeightsError
    >>> issubclass(UnsafeWeightsError, ValueError)
    True
    """


class _StorageType:
    def __init__(self, name):
        self.name, self.dtype = name, np.dtype(_STORAGE_DTYPES[name])


class _Storage:
    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel


class _TensorRef:
    """What ``_rebuild_tensor_v2`` would build: a view into a storage."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, *rest):
    if not isinstance(storage, _Storage):
        raise UnsafeWeightsError("a tensor refers to something other than a storage")
    for name, value in (("size", size), ("stride", stride)):
        if not (
            isinstance(value, tuple)
            and len(value) <= MAX_DIMENSIONS
            and all(isinstance(v, int) and v >= 0 for v in value)
        ):
            raise UnsafeWeightsError(f"a tensor has an invalid {name}: {value!r}")
    if not isinstance(offset, int) or offset < 0 or len(size) != len(stride):
        raise UnsafeWeightsError(f"a tensor has an invalid offset or stride: {offset!r}")
    return _TensorRef(storage, offset, size, stride)


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES},
}


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`_ALLOWED_GLOBALS`, to stand-ins."""

    def __init__(self, file, path, storages=None):
        super().__init__(file)
        self.path, self.storages = path, storages

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafeWeightsError(
                f"{self.path}: refused to load {module}.{name}: a weights file may only "
                "hold tensors, and this one asks to run code"
            ) from None

    def persistent_load(self, pid):
        if self.storages is None:
            raise UnsafeWeightsError(f"{self.path}: unexpected persistent id {pid!r}")
        if not (
            isinstance(pid, tuple)
            and len(pid) == 6
            and pid[0] == "storage"
            and isinstance(pid[1], _StorageType)
            and isinstance(pid[2], str)
            and isinstance(pid[4], int)
            and pid[4] >= 0
            and pid[5] is None  # storage views: only in files older than PyTorch 0.4
        ):
            raise UnsafeWeightsError(f"{self.path}: invalid storage reference {pid!r}")
        _, kind, key, _location, numel, _ = pid
        storage = self.storages.setdefault(key, _Storage(key, kind.dtype, numel))
        if storage.dtype != kind.dtype or storage.numel != numel:
            raise UnsafeWeightsError(f"{self.path}: storage {key} is declared twice, differently")
        return storage


def _load_pickle(handle, path, storages=None):
    try:
        return _RestrictedUnpickler(handle, path, storages).load()
    except UnsafeWeightsError:
        raise
    except Exception as exc:  # a truncated or corrupt pickle raises many types
        raise UnsafeWeightsError(f"{path}: not a PyTorch legacy weights file ({exc})") from exc


def _materialize(ref, arrays, path, name):
    array = arrays[ref.storage.key]
    extent = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride, strict=True)) + 1
    if all(ref.size) and extent > array.size:
        raise UnsafeWeightsError(
            f"{path}: tensor {name} reaches element {extent} of a storage of {array.size}"
        )
    if not all(ref.size):
        return np.zeros(ref.size, array.dtype)
    view = np.lib.stride_tricks.as_strided(
        array[ref.offset :],
        shape=ref.size,
        strides=[s * array.itemsize for s in ref.stride],
        writeable=False,
    )
    return np.array(view, dtype=array.dtype.newbyteorder("="))


def read_state_dict(path):
    """Read the tensors of a legacy PyTorch ``.pth`` state dict, without torch.

    Parameters
    ----------
    path : str or path-like
        A file written by ``torch.save(state_dict, path,
        _use_new_zipfile_serialization=False)``.

    Returns
    -------
    state_dict : dict of str to ndarray
        Every tensor, as a NumPy array in native byte order, in file order.

    Raises
    ------
    UnsafeWeightsError
        If the file names any global other than the state dict's (so it would run code
        when unpickled), or its element counts, offsets or strides do not fit the data
        in the file, or it is not a legacy ``.pth`` file (a zip-format file says so).
        Nothing in the file is run.

    Examples
    --------
    >>> import io, pickle
    >>> from skxray.io._pth import UnsafeWeightsError, read_state_dict
    >>> class Exploit:
    ...     def __reduce__(self):
    ...         return (print, ("this never runs",))
    >>> path = getfixture("tmp_path") / "bad.pth"
    >>> _ = path.write_bytes(pickle.dumps(Exploit()))
    >>> try:
    ...     read_state_dict(path)
    ... except UnsafeWeightsError as exc:
    ...     print(str(exc).split(": ")[1])
    refused to load builtins.print
    """
    path = os.fspath(path)
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:4] == b"PK\x03\x04":
        raise UnsafeWeightsError(
            f"{path}: a zip-format PyTorch file; only the legacy format is read"
        )
    handle = io.BytesIO(data)
    magic = _load_pickle(handle, path)
    if magic != MAGIC_NUMBER:
        raise UnsafeWeightsError(f"{path}: not a PyTorch legacy weights file (magic number)")
    if _load_pickle(handle, path) != PROTOCOL_VERSION:
        raise UnsafeWeightsError(f"{path}: unsupported PyTorch serialization protocol")
    info = _load_pickle(handle, path)
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        raise UnsafeWeightsError(f"{path}: only little-endian files are read")
    storages = {}
    state = _load_pickle(handle, path, storages)
    keys = _load_pickle(handle, path)
    if not (isinstance(state, dict) and all(isinstance(k, str) for k in state)):
        raise UnsafeWeightsError(f"{path}: does not hold a state dict of named tensors")
    if not isinstance(keys, list) or sorted(keys) != sorted(storages):
        raise UnsafeWeightsError(f"{path}: its storage list does not match its tensors")
    arrays = {}
    for key in keys:
        storage = storages[key]
        start = handle.tell()
        if start + 8 > len(data):
            raise UnsafeWeightsError(f"{path}: truncated before storage {key}")
        (numel,) = struct.unpack("<q", data[start : start + 8])
        nbytes = numel * storage.dtype.itemsize
        if numel != storage.numel or start + 8 + nbytes > len(data):
            raise UnsafeWeightsError(
                f"{path}: storage {key} holds {numel} elements where {storage.numel} were "
                f"declared, or runs past the end of the file"
            )
        arrays[key] = np.frombuffer(data, storage.dtype, numel, start + 8)
        handle.seek(start + 8 + nbytes)
    out = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            raise UnsafeWeightsError(f"{path}: entry {name} is not a tensor")
        out[name] = _materialize(ref, arrays, path, name)
    return out
