"""Image decoding, folder loading and their bad-input policy."""

import os
import shutil
import warnings

import numpy as np
import pytest
from PIL import Image
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

import skxray.io._decode
from skxray import ImageDirLoader, ImageLoadError, decode_image, load_image_folder, patient_id
from skxray.datasets import load_chest_xray, load_sample_xrays, make_synthetic_xrays
from skxray.io._files import display_path
from skxray.utils._defaults import FOLDER_IMAGE_SIZE, LOADER_IMAGE_SIZE, SYNTHETIC_IMAGE_SIZE
from skxray.utils._param_validation import InvalidParameterError


def _gradient(width=40, height=30):
    """Dark left half, bright right half, as uint8."""
    array = np.zeros((height, width), np.uint8)
    array[:, width // 2 :] = 200
    return array


def _check_left_dark(image):
    assert image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    half = image.shape[1] // 2
    assert image[:, : half - 2].mean() < 0.1
    assert image[:, half + 2 :].mean() > 0.6


@pytest.mark.parametrize(
    ("ext", "mode"),
    [
        (".jpeg", "L"),
        (".jpg", "RGB"),
        (".jpeg", "CMYK"),
        (".png", "L"),
        (".png", "RGB"),
        (".png", "RGBA"),
        (".png", "P"),
        (".png", "LA"),
        (".png", "I;16"),
        (".bmp", "L"),
        (".bmp", "RGB"),
        (".tif", "L"),
        (".tiff", "I;16"),
        (".tiff", "RGB"),
        (".png", "1"),
    ],
)
@pytest.mark.parametrize("color_mode", ["grayscale", "rgb"])
def test_decode_formats_and_modes(tmp_path, ext, mode, color_mode):
    base = Image.fromarray(_gradient())
    if mode == "I;16":
        image = Image.fromarray(np.asarray(base).astype(np.uint16) * 257)
    elif mode == "CMYK":
        image = base.convert("RGB").convert("CMYK")
    else:
        image = base.convert(mode)
    path = tmp_path / f"img{ext}"
    image.save(path)
    out = decode_image(path, color_mode=color_mode)
    assert out.shape == (30, 40, 1 if color_mode == "grayscale" else 3)
    _check_left_dark(out)


def test_decode_16_bit_keeps_precision(tmp_path):
    array = np.array([[0, 1000, 65535]], dtype=np.uint16)
    Image.fromarray(array).save(tmp_path / "deep.png")
    out = decode_image(tmp_path / "deep.png")[..., 0]
    np.testing.assert_allclose(out, array / 65535, atol=1e-6)
    assert out[0, 1] != out[0, 0]  # 1000/65535 would vanish at 8 bits


def test_exif_orientation_is_applied(tmp_path):
    image = Image.fromarray(_gradient(width=40, height=30))  # bright right half
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display = rotate 90 degrees clockwise
    image.save(tmp_path / "rotated.jpeg", exif=exif)
    out = decode_image(tmp_path / "rotated.jpeg")
    assert out.shape == (40, 30, 1)
    assert out[-5:].mean() > 0.6 and out[:5].mean() < 0.1  # bright half now at the bottom


@pytest.mark.parametrize("resize", ["stretch", "pad"])
def test_resize_modes(tmp_path, resize):
    Image.fromarray(np.full((20, 60), 255, np.uint8)).save(tmp_path / "wide.png")
    out = decode_image(tmp_path / "wide.png", 30, resize=resize)[..., 0]
    assert out.shape == (30, 30)
    if resize == "stretch":
        assert out.min() == pytest.approx(1.0)
    else:  # 60x20 scaled to 30x10, centred, black above and below
        assert out[:9].max() == 0 and out[-9:].max() == 0
        assert out[11:19].min() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def large_jpeg(tmp_path_factory):
    """A 1600 x 1280 X-ray-like JPEG with fine detail (a real image, enlarged, plus grain)."""
    path = tmp_path_factory.mktemp("large") / "large.jpeg"
    small = Image.open(load_sample_xrays(load_images=False).paths[0]).convert("L")
    big = np.asarray(small.resize((1600, 1280), Image.BICUBIC), np.float32)
    big += np.random.default_rng(0).normal(0, 12, big.shape)  # detail a reduced decode loses
    Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)).save(path, quality=92)
    return path


