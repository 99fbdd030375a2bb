"""DICOM input: the pixel pipeline, compressed syntaxes, refusals, folders and patient groups.

Every file is built with pydicom in ``tmp_path``; the images are tiny ramps, so the
expected values can be written down.
"""

import csv
import io
import sys

import numpy as np
import pytest
from PIL import Image

from skxray import ImageDirLoader, ImageLoadError, decode_image, load_image_folder

pydicom = pytest.importorskip("pydicom")
from pydicom import Dataset, FileMetaDataset, uid  # noqa: E402
from pydicom.encaps import encapsulate  # noqa: E402

RAMP8 = np.arange(256, dtype=np.uint8).reshape(16, 16)
RAMP16 = (1000 + 7 * np.arange(256)).astype(np.uint16).reshape(16, 16)  # 12 bits used


def _dataset(pixels=None, photometric="MONOCHROME2", bits=None, sop=None, **tags):
    """A single-frame X-ray dataset holding ``pixels`` (none: no Pixel Data), plus ``tags``."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
    ds.SOPClassUID = sop or uid.DigitalXRayImageStorageForPresentation
    ds.SOPInstanceUID = uid.generate_uid()
    if pixels is not None:
        ds.set_pixel_data(pixels, photometric, bits or 8 * pixels.dtype.itemsize)
    for name, value in tags.items():
        setattr(ds, name, value)
    return ds


def _save(ds, path):
    ds.save_as(path, enforce_file_format=True)
    return path


def _gray(path, **kwargs):
    return decode_image(path, **kwargs)[..., 0]


def _lut_item(table, bits=8):
    item = Dataset()
    item.LUTDescriptor = [len(table), 0, bits]
    item.LUTData = np.asarray(table, "<u2").tobytes()  # OW, as real files store it
    return item


# ------------------------------------------------------------------ pixel pipeline
@pytest.mark.parametrize("ramp", [RAMP8, RAMP16], ids=["8bit", "16bit"])
def test_min_max_without_window_keeps_precision(tmp_path, ramp):
    out = _gray(_save(_dataset(ramp), tmp_path / "x.dcm"))
    assert out.dtype == np.float32 and out.shape == (16, 16)
    expected = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    np.testing.assert_allclose(out, expected, atol=1e-7)
    assert out[0, 0] == 0.0 and out[-1, -1] == 1.0
    assert len(np.unique(out)) == 256  # neighbouring 16-bit values stay distinct


def test_bits_stored_below_allocated(tmp_path):
    ramp12 = (16 * np.arange(256, dtype=np.uint16)).reshape(16, 16)  # 0..4080: 12 of 16 bits
    out = _gray(_save(_dataset(ramp12, bits=12), tmp_path / "x.dcm"))
    np.testing.assert_allclose(out, ramp12 / 4080, atol=1e-7)


@pytest.mark.parametrize("ramp", [RAMP8, RAMP16], ids=["8bit", "16bit"])
def test_monochrome1_is_inverted(tmp_path, ramp):
    mono2 = _gray(_save(_dataset(ramp), tmp_path / "m2.dcm"))
    mono1 = _gray(_save(_dataset(ramp, "MONOCHROME1"), tmp_path / "m1.dcm"))
    np.testing.assert_allclose(mono1, 1.0 - mono2, atol=1e-7)
    assert mono1[0, 0] == 1.0 and mono1[-1, -1] == 0.0  # the lowest value is white


def _linear_window(values, center, width):
    """DICOM PS3.3 C.11.2.1.2.1, 'LINEAR', mapped to [0, 1]."""
    return np.clip((values - (center - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)


def test_window_center_width_clips(tmp_path):
    out = _gray(_save(_dataset(RAMP8, WindowCenter=128, WindowWidth=64), tmp_path / "w.dcm"))
    np.testing.assert_allclose(out, _linear_window(RAMP8.astype(float), 128, 64), atol=1e-6)
    assert (out[RAMP8 <= 95] == 0).all() and (out[RAMP8 >= 160] == 1).all()
    inside = out[(RAMP8 > 96) & (RAMP8 < 159)]
    assert ((inside > 0) & (inside < 1)).all()
    inverted = _dataset(RAMP8, "MONOCHROME1", WindowCenter=128, WindowWidth=64)
    np.testing.assert_allclose(_gray(_save(inverted, tmp_path / "w1.dcm")), 1 - out, atol=1e-7)


def test_rescale_then_window_in_rescaled_units(tmp_path):
    # Stored s gives 2 s - 1024; the window [-900, -700] covers s in [62, 162].
    ds = _dataset(RAMP8, RescaleSlope=2, RescaleIntercept=-1024)
    ds.WindowCenter, ds.WindowWidth = -800, 201
    out = _gray(_save(ds, tmp_path / "r.dcm"))
    expected = _linear_window(2.0 * RAMP8 - 1024, -800, 201)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert out[0, 0] == 0 and out[-1, -1] == 1 and 0.45 < out.flat[112] < 0.55


def test_rescale_without_window(tmp_path):
    same = _gray(_save(_dataset(RAMP8, RescaleSlope=3, RescaleIntercept=-7), tmp_path / "a.dcm"))
    np.testing.assert_allclose(same, RAMP8 / 255, atol=1e-6)  # min-max: affine-invariant
    flipped = _dataset(RAMP8, RescaleSlope=-1, RescaleIntercept=0)
    flipped = _gray(_save(flipped, tmp_path / "b.dcm"))
    np.testing.assert_allclose(flipped, 1 - RAMP8 / 255, atol=1e-6)


def test_voi_lut_sequence_wins_over_window(tmp_path):
    table = np.clip((np.arange(256) - 64) * 2, 0, 255)
    ds = _dataset(RAMP8, WindowCenter=10, WindowWidth=2)  # the LUT takes precedence
    ds.VOILUTSequence = [_lut_item(table)]
    out = _gray(_save(ds, tmp_path / "lut.dcm"))
    np.testing.assert_allclose(out, table[RAMP8] / 255, atol=1e-7)


def test_voi_lut_scaled_by_its_own_range(tmp_path):
    table = 100 + np.arange(256) // 2  # 100..227 in a 16-bit LUT
    ds = _dataset(RAMP16)
    ds.VOILUTSequence = [_lut_item(table, bits=16)]
    ds.VOILUTSequence[0].LUTDescriptor = [256, 1200, 16]  # maps 1200..1455
    out = _gray(_save(ds, tmp_path / "lut16.dcm"))
    index = np.clip(RAMP16.astype(int) - 1200, 0, 255)
    np.testing.assert_allclose(out, (table[index] - 100) / 127, atol=1e-7)


def test_color_dicom_gives_luma_or_rgb(tmp_path):
    rgb = np.stack([RAMP8, RAMP8 // 2, 255 - RAMP8], axis=-1)
    path = _save(_dataset(rgb, "RGB"), tmp_path / "rgb.dcm")
    np.testing.assert_allclose(decode_image(path, color_mode="rgb"), rgb / 255, atol=1e-7)
    luma = rgb @ np.array([0.299, 0.587, 0.114]) / 255
    np.testing.assert_allclose(_gray(path), luma, atol=1e-6)


def test_grayscale_dicom_in_rgb_mode_and_resized(tmp_path):
    path = _save(_dataset(RAMP8), tmp_path / "x.dcm")
    out = decode_image(path, (8, 4), color_mode="rgb")
    assert out.shape == (8, 4, 3) and out.dtype == np.float32
    assert (out[..., 0] == out[..., 2]).all() and out[0, 0, 0] < out[-1, -1, 0]
    X = ImageDirLoader(image_size=8, dtype="uint8").fit_transform([path, path])
    assert X.shape == (2, 8, 8, 1) and X.dtype == np.uint8 and X.max() > 200


# -------------------------------------------------------- files and syntaxes
def test_extensionless_file_found_by_dicm_marker(tmp_path):
    path = _save(_dataset(RAMP8), tmp_path / "1.2.840.113619.2.55")
    assert path.read_bytes()[128:132] == b"DICM"
    np.testing.assert_allclose(_gray(path), RAMP8 / 255, atol=1e-7)


@pytest.mark.parametrize("ramp", [RAMP8, RAMP16], ids=["8bit", "16bit"])
def test_rle_lossless_equals_uncompressed(tmp_path, ramp):
    plain = _save(_dataset(ramp), tmp_path / "plain.dcm")
    ds = _dataset(ramp)
    ds.compress(uid.RLELossless)
    rle = _save(ds, tmp_path / "rle.dcm")
    assert pydicom.dcmread(rle).file_meta.TransferSyntaxUID == uid.RLELossless
    np.testing.assert_array_equal(decode_image(rle), decode_image(plain))


def _encapsulated(frame, syntax):
    """A MONOCHROME2 8-bit dataset whose Pixel Data is one compressed ``frame``."""
    ds = _dataset(None, Rows=16, Columns=16, SamplesPerPixel=1, BitsAllocated=8)
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 7, 0
    ds.PixelData = encapsulate([frame])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def test_jpeg_baseline_through_pillow_plugin(tmp_path):
    if not pydicom.pixels.get_decoder(uid.JPEGBaseline8Bit).is_available:
        pytest.skip("no JPEG baseline plugin")
    buffer = io.BytesIO()
    Image.fromarray(RAMP8).save(buffer, "JPEG", quality=95)
    path = _save(_encapsulated(buffer.getvalue(), uid.JPEGBaseline8Bit), tmp_path / "j.dcm")
    expected = np.asarray(Image.open(buffer), dtype=np.float64)
    expected = (expected - expected.min()) / (expected.max() - expected.min())
    np.testing.assert_allclose(_gray(path), expected, atol=1e-6)


def test_compressed_syntax_without_plugin_names_it(tmp_path):
    syntax = uid.JPEGLosslessSV1
    if pydicom.pixels.get_decoder(syntax).is_available:
        pytest.skip("a JPEG Lossless plugin is installed here")
    path = _save(_encapsulated(b"\xff\xd8\xff\xd9", syntax), tmp_path / "lossless.dcm")
    with pytest.raises(ImageLoadError, match="JPEG Lossless") as info:
        decode_image(path)
    message = str(info.value)
    assert str(path) in message and str(syntax) in message
    assert "pip install pylibjpeg pylibjpeg-libjpeg" in message


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda: _dataset(np.stack([RAMP8] * 3)), "multi-frame DICOM image \\(3 frames\\)"),
        (
            lambda: _dataset(sop=uid.BasicTextSRStorage, Modality="SR"),
            "without pixel data \\(Basic Text SR Storage\\), not an image",
        ),
        (lambda: _dataset(RAMP8, "PALETTE COLOR"), "'PALETTE COLOR' is not supported"),
        (lambda: _dataset(RAMP16, RescaleSlope="1e308", RescaleIntercept=0), "non-finite"),
    ],
    ids=["multi-frame", "structured-report", "palette", "overflow"],
)
def test_refused_objects_name_file_and_reason(tmp_path, make, problem):
    path = _save(make(), tmp_path / "x.dcm")
    with pytest.raises(ImageLoadError, match=problem) as info:
        decode_image(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("cut", ["in_pixels", "in_header", "garbage"])
def test_corrupt_or_truncated_dicom(tmp_path, cut):
    data = _save(_dataset(RAMP16), tmp_path / "good.dcm").read_bytes()
    content = {
        "in_pixels": data[: len(data) - 100],
        "in_header": data[:400],
        "garbage": data[:132] + b"\x07" * 64,
    }[cut]
    path = tmp_path / "bad.dcm"
    path.write_bytes(content)
    with pytest.raises(ImageLoadError, match="corrupt|truncated") as info:
        decode_image(path)
    assert str(path) in str(info.value)


def test_dcm_name_without_dicom_content(tmp_path):
    path = tmp_path / "photo.dcm"
    Image.fromarray(RAMP8).save(path, "PNG")
    with pytest.raises(ImageLoadError, match="photo.dcm: corrupt or unreadable DICOM"):
        decode_image(path)


def test_dicom_over_pixel_limit_is_refused(tmp_path, monkeypatch):
    path = _save(_dataset(RAMP8), tmp_path / "x.dcm")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ImageLoadError, match="x.dcm: refused as a possible decompression bomb"):
        decode_image(path)


def test_missing_pydicom_says_what_to_install(tmp_path, monkeypatch):
    path = _save(_dataset(RAMP8), tmp_path / "x.dcm")
    monkeypatch.setitem(sys.modules, "pydicom", None)  # `import pydicom` now fails
    with pytest.raises(ImageLoadError, match='pip install "skxray\\[dicom\\]"') as info:
        decode_image(path)
    assert str(path) in str(info.value)
    with pytest.raises(ImageLoadError, match="x.dcm: a DICOM file; reading DICOM needs pydicom"):
        ImageDirLoader(image_size=8).fit_transform([path])


def test_missing_pydicom_in_folder(tmp_path, monkeypatch):
    root = _mixed_tree(tmp_path)
    monkeypatch.setitem(sys.modules, "pydicom", None)
    with pytest.raises(ImageLoadError, match="scan.dcm: .*pip install"):
        load_image_folder(root)  # its patient group needs the header
    with pytest.warns(UserWarning, match="pip install"):
        data = load_image_folder(root, check_images=True, on_error="skip")
    assert [p.rsplit("/", 1)[-1] for p in data.paths] == [
        "IM-0001-0001.jpeg",
        "person3_virus_9.png",
    ]
    assert len(data.skipped) == 2


# ------------------------------------------------------ folders and patient groups
def _mixed_tree(root):
    """NORMAL: one JPEG, one .dcm; PNEUMONIA: one extension-less DICOM, one PNG."""
    for name in ("NORMAL", "PNEUMONIA"):
        (root / name).mkdir(parents=True)
    Image.fromarray(RAMP8).save(root / "NORMAL" / "IM-0001-0001.jpeg")
    _save(_dataset(RAMP16, PatientID="P-7"), root / "NORMAL" / "scan.dcm")
    _save(_dataset(RAMP8, "MONOCHROME1"), root / "PNEUMONIA" / "1.2.3.4")
    Image.fromarray(RAMP8).save(root / "PNEUMONIA" / "person3_virus_9.png")
    return root


def test_mixed_folder_loads_dicom_and_jpeg(tmp_path):
    data = load_image_folder(_mixed_tree(tmp_path), load_images=True, image_size=16)
    names = [p.rsplit("/", 1)[-1] for p in data.paths]
    assert names == ["IM-0001-0001.jpeg", "scan.dcm", "1.2.3.4", "person3_virus_9.png"]
    assert data.target.tolist() == [0, 0, 1, 1] and data.skipped == []
    assert data.images.shape == (4, 16, 16, 1)
    ramp = RAMP8 / 255
    np.testing.assert_allclose(data.images[1, ..., 0], ramp, atol=1e-6)  # 16-bit, min-max
    np.testing.assert_allclose(data.images[2, ..., 0], 1 - ramp, atol=1e-6)  # MONOCHROME1
    np.testing.assert_allclose(data.images[0, ..., 0], ramp, atol=0.02)  # JPEG


def test_mixed_folder_with_bad_file_raises_or_skips(tmp_path):
    root = _mixed_tree(tmp_path)
    good = (root / "NORMAL" / "scan.dcm").read_bytes()
    bad = root / "PNEUMONIA" / "broken.dcm"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(ImageLoadError, match="broken.dcm: truncated or corrupt"):
        load_image_folder(root, check_images=True)
    with pytest.warns(UserWarning, match="Skipping .*broken.dcm"):
        data = load_image_folder(root, check_images=True, on_error="skip")
    assert len(data.paths) == 4 and str(bad) not in data.paths
    assert len(data.skipped) == 1 and str(bad) in data.skipped[0]


def test_unknown_file_without_dicm_marker_is_reported(tmp_path):
    root = _mixed_tree(tmp_path)
    (root / "NORMAL" / "notes").write_bytes(b"\x00" * 200)
    with pytest.raises(ImageLoadError, match="notes: unknown extension"):
        load_image_folder(root)


def test_groups_use_dicom_patient_id_when_name_has_none(tmp_path):
    root = _mixed_tree(tmp_path)
    _save(_dataset(RAMP8, PatientID="P-7"), root / "PNEUMONIA" / "other.dcm")  # same patient
    _save(_dataset(RAMP8, PatientID="ignored"), root / "PNEUMONIA" / "person5_bacteria_1.dcm")
    data = load_image_folder(root)
    groups = dict(zip([p.rsplit("/", 1)[-1] for p in data.paths], data.groups, strict=True))
    assert groups == {
        "IM-0001-0001.jpeg": "IM-0001",  # from the file name
        "scan.dcm": "P-7",  # from the PatientID tag
        "1.2.3.4": "1.2.3",  # no PatientID: the stem, as for other files
        "other.dcm": "P-7",
        "person3_virus_9.png": "person3",
        "person5_bacteria_1.dcm": "person5",  # the file name wins
    }


def test_cli_predicts_a_folder_of_dicom_files(tmp_path, capsys):
    from sklearn.pipeline import make_pipeline

    from skxray import ScratchCNNClassifier, save
    from skxray.cli import main

    root = _mixed_tree(tmp_path / "tree")
    data = load_image_folder(root)
    model = make_pipeline(ImageDirLoader(16), ScratchCNNClassifier("vanilla", epochs=1))
    save(model.fit(data.paths, data.target), tmp_path / "m.skxray")
    out = tmp_path / "p.csv"
    assert main(["predict", str(tmp_path / "m.skxray"), str(root), "--out", str(out)]) == 0
    with open(out, newline="") as handle:
        found = sorted(row["path"].rsplit("/", 1)[-1] for row in csv.DictReader(handle))
    assert found == sorted(["IM-0001-0001.jpeg", "scan.dcm", "1.2.3.4", "person3_virus_9.png"])
    assert "Predicted 4 images" in capsys.readouterr().out
