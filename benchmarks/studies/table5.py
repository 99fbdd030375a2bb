"""The 2018 report's Table 5, re-run honestly with patient-grouped cross-validation.

    python -m benchmarks.studies.table5 run [--models all] [--size 96] [--epochs 5] [--folds 5]
    python -m benchmarks.studies.table5 report   # (run ends with it too)

``run`` evaluates each model with ``StratifiedGroupKFold`` (groups = patients from the
file names, so no patient is in both training and validation) on
``../shared/data/chest_xray/train`` and writes one JSON file per model to
``benchmarks/results/table5/models/``, with the fold scores, the settings, the Keras backend
and the machine. ``report`` reads every JSON there and writes, to ``benchmarks/results/table5/``,
``table5.md`` (mean ± std over folds; for the docs, the scores as ``table5.csv`` and each
row's settings as ``table5_settings.csv``), then sets the CV figures beside the
independently measured test-split figures of ``table5_test_split.csv`` (in the same folder)
and the report's own figure (``table5_compare.csv``), plots the three (``table5.png``), and
puts both tables into ``benchmarks/README.md`` between its ``<!-- table5 -->`` and
``<!-- table5_compare -->`` markers. A test-split figure is shown only while the model's
parameters match those recorded with it (``settings_params``).

Models: ``trivial`` (all PNEUMONIA), ``vanilla`` (report's CNN, rmsprop), ``optimized_adam``
and ``optimized_sgd`` (report's optimized CNN with training-time augmentation),
``inception_bottleneck`` and ``inception_finetune`` (stand-in pretrained weights from
``../shared/weights/build_standin.py``; ``$SKXRAY_STANDIN_WEIGHTS`` overrides the path).
"""

import argparse
import csv
import inspect
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from benchmarks._common import INCEPTION, RESULTS, train_subset, write_between_markers
from benchmarks._protocol import grouped_folds

OUT = RESULTS / "table5"  # the tables, the plot and the test-split figures
MODEL_RESULTS = OUT / "models"  # one JSON file per model run
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

    from skxray import ImageDirLoader, binary_scores

    paths, y, groups = train_subset(args.n)
    idx = np.arange(len(paths))
    folds = grouped_folds(idx, y, groups, args.folds)
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


TEST_SPLIT = OUT / "table5_test_split.csv"
TEST_KEYS = ("f1", "accuracy", "roc_auc", "specificity")


def model_settings(name, args):
    """A Table 5 model's parameters as ``{name: repr(value)}`` (weights path left out)."""
    if name == "trivial":
        return {}
    params = make_model(name, args).get_params(deep=True)
    return {
        k: repr(v)
        for k, v in params.items()
        if not k.endswith("weights") and not hasattr(v, "get_params")
    }


def resolved_settings(name, args):
    """``{key: repr(value)}`` of each ScratchCNNClassifier architecture parameter as its
    preset resolves it: a parameter whose default became ``None`` ("the preset's", e.g.
    ``head_pooling``) still matches the value recorded when it was explicit."""
    if name == "trivial":
        return {}
    from skxray import ScratchCNNClassifier

    model = make_model(name, args)
    owners = {"": model, **model.get_params(deep=True)}
    out = {}
    for owner, obj in owners.items():
        if isinstance(obj, ScratchCNNClassifier):
            prefix = f"{owner}__" if owner else ""
            out.update({prefix + k: repr(v) for k, v in obj._architecture().items()})
    return out


def _default(model, key):
    """``repr`` of the default of parameter ``key`` (``owner__name`` for nested ones)."""
    owner, _, param = key.rpartition("__")
    obj = model.get_params(deep=True)[owner] if owner else model
    parameter = inspect.signature(type(obj).__init__).parameters.get(param)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return repr(parameter.default)


def settings_changed(name, recorded, args):
    """Whether the model ``name`` builds now differs from the ``recorded`` settings.

    A parameter added since the recording counts as a change only when it is not at its
    default, so that new options which leave the model as it was do not hide figures.
    """
    current = model_settings(name, args)
    resolved = resolved_settings(name, args)
    if any(current.get(k) != v and resolved.get(k) != v for k, v in recorded.items()):
        return True
    model = None if name == "trivial" else make_model(name, args)
    return any(v != _default(model, k) for k, v in current.items() if k not in recorded)


def test_split_rows(args):
    """The independently measured test-split figures, keyed by model; stale ones flagged.

    A figure is shown only for the model it was measured on: when a model's settings now
    differ from those recorded with the figure (``settings``, JSON), the row says so
    instead of carrying the number over.
    """
    if not TEST_SPLIT.exists():
        return {}
    rows = {}
    with open(TEST_SPLIT, newline="") as f:
        for row in csv.DictReader(f):
            recorded = json.loads(row.get("settings_params") or "null")
            row["stale"] = recorded is None or settings_changed(row["model"], recorded, args)
            rows[row["model"]] = row
    return rows