@pytest.mark.parametrize("size, factor", [(100, 8), (128, 4), (224, 2), (600, 1)])
@pytest.mark.parametrize("color_mode", ["grayscale", "rgb"])
def test_large_jpeg_decoded_at_reduced_scale_within_bound(
    large_jpeg, monkeypatch, size, factor, color_mode
):
    # 1600 x 1280 to 100: 1/8 keeps 200 x 160 >= 1.5 x 100; to 128, 160 < 192 so 1/4.
    assert skxray.io._decode._jpeg_reduction(1600, 1280, (size, size)) == factor
    flags = []
    imdecode = skxray.io._decode.cv2.imdecode

    def spy(buffer, flag):
        flags.append(flag)
        return imdecode(buffer, flag)

    monkeypatch.setattr(skxray.io._decode.cv2, "imdecode", spy)
    reduced = decode_image(large_jpeg, size, color_mode=color_mode)
    monkeypatch.setattr(skxray.io._decode, "REDUCED_DECODING_MARGIN", np.inf)
    full = decode_image(large_jpeg, size, color_mode=color_mode)
    expected = {1: 0, 2: 16, 4: 32, 8: 64}[factor]  # OpenCV's IMREAD_REDUCED_* bits
    assert flags[0] & 0b1110000 == expected and flags[1] & 0b1110000 == 0
    assert reduced.shape == full.shape == (size, size, 3 if color_mode == "rgb" else 1)
    # The bound stated in REDUCED_DECODING_MARGIN's docs: mean absolute difference <= 0.015.
    assert np.abs(reduced - full).mean() <= 0.015
    assert decode_image(large_jpeg).shape == (1280, 1600, 1)  # no size: full decoding


def test_decode_rejects_bad_parameters(tmp_path):
    with pytest.raises(InvalidParameterError, match="'color_mode' parameter of decode_image"):
        decode_image(tmp_path / "x.png", color_mode="cmyk")
    with pytest.raises(ValueError, match="'image_size' parameter of decode_image"):
        decode_image(tmp_path / "x.png", image_size=(0, 3))
    for name, value in [("resize", "crop"), ("interpolation", "cubic")]:
        with pytest.raises(TypeError, match=f"'{name}' parameter of decode_image.*Got '{value}'"):
            decode_image(tmp_path / "x.png", **{name: value})


@pytest.mark.parametrize(
    "image_size", [0, -3, True, 12.0, (12,), (12, 0), (12, 20, 3), (12.0, 20), "12", None]
)
def test_image_size_is_an_int_or_a_height_width_pair(tmp_path, image_size):
    Image.fromarray(_gradient()).save(tmp_path / "x.png")
    with pytest.raises(InvalidParameterError, match="'image_size' parameter of ImageDirLoader"):
        ImageDirLoader(image_size).fit_transform([tmp_path / "x.png"])
    if image_size is not None:  # None keeps the file's size
        with pytest.raises(InvalidParameterError, match="'image_size' parameter of decode_image"):
            decode_image(tmp_path / "x.png", image_size)


@pytest.mark.parametrize("image_size", [12, np.int64(12), (12, 20), [12, 20]])
def test_image_size_accepted_forms(tmp_path, image_size):
    Image.fromarray(_gradient()).save(tmp_path / "x.png")
    expected = (12, 12) if np.ndim(image_size) == 0 else (12, 20)
    assert decode_image(tmp_path / "x.png", image_size).shape == (*expected, 1)
    out = ImageDirLoader(image_size).fit_transform([tmp_path / "x.png"])
    assert out.shape == (1, *expected, 1)


def test_loaders_check_their_parameters_once_a_call_not_per_image(tmp_path, monkeypatch):
    checks = []
    validate = skxray.io._decode.validate_params

    def spy(constraints, params, caller):
        checks.append(caller)
        return validate(constraints, params, caller)

    monkeypatch.setattr(skxray.io._decode, "validate_params", spy)
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(5):
            Image.fromarray(_gradient()).save(tmp_path / label / f"{i}.png")
    data = load_image_folder(tmp_path, load_images=True, image_size=8)
    assert data.images.shape == (10, 8, 8, 1)
    assert ImageDirLoader(8).fit_transform(data.paths).shape == (10, 8, 8, 1)
    assert checks == []  # the loaders checked theirs once; no image checked them again
    decode_image(data.paths[0], 8)
    assert checks == ["decode_image"]


