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

import numpy as np
from PIL import Image

from benchmarks._common import RESULTS, SHARED, bundled_pictures, photo_tiles, synthetic
from skxray import check_inputs, load_image_folder, load_pretrained
from skxray.datasets import load_sample_xrays


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