def _cv_means(record):
    keys = ("f1", "accuracy", "roc_auc", "sensitivity", "specificity", "fit_time")
    return {k: np.array([f[k] for f in record["folds"]], dtype=float) for k in keys}


def report(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = Path(args.results)
    order = {m: i for i, m in enumerate(MODELS)}
    records = [json.loads(p.read_text()) for p in sorted(results.glob("*.json"))]
    records.sort(key=lambda r: order.get(r["model"], len(MODELS)))  # stable: tagged runs after
    tests = test_split_rows(args)

    # 1. CV details: mean ± std over folds, with each row's settings and machine.
    lines = [
        "| model | F1 | accuracy | ROC-AUC | sensitivity | specificity | fit time (s) "
        "| images, size, epochs | backend, machine, date |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = []
    for r in records:
        values = _cv_means(r)
        cells = [f"{np.nanmean(v):.3f} ± {np.nanstd(v):.3f}" for k, v in values.items()]
        cells[-1] = f"{values['fit_time'].mean():.0f} ± {values['fit_time'].std():.0f}"
        setting = f"{r['n_images']}, {r['image_size'] or '-'} px, {r['epochs'] or '-'}"
        machine = "GPU" if "GPU" in r["machine"] else f"{r['machine'].split()[-2]} CPU cores"
        rows.append([r["label"], *cells, setting, f"{r['backend']}, {machine}, {r['date']}"])
        lines.append("| " + " | ".join(rows[-1]) + " |")

    # 2. The three sources side by side: CV (ours), the test split, the report.
    head = (
        ["model", "CV on train (ours): F1", "test split: F1", "test split: accuracy"]
        + ["test split: ROC-AUC", "test split: specificity", "the report: 'F1' (= test accuracy)"]
        + ["test split measured at"]
    )
    compare = [head]
    plotted = []
    for r in records:
        if r["label"] != LABELS.get(r["model"]):  # tagged runs (other settings) are not compared
            continue
        cv_f1 = float(np.nanmean(_cv_means(r)["f1"]))
        test = tests.get(r["model"])
        if test is None or test["stale"]:
            why = (
                "not measured"
                if test is None
                else (f"settings changed since {test['commit']}: re-measure")
            )
            compare.append([r["label"], f"{cv_f1:.3f}", "–", "–", "–", "–", "–", why])
            continue
        report_figure = test["report_figure"] or "–"
        compare.append(
            [
                r["label"],
                f"{cv_f1:.3f}",
                *(test[k] for k in TEST_KEYS),
                report_figure,
                f"{test['commit']}, {test['date']}",
            ]
        )
        plotted.append((r["label"], cv_f1, float(test["f1"]), test["report_figure"]))

    fig, ax = plt.subplots(figsize=(7, 4.3), layout="constrained")
    for i, (_, cv_f1, test_f1, report_figure) in enumerate(plotted):
        y = len(plotted) - 1 - i
        ax.plot([test_f1, cv_f1], [y, y], color="0.75", zorder=1)
        ax.scatter(cv_f1, y, marker="o", color="C0", zorder=2, label="CV F1 on train (ours)")
        ax.scatter(test_f1, y, marker="s", color="C3", zorder=2, label="test-split F1")
        if report_figure:
            ax.scatter(
                float(report_figure),
                y,
                marker="x",
                color="k",
                zorder=3,
                label="the report's 'F1' (= test accuracy)",
            )
    ax.set_yticks(range(len(plotted)), [p[0] for p in plotted][::-1], fontsize=8)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(unique.values(), unique.keys(), fontsize=7, loc="outside lower center", ncols=3)
    ax.set(xlabel="score", title="Table 5: cross-validation ranks the models nearly in reverse")
    ax.grid(alpha=0.3, axis="x")
    fig.savefig(OUT / "table5.png", dpi=110)

    (OUT / "table5.md").write_text("\n".join(lines) + "\n")
    # For the docs: the scores, and the settings of each row in a second, narrow table, so
    # that neither is wider than the page's column.
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    with open(OUT / "table5.csv", "w", newline="") as f:
        csv.writer(f).writerows([header[:7], *(row[:7] for row in rows)])
    with open(OUT / "table5_settings.csv", "w", newline="") as f:
        csv.writer(f).writerows([[header[0], *header[7:]], *([row[0], *row[7:]] for row in rows)])
    with open(OUT / "table5_compare.csv", "w", newline="") as f:
        csv.writer(f).writerows(compare)
    md_compare = ["| " + " | ".join(compare[0]) + " |", "|" + "---|" * len(compare[0])]
    md_compare += ["| " + " | ".join(row) + " |" for row in compare[1:]]
    write_between_markers("table5", lines)
    write_between_markers("table5_compare", md_compare)
    print("\n".join(md_compare + [""] + lines))


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
    parser.add_argument("--results", default=str(MODEL_RESULTS), help="folder of the JSON files")
    args = parser.parse_args()
    (run if args.command == "run" else report)(args)


if __name__ == "__main__":
    main()
