"""Load X-ray folders into (n, 128, 128, 1): skxray vs Keras vs a plain PIL loop.

    python -m benchmarks.speed.bench_loader [--repeat 5] [--n-fullres 400] [--out FILE]

Two cases, each method in its own fresh subprocess with one thread, page cache warm,
``--repeat`` interleaved runs, median reported:

* ``224 px``: the 5216 train images as shared (224x224 JPEG);
* ``full resolution``: ``--n-fullres`` train images re-encoded at 2000 px on the long side
  (bicubic, JPEG quality 95, the aspect ratio of the 16 full-resolution val images), in a
  temporary folder. Real X-rays come at 1000-3000 px.

Methods, one thread each: a plain PIL loop (``convert("L").resize(..., BILINEAR)``);
``keras.utils.image_dataset_from_directory`` materialised (``keras``: TensorFlow limited to
one thread); skxray ``ImageDirLoader`` with ``n_jobs=1``; and, at full resolution, skxray
with reduced DCT decoding switched off (``REDUCED_DECODING_MARGIN = inf``), which isolates
its effect. At 224 px also with two threads: ``keras-default`` (tf.data's own parallelism)
and skxray ``n_jobs=2``. Speed-ups are against the faster one-thread baseline.
``--quality`` also reports the mean absolute difference between reduced and full decoding
on the 16 real full-resolution val images and on the re-encoded set.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]
ROOT = BENCHMARKS.parent  # the children run here, to import benchmarks._common
SHARED = Path(os.environ.get("SKXRAY_SHARED", BENCHMARKS.parents[1] / "shared"))
TRAIN = SHARED / "data" / "chest_xray" / "train"
FULLRES_VAL = SHARED / "data" / "chest_xray_fullres_val"
SIZE = 128

CHILD = r"""
import json, os, resource, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["OMP_NUM_THREADS"] = "1"
method, root = sys.argv[1], sys.argv[2]
import numpy as np
import cv2
cv2.setNumThreads(1)
from PIL import Image
if method.startswith("keras"):
    import tensorflow as tf
    if method == "keras":  # one thread; "keras-default": tf.data's own parallelism
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
elif method.startswith("skxray"):
    from contextlib import nullcontext
    from benchmarks._common import full_scale_jpeg_decoding
    from skxray import ImageDirLoader, load_image_folder
    decoding = nullcontext()
    if method == "skxray-full-decode":
        decoding = full_scale_jpeg_decoding()
        method = "skxray-1"
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
if method.startswith("skxray"):
    paths = load_image_folder(root).paths
    with decoding:
        X = ImageDirLoader(image_size=128, n_jobs=int(method.split("-")[1])).transform(paths)
elif method == "pil":
    files = sorted(p for d in sorted(os.listdir(root)) for p in
                   (os.path.join(root, d, f) for f in sorted(os.listdir(os.path.join(root, d)))))
    X = np.empty((len(files), 128, 128, 1), np.float32)
    for i, f in enumerate(files):
        with Image.open(f) as im:
            X[i, ..., 0] = np.asarray(im.convert("L").resize((128, 128), Image.BILINEAR),
                                      np.float32) / 255.0
elif method.startswith("keras"):
    ds = keras.utils.image_dataset_from_directory(root, color_mode="grayscale",
        image_size=(128, 128), batch_size=64, shuffle=False, verbose=False)
    X = np.concatenate([np.asarray(x) / np.float32(255) for x, _ in ds])
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"method": method, "seconds": elapsed, "n": len(X),
                  "out_bytes": int(X.nbytes), "baseline_bytes": base, "peak_bytes": peak}))
