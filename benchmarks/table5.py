"""The 2018 report's Table 5, re-run honestly with patient-grouped cross-validation.

    python benchmarks/table5.py run [--models all] [--size 96] [--epochs 5] [--folds 5]
    python benchmarks/table5.py report   # (run ends with it too)

``run`` evaluates each model with ``StratifiedGroupKFold`` (groups = patients from the
file names, so no patient is in both training and validation) on
``../shared/data/chest_xray/train`` and writes one JSON file per model to
``benchmarks/table5_results/``, with the fold scores, the settings, the Keras backend and the
machine. ``report`` reads every JSON there and writes ``benchmarks/table5.md`` (mean ±
std over folds; also as ``table5.csv`` for the docs) and ``benchmarks/table5.png`` (F1
vs fit time, with error bars), and puts the table into ``benchmarks/README.md`` between
its ``<!-- table5 -->`` markers.

Models: ``trivial`` (all PNEUMONIA), ``vanilla`` (report's CNN, rmsprop), ``optimized_adam``
and ``optimized_sgd`` (report's optimized CNN with training-time augmentation),
``inception_bottleneck`` and ``inception_finetune`` (stand-in pretrained weights from
``../shared/weights/build_standin.py``; ``$SKXRAY_STANDIN_WEIGHTS`` overrides the path).
"""

import argparse
import csv
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from _common import INCEPTION, train_subset, write_between_markers

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "table5_results"
MODELS = (
    "trivial",
    "vanilla",
    "optimized_adam",
    "optimized_sgd",
    "inception_bottleneck",
    "inception_finetune",
)
LABELS = {
    "trivial": "All PNEUMONIA (trivial)",
    "vanilla": "Vanilla CNN (rmsprop)",
    "optimized_adam": "Optimized CNN (adam, augmentation)",
    "optimized_sgd": "Optimized CNN (sgd, augmentation)",
    "inception_bottleneck": "Inception-V3 bottleneck",
    "inception_finetune": "Inception-V3 fine-tuned (top 2 blocks)",
}


def make_model(name, args):
    from skxray import InceptionTransferClassifier, ScratchCNNClassifier, XrayAugmenter

    cnn = dict(epochs=args.epochs, batch_size=32, random_state=0)
    if name == "vanilla":
        return ScratchCNNClassifier("vanilla", optimizer="rmsprop", **cnn)
    if name == "optimized_adam":
        return ScratchCNNClassifier("optimized", optimizer="adam", augmenter=XrayAugmenter(), **cnn)
    if name == "optimized_sgd":
        return ScratchCNNClassifier(
            "optimized",
            optimizer="sgd",
            optimizer__learning_rate=0.01,
            optimizer__momentum=0.9,
            optimizer__nesterov=True,
            augmenter=XrayAugmenter(),
            **cnn,
        )
    transfer = {**INCEPTION, "input_size": args.inception_size}
    if name == "inception_bottleneck":
        return InceptionTransferClassifier("bottleneck", **transfer)
    return InceptionTransferClassifier(
        "fine_tune",
        n_trainable_blocks=2,
        fine_tune_epochs=3,
        fine_tune_learning_rate=1e-5,
        **transfer,
    )


