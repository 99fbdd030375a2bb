"""Does check_inputs flag upside-down chest X-rays, and only those? (issue 31, item 5)

    python -m benchmarks.studies.orientation

The orientation check (``skxray/evaluation/_orientation.py``) is fitted on the 200 bundled
X-rays. It is scored here on X-rays it never saw: 600 random images of the public train
split (seed 1; none of them bundled) and the 16 full-resolution val images, each upright,
mirrored left-right (still upright: both count as upright), turned upside down and rotated
by 180 degrees. Then the shipped ``pneumonia`` model: how far each val image's P(PNEUMONIA)
moves when it is turned upside down, and whether ``check_inputs`` flags it.
Results: ``results/orientation/orientation.json``.
"""

import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from benchmarks._common import (
    RESULTS,
    SHARED,
    UPRIGHT_BELOW,
    machine,
    train_subset,
    upright_probability,
)
from skxray import ImageDirLoader, check_inputs, load_image_folder, load_pretrained
from skxray.datasets import load_sample_xrays


def rates(images):
    views = {
        "upright": images,
        "mirrored": images[:, :, ::-1],
        "upside down": images[:, ::-1],
        "rotated 180": images[:, ::-1, ::-1],
    }
    return {
        name: float(np.mean(upright_probability(x) < UPRIGHT_BELOW)) for name, x in views.items()
    }


def main():
    bundled = {os.path.basename(p) for p in load_sample_xrays(load_images=False).paths}
    paths = [p for p in train_subset(0)[0] if os.path.basename(p) not in bundled]
    rng = np.random.default_rng(1)
    paths = sorted(rng.choice(paths, 600, replace=False))
    val = load_image_folder(SHARED / "data" / "chest_xray_fullres_val")
    out = {"date": time.strftime("%Y-%m-%d"), "machine": machine(),
           "command": "python -m benchmarks.studies.orientation",
           "flagged": {"train600": rates(ImageDirLoader(64, n_jobs=-1).transform(paths)),
                       "val16": rates(ImageDirLoader(64).transform(val.paths))}}  # fmt: skip
    model = load_pretrained("pneumonia")
    images = model[0].transform(val.paths)
    rest = model[1:]
    p_up, p_down = rest.predict_proba(images)[:, 1], rest.predict_proba(images[:, ::-1])[:, 1]
    flags = check_inputs(rest, images[:, ::-1]).reasons
    moved = np.abs(p_down - p_up) >= 0.2
    out["shipped_pneumonia_val16"] = {
        "moved_by_0.2_or_more": int(moved.sum()),
        "of_those_flagged_upside_down": int(
            sum("upside down" in flags[i] for i in np.flatnonzero(moved))
        ),
        "flagged_upside_down": int(sum("upside down" in f for f in flags)),
        "upright_flagged_upside_down": int(
            sum("upside down" in f for f in check_inputs(rest, images).reasons)
        ),
    }
    (RESULTS / "orientation").mkdir(parents=True, exist_ok=True)
    (RESULTS / "orientation" / "orientation.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