"""


def run(method, root):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, method, str(root)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_fullres(folder, n):
    """``n`` train images (stratified by class, seed 0) re-encoded at 2000 px."""
    import numpy as np
    from PIL import Image

    from skxray import load_image_folder

    data = load_image_folder(TRAIN)
    rng = np.random.default_rng(0)
    for label, name in enumerate(data.target_names):
        (folder / name).mkdir(parents=True)
        chosen = rng.choice(data.paths[data.target == label], n // 2, replace=False)
        for path in chosen:
            with Image.open(path) as image:  # 2000 x 1600: the val originals' ~1.25 aspect
                big = image.convert("L").resize((2000, 1600), Image.BICUBIC)
            big.save(folder / name / Path(path).name, quality=95)
    return folder


def compare(root, methods, repeat):
    for f in Path(root).rglob("*.jpeg"):  # warm the page cache
        f.read_bytes()
    runs = {method: [] for method in methods}
    for _ in range(repeat):
        for method in methods:  # interleaved, so drift hits all methods alike
            runs[method].append(run(method, root))
    rows = {}
    for method, results in runs.items():
        rows[method] = {
            "n": results[0]["n"],
            "seconds_median": statistics.median(r["seconds"] for r in results),
            "seconds_all": [round(r["seconds"], 3) for r in results],
            "extra_peak_mib": statistics.median(
                (r["peak_bytes"] - r["baseline_bytes"]) / 2**20 for r in results
            ),
            "output_mib": results[0]["out_bytes"] / 2**20,
        }
    fastest = min(rows["pil"]["seconds_median"], rows["keras"]["seconds_median"])
    for row in rows.values():
        row["speedup_vs_faster_baseline"] = fastest / row["seconds_median"]
    return rows


def quality(folders):
    """Mean absolute difference, reduced vs full decoding, per folder: mean and max."""
    import numpy as np

    from benchmarks._common import full_scale_jpeg_decoding
    from skxray import decode_image

    out = {}
    for name, folder in folders.items():
        files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() == ".jpeg")
        for size in (128, 224):
            mads = []
            for path in files:
                reduced = decode_image(path, size)
                with full_scale_jpeg_decoding():
                    full = decode_image(path, size)
                mads.append(float(np.abs(reduced - full).mean()))
            out[f"{name}, {size} px"] = {
                "n": len(files),
                "mad_mean": float(np.mean(mads)),
                "mad_max": float(np.max(mads)),
            }
    return out


def table(rows):
    lines = [
        "| method | images | median s | ms/img | speed-up vs faster baseline | extra peak MiB |",
        "|---|---|---|---|---|---|",
    ]
    for method, r in rows.items():
        lines.append(
            f"| {method} | {r['n']} | {r['seconds_median']:.2f} | "
            f"{1e3 * r['seconds_median'] / r['n']:.2f} | {r['speedup_vs_faster_baseline']:.2f}x | "
            f"{r['extra_peak_mib']:.0f} |"
        )
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n-fullres", type=int, default=400)
    parser.add_argument("--skip-224", action="store_true", help="the full-resolution case only")
    parser.add_argument("--quality", action="store_true")
    parser.add_argument(
        "--out", default=str(BENCHMARKS / "results" / "bench_loader" / "bench_loader.json")
    )
    args = parser.parse_args()
    command = "python -m benchmarks.speed.bench_loader " + " ".join(sys.argv[1:])
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, one thread per method",
        "command": command.strip(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        fullres = make_fullres(Path(tmp) / "fullres", args.n_fullres)
        methods = ["pil", "keras", "skxray-1", "skxray-full-decode"]
        result["full resolution (2000 px)"] = compare(fullres, methods, args.repeat)
        if not args.skip_224:
            result["224 px"] = compare(
                TRAIN, ["pil", "keras", "skxray-1", "keras-default", "skxray-2"], args.repeat
            )
        if args.quality:
            result["quality"] = quality({"real val originals": FULLRES_VAL, "2000 px": fullres})
    for case in ("full resolution (2000 px)", "224 px"):
        if case not in result:
            continue
        print(f"\n{case}")
        print("\n".join(table(result[case])))
    if "quality" in result:
        print(json.dumps(result["quality"], indent=1))
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
