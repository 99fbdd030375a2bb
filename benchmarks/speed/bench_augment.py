# ruff: noqa: E501  (the child programs are kept as they would be written)
"""XrayAugmenter: five separate Keras layers (up to commit 926c2fe) against the one-warp layer.

    python -m benchmarks.speed.bench_augment [--backends tensorflow jax torch] [--repeat 7]
    python -m benchmarks.speed.bench_augment --fit [--fit-repeat 2]   # the default recipe's whole fit

Part 1, per backend (each in its own subprocess) and image size (128, 224 px), on a batch
of 64 images, medians of ``--repeat`` interleaved timings after a warm-up:

- ``separate``: the former ``build_layers``: RandomRotation, RandomTranslation, RandomZoom,
  RandomBrightness and RandomContrast of ``XrayAugmenter()``, called in turn;
- ``fused``: today's single ``AffineAugmentation`` layer (``XrayAugmenter().build_layers()``);
- ``step``: one ``train_on_batch`` of the optimized CNN with the fused layer in front, and
  augmentation's share of that step (``fused / step``).

Part 2 (``--fit``): ``recommended_classifier(paths=True)`` fitted on the 5216 public train
images, once with the separate layers and once fused, interleaved, each fit in a fresh
subprocess; medians of ``--fit-repeat`` runs.

Targets (issue 23): augmentation at most 20 % of a training step at 128 px on CPU with
TensorFlow; the default fit at least 1.3x faster.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]  # results/
ROOT = BENCHMARKS.parent  # the children run here, to import benchmarks._common

SEPARATE = r'''
import keras, math
def separate_layers(self, seed=None):
    """The five-layer build_layers of skxray up to commit 926c2fe, kept for this comparison."""
    self._validate_params()
    def next_seed():
        return None if seed is None else seed + len(layers)
    geometry = {"fill_mode": self.fill_mode, "fill_value": 0.0}
    layers = []
    if self.rotation_range:
        layers.append(keras.layers.RandomRotation(self.rotation_range / 360.0, seed=next_seed(), **geometry))
    if self.width_shift_range or self.height_shift_range:
        layers.append(keras.layers.RandomTranslation(self.height_shift_range, self.width_shift_range, seed=next_seed(), **geometry))
    if self.shear_range:
        factor = math.tan(math.radians(self.shear_range))
        layers.append(keras.layers.RandomShear(x_factor=factor, y_factor=0.0, seed=next_seed(), **geometry))
    if self.zoom_range:
        layers.append(keras.layers.RandomZoom(self.zoom_range, seed=next_seed(), **geometry))
    if self.horizontal_flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=next_seed()))
    if self.brightness_range:
        layers.append(keras.layers.RandomBrightness(self.brightness_range, value_range=(0, 1), seed=next_seed()))
    if self.contrast_range:
        layers.append(keras.layers.RandomContrast(self.contrast_range, value_range=(0, 1), seed=next_seed()))
    return layers
'''

LAYERS = (
    SEPARATE
    + r"""
import json, statistics, sys, time, os
import numpy as np
from skxray import ScratchCNNClassifier, XrayAugmenter
repeat = int(sys.argv[1])
augmenter = XrayAugmenter()
rows = []
for size in (128, 224):
    x = keras.ops.convert_to_tensor(np.random.default_rng(0).random((64, size, size, 1), "float32"))
    y = (np.arange(64) % 2).astype("float32")
    separate = separate_layers(augmenter, seed=0)
    (fused,) = augmenter.build_layers(seed=0)

    def run_separate():
        out = x
        for layer in separate:
            out = layer(out, training=True)
        keras.ops.convert_to_numpy(out)

    def run_fused():
        keras.ops.convert_to_numpy(fused(x, training=True))

    clf = ScratchCNNClassifier("optimized", epochs=1, augmenter=augmenter, random_state=0)
    clf.fit(np.asarray(x)[:8], y[:8])
    model = clf.model_

    def run_step():
        model.train_on_batch(x, y)

    timings = {"separate": [], "fused": [], "step": []}
    for fn in (run_separate, run_fused, run_step):
        fn()  # warm-up (tracing)
    for _ in range(repeat):
        for name, fn in (("separate", run_separate), ("fused", run_fused), ("step", run_step)):
            start = time.perf_counter()
            fn()
            timings[name].append(1000 * (time.perf_counter() - start))
    med = {k: statistics.median(v) for k, v in timings.items()}
    rows.append({"backend": keras.backend.backend(), "size": size, **{f"{k}_ms": round(v, 1) for k, v in med.items()},
                 "speed-up": round(med["separate"] / med["fused"], 2),
                 "share_of_step": round(med["fused"] / med["step"], 3)})
print(json.dumps(rows))
"""
)

FIT = (
    SEPARATE
    + r"""
import json, sys, time
from benchmarks._common import train_subset
from skxray import XrayAugmenter, recommended_classifier
if sys.argv[1] == "separate":
    XrayAugmenter.build_layers = separate_layers
paths, y, _ = train_subset()
start = time.perf_counter()
recommended_classifier(paths=True, random_state=0).fit(paths, y)
print(json.dumps({"arm": sys.argv[1], "seconds": round(time.perf_counter() - start, 1)}))
"""
)


def child(code, *args, backend="tensorflow"):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=ROOT)  # fmt: skip
    if done.returncode:
        return None, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    return json.loads(done.stdout.strip().splitlines()[-1]), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--fit", action="store_true", help="time the default recipe's fit")
    parser.add_argument("--fit-repeat", type=int, default=2)
    parser.add_argument("--out", default=str(BENCHMARKS / "results" / "bench_augment"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, no GPU"}  # fmt: skip
    if args.fit:
        runs = {"separate": [], "fused": []}
        for _ in range(args.fit_repeat):
            for arm in runs:
                row, error = child(FIT, arm)
                if error:
                    sys.exit(f"{arm}: {error}")
                runs[arm].append(row["seconds"])
                print(arm, row["seconds"], "s", flush=True)
        med = {arm: statistics.median(v) for arm, v in runs.items()}
        result = {**meta, "command": "python -m benchmarks.speed.bench_augment --fit", "runs": runs,
                  "median_s": med, "speed-up": round(med["separate"] / med["fused"], 2)}  # fmt: skip
        (out / "fit.json").write_text(json.dumps(result, indent=1) + "\n")
        print(f"default fit: separate {med['separate']} s, fused {med['fused']} s, "
              f"{result['speed-up']}x")  # fmt: skip
        return
    rows, skipped = [], {}
    for backend in args.backends:
        result, error = child(LAYERS, args.repeat, backend=backend)
        if error:
            skipped[backend] = error
            print(f"{backend}: skipped ({error})")
            continue
        rows += result
        for row in result:
            print(json.dumps(row), flush=True)
    result = {**meta, "command": "python -m benchmarks.speed.bench_augment", "rows": rows,
              "skipped": skipped}  # fmt: skip
    (out / "layers.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