def test_decode_many_returns_its_problems(tmp_path):
    from skxray.io._folders import _decode_many

    Image.fromarray(_gradient()).save(tmp_path / "good.png")
    (tmp_path / "bad.png").write_text("not an image")
    paths = np.asarray([str(tmp_path / "bad.png"), str(tmp_path / "good.png")])
    with pytest.raises(TypeError):  # keyword-only after the paths
        _decode_many(paths, (8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images, ok, problems = _decode_many(paths, size=(8, 8), on_error="collect")
    assert images.shape == (2, 8, 8, 1) and ok.tolist() == [False, True]
    assert len(problems) == 1 and "bad.png" in problems[0]
    with pytest.warns(UserWarning, match="Skipping .*bad.png"):
        assert _decode_many(paths, size=(8, 8), on_error="skip")[2] == problems
    with pytest.raises(ImageLoadError, match="bad.png"):
        _decode_many(paths, size=(8, 8))


# --------------------------------------------------------------- bad files
def _bad_files(tmp_path):
    good = tmp_path / "good.jpeg"
    Image.fromarray(_gradient()).save(good, quality=95)
    data = good.read_bytes()
    files = {
        "empty": (tmp_path / "empty.jpeg", b"", "empty"),
        "corrupt": (tmp_path / "corrupt.jpeg", b"\xff\xd8\xff" + os.urandom(200), "corrupt"),
        "truncated": (tmp_path / "truncated.jpeg", data[: len(data) // 2], "truncated"),
        "not_image": (
            tmp_path / "notes.png",
            b"just some text, not pixels\n" * 5,
            "not a recognised image",
        ),
    }
    for path, content, _ in files.values():
        path.write_bytes(content)
    return files


@pytest.mark.parametrize("kind", ["empty", "corrupt", "truncated", "not_image"])
def test_decode_bad_file_names_file_and_problem(tmp_path, kind):
    path, _, problem = _bad_files(tmp_path)[kind]
    with pytest.raises(ImageLoadError, match=problem) as info:
        decode_image(path)
    assert str(path) in str(info.value)


def test_decode_missing_and_unreadable(tmp_path, monkeypatch):
    with pytest.raises(ImageLoadError, match="cannot read file") as info:
        decode_image(tmp_path / "missing.png")
    assert "missing.png" in str(info.value)

    def deny(path, mode="r"):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(skxray.io._decode, "open", deny, raising=False)
    with pytest.raises(ImageLoadError, match="Permission denied"):
        decode_image(tmp_path / "locked.png")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_in_folder(tmp_path):
    path = tmp_path / "locked.png"
    Image.fromarray(_gradient()).save(path)
    path.chmod(0)
    with pytest.raises(ImageLoadError, match="Permission denied"):
        decode_image(path)


def test_decompression_bomb(tmp_path, monkeypatch):
    Image.fromarray(_gradient()).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(ImageLoadError, match="decompression bomb") as info:
            decode_image(tmp_path / "big.png")
    assert "big.png" in str(info.value)


# ------------------------------------------------------------ folder trees
def _tree(root, n=(3, 4), classes=("NORMAL", "PNEUMONIA")):
    for cls, count in zip(classes, n, strict=True):
        (root / cls).mkdir(parents=True)
        for i in range(count):
            name = f"IM-{i:04d}-0001.jpeg" if cls == "NORMAL" else f"person{i}_virus_{i}.jpeg"
            Image.fromarray(_gradient()).save(root / cls / name)
    return root


def test_load_image_folder_labels_and_groups(tmp_path):
    data = load_image_folder(_tree(tmp_path))
    assert data.target_names == ["NORMAL", "PNEUMONIA"]
    assert data.target.tolist() == [0] * 3 + [1] * 4
    assert data.groups[0] == "IM-0000" and data.groups[-1] == "person3"
    assert data.skipped == []
    assert "images" not in data


def test_pneumonia_is_positive_even_when_sorted_first(tmp_path):
    data = load_image_folder(_tree(tmp_path, classes=("ZNORMAL", "PNEUMONIA")))
    assert data.target_names == ["ZNORMAL", "PNEUMONIA"]
    in_pneumonia = np.array([f"{os.sep}PNEUMONIA{os.sep}" in p for p in data.paths])
    assert (data.target == in_pneumonia).all() and in_pneumonia.sum() == 4


def test_load_images_and_check_images(tmp_path):
    data = load_image_folder(_tree(tmp_path), load_images=True, image_size=16, n_jobs=2)
    assert data.images.shape == (7, 16, 16, 1)


@pytest.mark.parametrize("kind", ["empty", "corrupt", "truncated", "not_image"])
def test_bad_file_in_tree_raise_or_skip(tmp_path, kind):
    root = _tree(tmp_path / "root")
    path, content, problem = _bad_files(tmp_path)[kind]
    target = root / "PNEUMONIA" / path.name
    target.write_bytes(content)
    with pytest.raises(ImageLoadError, match=problem):
        load_image_folder(root, check_images=True)
    with pytest.warns(UserWarning, match="Skipping"):
        data = load_image_folder(root, check_images=True, on_error="skip")
    assert len(data.paths) == 7 and str(target) not in data.paths
    assert len(data.skipped) == 1 and str(target) in data.skipped[0]


def test_unknown_extension_and_folder_entries(tmp_path):
    root = _tree(tmp_path)
    (root / "NORMAL" / "readme.txt").write_text("hello")
    with pytest.raises(ImageLoadError, match="readme.txt: unknown extension"):
        load_image_folder(root)
    with pytest.warns(UserWarning):
        data = load_image_folder(root, on_error="skip")
    assert len(data.paths) == 7 and any("readme.txt" in s for s in data.skipped)
    # sub-folders of a class folder are searched: their images belong to that class
    nested = root / "NORMAL" / "2019" / "march"
    nested.mkdir(parents=True)
    shutil.copy(data.paths[0], nested / "late.jpeg")
    (nested / "notes.csv").write_text("a,b\n")
    with pytest.warns(UserWarning, match="notes.csv: unknown extension"):
        data = load_image_folder(root, on_error="skip")
    assert str(nested / "late.jpeg") in data.paths and len(data.paths) == 8
    assert data.target[list(data.paths).index(str(nested / "late.jpeg"))] == 0
    # a link to a folder is reported, not followed (no loop)
    (nested / "notes.csv").unlink()
    (root / "NORMAL" / "readme.txt").unlink()
    os.symlink(root / "NORMAL", root / "NORMAL" / "again")
    with pytest.raises(ImageLoadError, match="again: a link to a folder"):
        load_image_folder(root)


def test_the_cli_and_the_api_find_the_same_files(tmp_path):
    from skxray.cli._inputs_outputs import image_files

    root = _tree(tmp_path)
    nested = root / "PNEUMONIA" / "more"
    nested.mkdir()
    shutil.copy(next((root / "PNEUMONIA").glob("*.jpeg")), nested / "x.jpeg")
    (nested / "readme.txt").write_text("hi")
    problems = []
    from_cli = image_files([root / "NORMAL", root / "PNEUMONIA"], problems)
    with pytest.warns(UserWarning, match="readme.txt"):
        from_api = load_image_folder(root, on_error="skip")
    assert sorted(from_cli) == sorted(from_api.paths)
    assert len(problems) == 1 and "readme.txt" in problems[0]


def test_symlink_loop(tmp_path):
    root = _tree(tmp_path)
    os.symlink(root / "NORMAL" / "b.jpeg", root / "NORMAL" / "a.jpeg")
    os.symlink(root / "NORMAL" / "a.jpeg", root / "NORMAL" / "b.jpeg")
    with pytest.raises(ImageLoadError, match="a.jpeg: broken or looping symbolic link"):
        load_image_folder(root)
    with pytest.warns(UserWarning):
        data = load_image_folder(root, on_error="skip")
    assert len(data.skipped) == 2 and len(data.paths) == 7


def test_tree_level_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image_folder(tmp_path / "nowhere")
    _tree(tmp_path / "one", n=(2,), classes=("NORMAL",))
    with pytest.raises(ValueError, match="holds 1 class folder"):
        load_image_folder(tmp_path / "one")
    root = _tree(tmp_path / "empty_class")
    (root / "VIRUS").mkdir()
    with pytest.raises(ValueError, match="VIRUS' contains no usable image files"):
        load_image_folder(root)
    with pytest.raises(ValueError, match="not found"):
        load_image_folder(root, classes=["NORMAL", "COVID"])
    with pytest.raises(InvalidParameterError, match="'on_error' parameter of load_image_folder"):
        load_image_folder(root, on_error="ignore")


def test_folder_image_parameters_are_checked_only_when_decoding(tmp_path):
    root = _tree(tmp_path)
    # Not used without decoding, hence not checked (as always).
    assert len(load_image_folder(root, image_size=0, color_mode="cmyk").paths) == 7
    for flag in ("load_images", "check_images"):
        with pytest.raises(InvalidParameterError, match="'image_size' parameter of load_image"):
            load_image_folder(root, image_size=0, **{flag: True})
        with pytest.raises(InvalidParameterError, match="'color_mode' parameter of load_image"):
            load_image_folder(root, color_mode="cmyk", **{flag: True})


def test_patient_id():
    assert patient_id("/a/person1946_bacteria_4874.jpeg") == "person1946"
    assert patient_id("IM-0115-0001.jpeg") == patient_id("NORMAL2-IM-0115-0001.jpeg") == "IM-0115"
    assert patient_id("IM-0429-0001-0002.jpeg") == "IM-0429"
    assert patient_id("scan.png") == "scan"


# ------------------------------------------------------------ the transformer
def test_image_dir_loader_dtypes_and_errors(tmp_path):
    data = load_image_folder(_tree(tmp_path))
    as_float = ImageDirLoader(image_size=(12, 20)).fit_transform(data.paths)
    as_uint8 = ImageDirLoader(image_size=(12, 20), dtype="uint8").fit_transform(data.paths)
    assert as_float.shape == as_uint8.shape == (7, 12, 20, 1)
    assert as_uint8.dtype == np.uint8 and as_uint8.nbytes * 4 == as_float.nbytes
    np.testing.assert_allclose(as_uint8 / 255.0, as_float, atol=1 / 255)
    rgb = ImageDirLoader(image_size=8, color_mode="rgb").fit_transform(list(data.paths))
    assert rgb.shape == (7, 8, 8, 3)
    with pytest.raises(ImageLoadError, match="missing.png"):
        ImageDirLoader().fit_transform([str(tmp_path / "missing.png")])
    with pytest.raises(TypeError, match="not a single path"):
        ImageDirLoader().fit(str(data.paths[0]))
    with pytest.raises(ValueError, match="X is empty"):
        ImageDirLoader().fit([])
    with pytest.raises(
        InvalidParameterError, match="'dtype' parameter of ImageDirLoader.*'float64'"
    ):
        ImageDirLoader(dtype="float64").fit(data.paths)
    for dtype in ("u1", np.uint8, np.dtype("uint8")):  # any dtype-like naming uint8
        assert ImageDirLoader(8, dtype=dtype).fit_transform(data.paths).dtype == np.uint8
    for dtype in (None, "garbage", np.float64):
        with pytest.raises(InvalidParameterError, match="'dtype' parameter of ImageDirLoader"):
            ImageDirLoader(dtype=dtype).fit(data.paths)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"color_mode": "cmyk"}, "color_mode"),
        ({"resize": "crop"}, "resize"),
        ({"interpolation": "cubic"}, "interpolation"),
        ({"image_size": (8, 0)}, "image_size"),
    ],
)
def test_image_dir_loader_checks_parameters_at_fit_and_transform(tmp_path, params, name):
    paths = load_image_folder(_tree(tmp_path)).paths
    for method in ("fit", "transform", "fit_transform"):
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of ImageDirLoader"):
            getattr(ImageDirLoader(**params), method)(paths)


