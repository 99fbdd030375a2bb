"""Rebuild skxray/datasets/data/sample_xrays/ from the Kermany et al. train split.

Picks 100 NORMAL and 100 PNEUMONIA images, one image per patient, with a fixed
seed, downsizes them to 128x128 and stores them as JPEG (quality 90).

    python maint_tools/make_sample_xrays.py ../shared/data/chest_xray/train
"""

import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from skxray import patient_id

N_PER_CLASS = 100
SIZE = 128


def main(train_dir):
    out = Path(__file__).resolve().parents[1] / "skxray" / "datasets" / "data" / "sample_xrays"
    shutil.rmtree(out, ignore_errors=True)
    rng = np.random.default_rng(2018)
    for cls in ("NORMAL", "PNEUMONIA"):
        files = sorted(Path(train_dir, cls).glob("*.jpeg"))
        first_per_patient = {}
        for f in files:
            first_per_patient.setdefault(patient_id(f), f)
        chosen = rng.choice(sorted(first_per_patient.values()), N_PER_CLASS, replace=False)
        (out / cls).mkdir(parents=True)
        for f in sorted(chosen):
            with Image.open(f) as im:
                im.convert("L").resize((SIZE, SIZE), Image.LANCZOS).save(
                    out / cls / f.name, quality=90
                )
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1])