def run(args):
    import keras
    from sklearn.model_selection import StratifiedGroupKFold

    from skxray import ImageDirLoader, binary_scores

    paths, y, groups = train_subset(args.n)
    idx = np.arange(len(paths))
    folds = list(
        StratifiedGroupKFold(args.folds, shuffle=True, random_state=0).split(idx, y, groups)
    )
    images = {}
    results = Path(args.results)
    results.mkdir(exist_ok=True, parents=True)
    names = MODELS if args.models == "all" else args.models.split(",")
    for name in names:
        size = args.inception_size if name.startswith("inception") else args.size
        if name != "trivial" and size not in images:
            images[size] = ImageDirLoader(size, n_jobs=-1).transform(paths)
        rows = []
        for k, (train, test) in enumerate(folds):
            start = time.perf_counter()
            if name == "trivial":
                proba = np.ones(len(test))
            else:
                model = make_model(name, args).fit(images[size][train], y[train])
                proba = model.predict_proba(images[size][test])[:, 1]
            fit_time = time.perf_counter() - start
            scores = binary_scores(y[test], proba)
            scores.pop("confusion_matrix")
            rows.append({**scores, "fit_time": fit_time})
            print(
                f"{name} fold {k}: " + ", ".join(f"{key} {v:.3f}" for key, v in rows[-1].items()),
                flush=True,
            )
        record = {
            "model": name,
            "label": LABELS[name],
            "folds": rows,
            "n_images": len(idx),
            "image_size": None if name == "trivial" else size,
            "epochs": (
                None
                if name == "trivial"
                else "15 (head) + 3 (top blocks)"
                if name == "inception_finetune"
                else 15
                if name == "inception_bottleneck"
                else args.epochs
            ),
            "backend": keras.backend.backend(),
            "machine": _machine(),
            "date": time.strftime("%Y-%m-%d"),
        }
        if args.tag:
            record["label"] += f" ({args.tag})"
        stem = name + (f"_{args.tag}" if args.tag else "")
        (results / f"{stem}.json").write_text(json.dumps(record, indent=1))
    report(args)


def _machine():
    cores = os.cpu_count()
    gpu = ""
    try:
        import torch

        if torch.cuda.is_available():
            gpu = ", GPU " + torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return f"{platform.machine()} {platform.processor() or ''} {cores} cores{gpu}".strip()


def report(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = Path(args.results)
    order = {m: i for i, m in enumerate(MODELS)}
    records = [json.loads(p.read_text()) for p in sorted(results.glob("*.json"))]
    records.sort(key=lambda r: order.get(r["model"], len(MODELS)))  # stable: tagged runs after
    keys = ("f1", "accuracy", "roc_auc", "sensitivity", "specificity", "fit_time")
    lines = [
        "| model | F1 | accuracy | ROC-AUC | sensitivity | specificity | fit time (s) "
        "| images, size, epochs | backend, machine, date |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = []
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    for r in records:
        values = {k: np.array([f[k] for f in r["folds"]], dtype=float) for k in keys}
        cells = [
            f"{np.nanmean(v):.3f} ± {np.nanstd(v):.3f}"
            for k, v in values.items()
            if k != "fit_time"
        ]
        cells.append(f"{values['fit_time'].mean():.0f} ± {values['fit_time'].std():.0f}")
        setting = f"{r['n_images']}, {r['image_size'] or '-'} px, {r['epochs'] or '-'}"
        rows.append([r["label"], *cells, setting, f"{r['backend']}, {r['machine']}, {r['date']}"])
        lines.append("| " + " | ".join(rows[-1]) + " |")
        ax.errorbar(
            values["fit_time"].mean(),
            values["f1"].mean(),
            xerr=values["fit_time"].std(),
            yerr=values["f1"].std(),
            fmt="o",
            mfc="none" if "GPU" in r["machine"] else None,  # hollow: another machine's time
            capsize=3,
            label=r["label"],
        )
    ax.set(
        xlabel="fit time per fold (s); hollow marker: GPU machine",
        ylabel="F1 (PNEUMONIA), mean ± std over folds",
        title="Grouped 5-fold CV on the chest X-ray train split",
    )
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.savefig(HERE / "table5.png", dpi=110)
    (HERE / "table5.md").write_text("\n".join(lines) + "\n")
    with open(HERE / "table5.csv", "w", newline="") as f:  # for the docs' csv-table
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        csv.writer(f).writerows([header, *rows])
    write_between_markers("table5", lines)
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "report"])
    parser.add_argument("--models", default="all", help=f"comma-separated of {MODELS}")
    parser.add_argument("--size", type=int, default=96, help="CNN image size")
    parser.add_argument("--inception-size", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=5, help="CNN epochs")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n", type=int, default=0, help="random subset size (0: all)")
    parser.add_argument("--tag", default="", help="suffix for the label and the file name")
    parser.add_argument("--results", default=str(RESULTS), help="folder of the JSON files")
    args = parser.parse_args()
    (run if args.command == "run" else report)(args)


if __name__ == "__main__":
    main()
