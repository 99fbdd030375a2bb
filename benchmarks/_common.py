"""Paths, data loading and README tables shared by the benchmark scripts.

The scripts live in ``speed/`` and ``studies/`` and put this folder on ``sys.path`` to
import the shared modules here; each writes its results to ``results/<script name>/``.
"""

import os
from pathlib import Path

import numpy as np

from skxray import ImageDirLoader, load_image_folder
from skxray.models._recipe import INCEPTION_HEAD

BENCHMARKS = Path(__file__).resolve().parent
RESULTS = BENCHMARKS / "results"
SHARED = Path(os.environ.get("SKXRAY_SHARED", Path(__file__).resolve().parents[2] / "shared"))
WEIGHTS = os.environ.get(
    "SKXRAY_STANDIN_WEIGHTS",
    os.path.expanduser("~/.cache/skxray-benchmarks/inception_v3_notop_standin.weights.h5"),
)

# The Inception settings shared by Table 5 and the recipe studies: the "inception"
# preset's head (skxray.models._recipe.INCEPTION_HEAD) on the stand-in weights.
INCEPTION = dict(weights=WEIGHTS, input_size=150, **INCEPTION_HEAD, random_state=0)


def write_between_markers(name, lines):
    """Put ``lines`` into benchmarks/README.md between ``<!-- name -->`` and ``<!-- /name -->``."""
    readme = BENCHMARKS / "README.md"
    start, end = f"<!-- {name} -->\n", f"<!-- /{name} -->"
    text = readme.read_text()
    if start in text and end in text:
        head, rest = text.split(start, 1)
        readme.write_text(head + start + "\n".join(lines) + "\n" + end + rest.split(end, 1)[1])


def train_subset(n=0):
    """Paths, labels and patient groups of the real train split, or of a random n (seed 0)."""
    data = load_image_folder(SHARED / "data" / "chest_xray" / "train")
    idx = np.arange(len(data.paths))
    if n:
        idx = np.sort(np.random.default_rng(0).choice(idx, n, replace=False))
    return data.paths[idx], data.target[idx], data.groups[idx]


def load_train(n, size):
    """``train_subset(n)`` decoded to ``(n, size, size, 1)`` images."""
    paths, y, groups = train_subset(n)
    return ImageDirLoader(size, n_jobs=-1).transform(paths), y, groups
