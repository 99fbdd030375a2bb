"""How often check_inputs flags what is not a chest X-ray, and what is (issue 25, defect 2).

    python -m benchmarks.studies.input_check [--model pneumonia]

Runs :func:`skxray.check_inputs` of a shipped model (default ``pneumonia``) on files
written to a temporary folder and read back as ``skxray predict`` reads them:

- not chest X-rays (target: at least 95 % flagged): tiles of scikit-learn's two sample
  photographs (``load_sample_images``), in colour and converted to grey, at random
  positions and sizes (64 to 400 px, seed 0); matplotlib's bundled sample pictures
  (``grace_hopper.jpg``, ``Minduka_Present_Blue_Pack.png``, ``logo2.png``), in colour and in
  grey; synthetic images: uniform and Gaussian noise, checkerboards, gradients, rings and
  blank frames, some of them tiny (1x1, 16x16) or with extreme aspect ratios;
- chest X-rays (target: at most 5 % flagged): the 16 public val images at 224 px and at
  full resolution, and the 200 bundled sample images (these are train-split images, so
  their rate is not a generalisation figure); the same 16 val images written as DICOM
  files by pydicom (target: none flagged).

Results go to ``results/input_check/input_check.json``.
"""

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib
import numpy as np
from PIL import Image
from sklearn.datasets import load_sample_images

from benchmarks._common import RESULTS, SHARED
from skxray import check_inputs, load_image_folder, load_pretrained
from skxray.datasets import load_sample_xrays


def photo_tiles(folder, rng, n_per_image=50):
    paths = []
    for k, photo in enumerate(load_sample_images().images):
        h, w = photo.shape[:2]
        for i in range(n_per_image):
            side = int(rng.integers(64, 400))
            y, x = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
            tile = Image.fromarray(photo[y : y + side, x : x + side])
            for mode in ("RGB", "L"):
                path = folder / f"photo{k}_{i}_{mode}.png"
                tile.convert(mode).save(path)
                paths.append(path)
    return paths


def bundled_pictures(folder):
    data = Path(matplotlib.get_data_path()) / "sample_data"
    paths = []
    for name in ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"):
        with Image.open(data / name) as image:
            for mode in ("RGB", "L"):
                path = folder / f"{Path(name).stem}_{mode}.png"
                image.convert(mode).save(path)
                paths.append(path)
    return paths


def synthetic(folder, rng):
    images = {}
    for i in range(10):
        images[f"uniform_{i}"] = rng.random((224, 224))
        images[f"gauss_{i}"] = np.clip(rng.normal(0.5, 0.2, (224, 224)), 0, 1)
        n = int(rng.integers(2, 16))
        images[f"checker_{i}"] = (np.indices((224, 224)).sum(0) // (224 // n)) % 2 * 1.0
        images[f"gradient_{i}"] = np.tile(np.linspace(0, 1, 224), (224, 1)) ** (i + 1)
        r = np.hypot(*np.indices((224, 224)) - 112)
        images[f"rings_{i}"] = 0.5 + 0.5 * np.sin(r / (i + 2))
        images[f"blank_{i}"] = np.full((224, 224), i / 9)
    images["one_pixel"] = np.full((1, 1), 0.5)
    images["tiny"] = rng.random((16, 16))
    images["wide"] = rng.random((64, 640))
    images["tall"] = rng.random((900, 100))
    paths = []
    for name, array in images.items():
        path = folder / f"{name}.png"
        Image.fromarray((array * 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def as_dicom(paths, folder):
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    out = []
    for i, source in enumerate(paths):
        pixels = np.asarray(Image.open(source).convert("L"))
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / f"xray_{i}.dcm"
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, generate_uid()
        ds.Modality, ds.PatientID = "DX", f"P{i}"
        ds.Rows, ds.Columns = pixels.shape
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.PixelData = pixels.tobytes()
        ds.save_as(path, enforce_file_format=True)
        out.append(path)
    return out


def rate(model, paths):
    check = check_inputs(model, [str(p) for p in paths])
    reasons = [r for r in check.reasons if r]
    kinds = {}
    for r in reasons:
        for part in r.split("; "):
            key = part.split(" (")[0]
            kinds[key] = kinds.get(key, 0) + 1
    return {"n": len(paths), "flagged": int(check.flagged.sum()),
            "rate": round(float(check.flagged.mean()), 4), "by_reason": kinds}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="pneumonia")
    parser.add_argument("--out", default=str(RESULTS / "input_check" / "input_check.json"))
    args = parser.parse_args()
    model = load_pretrained(args.model)
    rng = np.random.default_rng(0)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in ("photos", "pictures", "synthetic", "dicom"):
            (tmp / name).mkdir()
        sets = {
            "photo tiles, colour and grey": photo_tiles(tmp / "photos", rng),
            "matplotlib sample pictures": bundled_pictures(tmp / "pictures"),
            "synthetic images": synthetic(tmp / "synthetic", rng),
        }
        val224 = load_image_folder(SHARED / "data" / "chest_xray" / "val").paths
        full = load_image_folder(SHARED / "data" / "chest_xray_fullres_val").paths
        sets.update({
            "val X-rays, 224 px": val224,
            "val X-rays, full resolution": full,
            "bundled sample (train split)": load_sample_xrays(load_images=False).paths,
            "val X-rays as DICOM": as_dicom(full, tmp / "dicom"),
        })  # fmt: skip
        for name, paths in sets.items():
            rows[name] = rate(model, paths)
            row = rows[name]
            print(f"{name:<32} {row['flagged']:>4}/{row['n']:<4} flagged "
                  f"({100 * row['rate']:.1f} %) {row['by_reason']}", flush=True)  # fmt: skip
    non = [rows[k] for k in list(rows)[:3]]
    summary = {"not X-rays": sum(r["flagged"] for r in non) / sum(r["n"] for r in non)}
    print(f"not chest X-rays: {100 * summary['not X-rays']:.1f} % flagged of "
          f"{sum(r['n'] for r in non)}")  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, "
            f"{os.cpu_count()} cores", "command": "python -m benchmarks.studies.input_check",
            "model": args.model}  # fmt: skip
    out.write_text(json.dumps({**meta, "sets": rows, "summary": summary}, indent=1) + "\n")


if __name__ == "__main__":
    main()
