"""Load the real train split into (n, 128, 128, 1): skxray vs Keras vs a plain PIL loop.

    python benchmarks/bench_loader.py [TRAIN_DIR] [--repeat 3]

Each method runs in its own fresh subprocess, so that its peak memory (max RSS)
can be compared with the same interpreter's baseline after imports. The file
cache is warmed first, so all methods read from memory. Prints a table.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "chest_xray" / "train"
SIZE = 128

CHILD = r"""
import json, os, resource, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
method, root = sys.argv[1], sys.argv[2]
import numpy as np
from PIL import Image
if method == "keras":
    import keras
elif method.startswith("skxray"):
    from skxray import ImageDirLoader, load_image_folder
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
if method.startswith("skxray"):
    n_jobs = int(method.split("-")[1])
    paths = load_image_folder(root).paths
    X = ImageDirLoader(image_size=128, n_jobs=n_jobs).transform(paths)
elif method == "pil":
    files = sorted(p for d in sorted(os.listdir(root)) for p in
                   (os.path.join(root, d, f) for f in sorted(os.listdir(os.path.join(root, d)))))
    X = np.empty((len(files), 128, 128, 1), np.float32)
    for i, f in enumerate(files):
        with Image.open(f) as im:
            X[i, ..., 0] = np.asarray(im.convert("L").resize((128, 128), Image.BILINEAR),
                                      np.float32) / 255.0
elif method == "keras":
    ds = keras.utils.image_dataset_from_directory(root, color_mode="grayscale",
        image_size=(128, 128), batch_size=64, shuffle=False, verbose=False)
    X = np.concatenate([np.asarray(x) / np.float32(255) for x, _ in ds])
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"method": method, "seconds": elapsed, "n": len(X), "shape": list(X.shape),
                  "out_bytes": int(X.nbytes), "baseline_bytes": base, "peak_bytes": peak}))
"""


def run(method, root):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, method, str(root)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for f in Path(args.root).rglob("*.jpeg"):  # warm the page cache
        f.read_bytes()
    methods = ["pil", "keras", "skxray-1", "skxray-2"]
    best = {}
    for _ in range(args.repeat):
        for method in methods:  # interleaved, so drift hits all methods alike
            result = run(method, args.root)
            if method not in best or result["seconds"] < best[method]["seconds"]:
                best[method] = result
    fastest_other = min(best["pil"]["seconds"], best["keras"]["seconds"])
    print(
        f"{'method':<10} {'images':>6} {'seconds':>8} {'ms/img':>7} {'speed-up':>8} "
        f"{'extra peak MiB':>14} {'output MiB':>10} {'ratio':>6}"
    )
    for method in methods:
        r = best[method]
        extra = (r["peak_bytes"] - r["baseline_bytes"]) / 2**20
        out = r["out_bytes"] / 2**20
        print(
            f"{method:<10} {r['n']:>6} {r['seconds']:>8.2f} {1e3 * r['seconds'] / r['n']:>7.3f} "
            f"{fastest_other / r['seconds']:>7.2f}x {extra:>14.1f} {out:>10.1f} "
            f"{extra / out:>6.2f}"
        )
    print(
        f"speed-up: relative to the faster of pil and keras; best of {args.repeat} runs. "
        "ratio: peak memory above the post-import baseline / output array size."
    )
    print(
        f"max RSS of this parent process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
        f"python {sys.version.split()[0]}; {time.strftime('%Y-%m-%d')}"
    )


if __name__ == "__main__":
    main()