def test_image_dir_loader_parallel_matches_serial(tmp_path):
    root = _tree(tmp_path, n=(40, 40))
    paths = load_image_folder(root).paths
    serial = ImageDirLoader(image_size=16).transform(paths)
    parallel = ImageDirLoader(image_size=16, n_jobs=2).transform(paths)
    np.testing.assert_array_equal(serial, parallel)


def test_image_dir_loader_is_tunable_in_a_pipeline(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer

    data = load_image_folder(_tree(tmp_path, n=(6, 6)))
    pipe = Pipeline(
        [
            ("load", ImageDirLoader()),
            ("flat", FunctionTransformer(lambda X: X.reshape(len(X), -1))),
            ("clf", LogisticRegression()),
        ]
    )
    search = GridSearchCV(pipe, {"load__image_size": [8, 12]}, cv=2, error_score="raise")
    search.fit(data.paths, data.target)
    assert search.best_params_["load__image_size"] in (8, 12)


def test_real_full_resolution_val(shared_data):  # marked shared_data (tests/conftest.py)
    root = shared_data / "chest_xray_fullres_val"
    data = load_image_folder(root, load_images=True, image_size=128)
    assert data.images.shape == (16, 128, 128, 1)
    sizes = {Image.open(p).size for p in data.paths}
    assert max(w for w, _ in sizes) > 1000 and len(sizes) > 1
    padded = ImageDirLoader(image_size=128, resize="pad").transform(data.paths)
    # Landscape originals padded to a square leave black bands above and below.
    assert (padded[:, :5].max(axis=(1, 2, 3)) == 0).sum() >= 8
    assert data.images.std() > 0.1


# ----------------------------------------------------------------- datasets
def test_default_image_sizes_come_from_one_place():
    import inspect

    defaults = {
        ImageDirLoader: LOADER_IMAGE_SIZE,
        load_sample_xrays: LOADER_IMAGE_SIZE,
        load_image_folder: FOLDER_IMAGE_SIZE,
        make_synthetic_xrays: SYNTHETIC_IMAGE_SIZE,
    }
    for function, size in defaults.items():
        assert inspect.signature(function).parameters["image_size"].default == size
    assert (LOADER_IMAGE_SIZE, FOLDER_IMAGE_SIZE, SYNTHETIC_IMAGE_SIZE) == (128, 224, 64)


def test_sample_xrays_parameters():
    assert load_sample_xrays(image_size=(16, 24)).images.shape == (200, 16, 24, 1)
    # Not used without images, hence not checked (as always).
    assert load_sample_xrays(load_images=False, image_size=0).paths.shape == (200,)
    with pytest.raises(InvalidParameterError, match="'image_size' parameter of load_sample_x"):
        load_sample_xrays(image_size=0)
    with pytest.raises(InvalidParameterError, match="'color_mode' parameter of load_sample_x"):
        load_sample_xrays(color_mode="cmyk")


def test_chest_xray_split_is_checked(tmp_path):
    with pytest.raises(InvalidParameterError, match="'split' parameter of load_chest_xray"):
        load_chest_xray(tmp_path, split="validation")


def test_synthetic_xrays_any_height_and_width():
    square = make_synthetic_xrays(6, 32, random_state=0)
    pair = make_synthetic_xrays(6, (32, 32), random_state=0)
    for key in ("images", "masks", "target"):
        np.testing.assert_array_equal(square[key], pair[key])
    wide = make_synthetic_xrays(8, (32, 64), random_state=0, noise=0.0)
    assert wide.images.shape == (8, 32, 64, 1) and wide.masks.shape == (8, 32, 64)
    assert 0 <= wide.images.min() and wide.images.max() <= 1
    for mask in wide.masks[wide.target == 1]:  # the opacities stretch with the width
        rows, cols = np.nonzero(mask)
        assert np.ptp(cols) > 1.5 * np.ptp(rows)
    # The lung fields stretch too: the darkest columns sit at the same relative place.
    profile_wide = wide.images[wide.target == 0, ..., 0].mean(axis=(0, 1))
    narrow = make_synthetic_xrays(8, 32, random_state=0, noise=0.0)
    profile_narrow = narrow.images[narrow.target == 0, ..., 0].mean(axis=(0, 1))
    assert abs(np.argmin(profile_wide) / 64 - np.argmin(profile_narrow) / 32) < 0.1


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": True}, "n_samples"),
        ({"n_samples": 2.0}, "n_samples"),
        ({"image_size": 15}, "image_size"),
        ({"image_size": (32, 15)}, "image_size"),
        ({"image_size": 20.0}, "image_size"),
        ({"positive_fraction": 1.5}, "positive_fraction"),
        ({"positive_fraction": float("nan")}, "positive_fraction"),
        ({"positive_fraction": "half"}, "positive_fraction"),
    ],
)
def test_synthetic_xrays_bad_parameters(params, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of make_synthetic_xrays"):
        make_synthetic_xrays(**{"n_samples": 2, **params})


def test_loader_reports_decoding_progress(capsys):
    from skxray.datasets import get_sample_xrays_path

    paths = load_image_folder(get_sample_xrays_path()).paths[:5]
    ImageDirLoader(16, verbose=1).transform(paths)
    assert capsys.readouterr().out.startswith("decoding images: 5/5 in ")
    ImageDirLoader(16).transform(paths)
    assert capsys.readouterr().out == ""


def _flatten(X):
    return X.reshape(len(X), -1)


def test_pipeline_memory_caches_the_decoded_images(tmp_path, monkeypatch):
    # scikit-learn's own caching: Pipeline(memory=...) stores ImageDirLoader's output, so a
    # second fit (or a grid search over later steps) does not decode again.
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer

    import skxray.io._folders

    data = load_sample_xrays(load_images=False)
    decoded = []
    decode_many = skxray.io._folders._decode_many

    def spy(paths, *args, **kwargs):
        decoded.append(len(paths))
        return decode_many(paths, *args, **kwargs)

    monkeypatch.setattr(skxray.io._folders, "_decode_many", spy)
    steps = [
        ("load", ImageDirLoader(16)),
        ("flat", FunctionTransformer(_flatten)),
        ("clf", LogisticRegression(C=0.01)),
    ]
    pipe = Pipeline(steps, memory=str(tmp_path / "cache"))
    first = pipe.fit(data.paths, data.target).predict_proba(data.paths[:5])
    assert decoded == [200, 5]
    again = clone(pipe).fit(data.paths, data.target)  # a new fit: loaded from the cache
    assert decoded == [200, 5]
    np.testing.assert_array_equal(again.predict_proba(data.paths[:5]), first)
    assert decoded == [200, 5, 5]  # predict is not cached: new images every time
    clone(pipe).set_params(load__image_size=20).fit(data.paths, data.target)
    assert decoded == [200, 5, 5, 200]  # other parameters: decoded again
    # A cache folder that cannot be used: the error names it.
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match=str(blocker)):
        clone(pipe).set_params(memory=str(blocker)).fit(data.paths, data.target)


