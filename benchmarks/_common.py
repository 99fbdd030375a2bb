"""Paths, data loading, README tables and the skxray internals shared by the benchmarks.

Run the scripts from the repository root as modules, which puts the root on ``sys.path``
so that they import this module as ``benchmarks._common`` (and ``benchmarks._protocol``: the
grouped split, the shifts, the seed ensemble and the selection protocol)::

    python -m benchmarks.speed.bench_scratch
    python -m benchmarks.studies.table5 report

Each writes its results to ``results/<script name>/``. The scripts use skxray's public names;
the few internals that some of them measure or reuse are named here only (see
``_INTERNALS``), so that a move inside skxray breaks this module, not the scripts.
"""

import contextlib
import importlib
import os
from pathlib import Path

import numpy as np

from skxray import ImageDirLoader, load_image_folder

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
"""The checkout: child processes run here, so that they import ``benchmarks`` too."""
RESULTS = BENCHMARKS / "results"
SHARED = Path(os.environ.get("SKXRAY_SHARED", Path(__file__).resolve().parents[2] / "shared"))
WEIGHTS = os.environ.get(
    "SKXRAY_STANDIN_WEIGHTS",
    os.path.expanduser("~/.cache/skxray-benchmarks/inception_v3_notop_standin.weights.h5"),
)

_INTERNALS = {
    "ALPHA": "skxray.evaluation._input_check",  # the input check's false-flag rate
    "conformal_quantile": "skxray.evaluation._input_check",  # and its calibration
    "DEFAULT_RECIPE": "skxray.models._recipe",  # the name of recommended_classifier's default
    "INCEPTION_HEAD": "skxray.models._recipe",  # the "inception" preset's head settings
    "evaluate_multiclass_scores": "skxray.evaluation._multiclass",
    "members": "skxray.utils._estimators",  # the skxray classifiers of a model
    "recompute_batch_norm_statistics": "skxray.models._training._batchnorm",
    "translated_views": "skxray.models._training._tta",  # test-time averaging's views
    "UPRIGHT_BELOW": "skxray.evaluation._orientation",  # the orientation check's threshold
    "upright_probability": "skxray.evaluation._orientation",  # and its probability
}
"""The skxray internals the benchmarks use, by name and module, imported on first use (the
loader benchmark's child processes stay free of Keras)."""


def __getattr__(name):
    if name == "INCEPTION":
        # The Inception settings shared by Table 5 and the recipe studies: the "inception"
        # preset's head on the stand-in weights.
        head = __getattr__("INCEPTION_HEAD")
        return dict(weights=WEIGHTS, input_size=150, **head, random_state=0)
    if name in _INTERNALS:
        return getattr(importlib.import_module(_INTERNALS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def keep_traced_gradients():
    """Undo the fix of issue 23 in this process: fitted models keep their traced training
    steps in TensorFlow's gradient registry (``bench_memory``'s "before" case)."""
    from skxray.models._training import _base

    _base.release_traced_gradients = lambda model: 0


@contextlib.contextmanager
def full_scale_jpeg_decoding():
    """Inside, :func:`skxray.decode_image` decodes every JPEG at full scale (no DCT
    scaling), as skxray did before ``REDUCED_DECODING_MARGIN`` (``bench_loader``)."""
    from skxray.io import _decode

    margin, _decode.REDUCED_DECODING_MARGIN = _decode.REDUCED_DECODING_MARGIN, float("inf")
    try:
        yield
    finally:
        _decode.REDUCED_DECODING_MARGIN = margin


def machine():
    """This machine in words, CPU model included: kernels, so results, can differ by CPU kind."""
    import platform

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model} ({platform.machine()}), {os.cpu_count()} CPU cores, no GPU"


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


# Tables of the recipe studies' fold results (recipe_shift.py, recipe_tables.py).


def shift_names(folds):
    """The shift names scored in these folds (every key besides the clean scores and time)."""
    return [k for k in folds[0] if k not in ("fit_time", "clean")]


def fold_mean(folds, where, key):
    return float(np.mean([f[where][key] for f in folds]))


def shift_rows(records):
    header = [
        "variant",
        "clean F1",
        "clean ROC-AUC",
        "clean spec.",
        "shifted F1",
        "shifted ROC-AUC",
        "shifted spec.",
        "spec. darker",
        "spec. brighter",
        "spec. blur+noise",
        "fit time / fold",
    ]
    rows = []
    for r in records:
        f = r["folds"]
        shifts = shift_names(f)
        cells = [fold_mean(f, "clean", k) for k in ("f1", "roc_auc", "specificity")]
        cells += [np.mean([fold_mean(f, s, k) for s in shifts]) for k in ("f1", "roc_auc")]
        cells.append(np.mean([fold_mean(f, s, "specificity") for s in shifts]))
        cells += [fold_mean(f, s, "specificity") for s in shifts]
        fit = np.median([x["fit_time"] for x in f])
        name = r["variant"]
        name = "reference " + name if name.startswith("+ ") else name  # no RST bullet
        rows.append([name, *(f"{c:.3f}" for c in cells), f"{fit:.0f} s"])
    return header, rows


def print_markdown(header, rows):
    """Print a table as Markdown and return its lines."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    print("\n".join(lines) + "\n", flush=True)
    return lines


# Images that are not chest X-rays, written to a folder (input_check.py, input_calibration.py).


def photo_tiles(folder, rng, n_per_image=50):
    """Tiles of scikit-learn's two sample photographs, in colour and grey, as PNG files."""
    from PIL import Image
    from sklearn.datasets import load_sample_images

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
    """matplotlib's three sample pictures, in colour and grey, as PNG files."""
    import matplotlib
    from PIL import Image

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
    """Noise, checkerboards, gradients, rings, blank, tiny and elongated images, as PNG."""
    from PIL import Image

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