def _chart_png(path, size=(6.4, 4.8)):
    """A matplotlib chart saved as PNG: RGBA, white background, sharp black lines."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    figure.add_subplot().plot([0, 1, 0.2, 0.8])
    figure.savefig(path)
    return path


@pytest.mark.parametrize("interpolation", ["area", "bilinear", "bicubic", "lanczos"])
@pytest.mark.parametrize("mode", ["RGBA", "I;16"])
def test_decoded_values_stay_in_unit_range_after_resizing(tmp_path, mode, interpolation):
    # A white RGBA chart resized with area interpolation came out at 1.0000001, which every
    # classifier refuses; bicubic and Lanczos overshoot near sharp edges by much more.
    path = _chart_png(tmp_path / "chart.png")
    if mode == "I;16":
        gray = np.asarray(Image.open(path).convert("L")).astype(np.uint16) * 257
        Image.fromarray(gray).save(path)
    for size in (128, 224, (100, 150), 37):
        for color_mode in ("grayscale", "rgb"):
            out = decode_image(path, size, color_mode=color_mode, interpolation=interpolation)
            assert out.dtype == np.float32
            assert 0.0 <= out.min() and out.max() <= 1.0, (size, color_mode, out.max())
    assert decode_image(path, 128).max() == 1.0  # the white background stays white


def test_display_path_shows_undecodable_bytes():
    assert display_path("scans/NORMAL/a b.jpeg") == "scans/NORMAL/a b.jpeg"
    assert display_path("scans/ré.jpeg") == "scans/ré.jpeg"  # valid UTF-8 stays as it is
    assert display_path(os.fsdecode(b"caf\xe9.jpeg")) == "caf\\xe9.jpeg"
    assert display_path(b"caf\xe9.jpeg") == "caf\\xe9.jpeg"
    assert display_path("odd\ud800.jpeg") == "odd\\ud800.jpeg"  # not from a file name's bytes
