"""The ``skxray`` command line: ``skxray demo``, ``skxray train`` and ``skxray evaluate``."""

import argparse
import os
import sys
import time
from pathlib import Path


def _demo(args):
    import matplotlib

    matplotlib.use("Agg")
    from sklearn.metrics import ConfusionMatrixDisplay
    from sklearn.model_selection import StratifiedGroupKFold

    from . import binary_scores, plot_learning_curves, recommended_classifier
    from ._recipe import DEFAULT_PRESET
    from .datasets import ATTRIBUTION, load_sample_xrays

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_sample_xrays(image_size=args.image_size)
    splitter = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=args.seed)
    train, test = next(splitter.split(data.images, data.target, data.groups))
    print(
        f"skxray demo: {len(train)} training and {len(test)} held-out real chest X-rays "
        f"({args.image_size} px), no patient in both."
    )
    # The default recipe with one seed; with only 150 training images it needs more
    # epochs than on the full train split.
    clf = recommended_classifier(
        n_seeds=1, random_state=args.seed, verbose=1 if args.progress else 0
    )
    clf.set_params(classifier__epochs=args.epochs)
    clf.set_params(classifier__validation_split=0.2)  # for the learning curves
    start = time.perf_counter()
    clf.fit(data.images[train], data.target[train])
    fit_time = time.perf_counter() - start
    proba = clf.predict_proba(data.images[test])[:, 1]
    scores = binary_scores(data.target[test], proba)
    cnn = clf[-1]
    print(
        f"\nTrained the recommended recipe ({DEFAULT_PRESET}, one seed) for {cnn.n_epochs_} "
        f"epochs in {fit_time:.0f} s."
    )
    print("Held-out scores (PNEUMONIA positive):")
    for key in ("f1", "precision", "sensitivity", "specificity", "roc_auc", "accuracy"):
        print(f"  {key:<12} {scores[key]:.3f}")
    cm = scores["confusion_matrix"]
    print("Confusion matrix (rows: true NORMAL/PNEUMONIA; columns: predicted):")
    for name, row in zip(data.target_names, cm, strict=True):
        print(f"  {name:<10} {row[0]:>4} {row[1]:>4}")

    display = plot_learning_curves(cnn)
    display.figure_.savefig(out / "learning_curves.png", dpi=100)
    cm_display = ConfusionMatrixDisplay(cm, display_labels=data.target_names).plot()
    cm_display.figure_.savefig(out / "confusion_matrix.png", dpi=100)
    written = ["learning_curves.png", "confusion_matrix.png"]
    written += _write_heatmaps(clf, data, test, proba, out)
    if args.save:
        import joblib

        joblib.dump(clf, args.save)
        written.append(f"model {args.save}")
    print(f"Wrote {', '.join(written)} to {out}/")
    print(f"\n{ATTRIBUTION}")
    return 0


def _write_heatmaps(clf, data, test, proba, out):
    import numpy as np

    from . import plot_heatmaps

    idx = test[np.argsort(-proba)[:4]]  # the four most confident pneumonia calls
    display = plot_heatmaps(
        clf, data.images[idx], y_true=data.target[idx], target_names=data.target_names
    )
    display.figure_.savefig(out / "heatmaps.png", dpi=100)
    return ["heatmaps.png"]


def _evaluate(args):
    import matplotlib

    matplotlib.use("Agg")
    import joblib

    from . import ImageDirLoader, evaluate, load_image_folder

    model = joblib.load(args.model)
    data = load_image_folder(args.data_dir)
    first = model.steps[0][1] if hasattr(model, "steps") else model
    if isinstance(first, ImageDirLoader):  # the Pipeline reads the paths itself
        X = data.paths
    else:
        height, width, channels = _image_shape(model)
        X = ImageDirLoader(
            (height, width), color_mode="rgb" if channels == 3 else "grayscale", n_jobs=-1
        ).transform(data.paths)
    report = evaluate(
        model, X, data.target, threshold=args.threshold, n_bootstrap=args.bootstrap, random_state=0
    )
    print(
        f"{args.model} on {args.data_dir}: {len(data.target)} images, classes {data.target_names}"
    )
    print(report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report.figure_.savefig(out / "evaluation.png", dpi=100)
    print(f"Wrote evaluation.png to {out}/")
    return 0


def _image_shape(model):
    """The (H, W, C) a fitted model (Pipeline, ensemble or skxray classifier) was fitted on."""
    from ._utils import final_estimator, members

    shape = getattr(members(model)[0], "image_shape_", None)
    if shape is None:
        raise SystemExit(
            f"skxray evaluate: cannot tell which image size {type(final_estimator(model)).__name__}"
            " expects; "
            "save a Pipeline that starts with an ImageDirLoader instead."
        )
    return shape


def _train(args):
    import joblib

    from . import load_image_folder, recommended_classifier
    from ._utils import members

    weights = None if args.weights.lower() == "none" else args.weights
    data = load_image_folder(args.data_dir)
    clf = recommended_classifier(args.preset, weights=weights, n_seeds=args.seeds, paths=True)
    n_seeds = len(members(clf))
    print(
        f"skxray train: {len(data.target)} images in {args.data_dir}, classes "
        f"{data.target_names}; preset {args.preset!r}, {n_seeds} seed(s)."
    )
    clf.set_params(imagedirloader__n_jobs=-1)
    start = time.perf_counter()
    clf.fit(data.paths, data.target)
    joblib.dump(clf, args.out)
    print(f"Fitted in {time.perf_counter() - start:.0f} s; saved to {args.out}")
    print(f"Score it on held-out data with: skxray evaluate {args.out} DATA_DIR")
    return 0


def main(argv=None):
    """Entry point of the ``skxray`` command."""
    from ._recipe import DEFAULT_PRESET, RECIPES

    parser = argparse.ArgumentParser(prog="skxray", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="train the recommended recipe on the bundled real sample, "
        "print held-out scores and write plots",
    )
    demo.add_argument("--out", default="skxray-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--epochs", type=int, default=20, help="training epochs (default: 20)")
    demo.add_argument("--image-size", type=int, default=128, help="pixels (default: 128)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument(
        "--no-progress", dest="progress", action="store_false", help="hide the Keras progress bar"
    )
    demo.add_argument("--save", default=None, help="also save the fitted model (joblib)")
    tr = sub.add_parser(
        "train",
        help="fit the recommended recipe (recommended_classifier) on a folder tree and "
        "save it with joblib",
    )
    tr.add_argument("data_dir", help="folder with one sub-folder per class")
    tr.add_argument("--out", default="skxray-model.joblib", help="model file (joblib)")
    tr.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        choices=sorted(RECIPES),
        help=f"recipe, a key of skxray.RECIPES (default: {DEFAULT_PRESET})",
    )
    tr.add_argument(
        "--weights",
        default="imagenet",
        help="weights of the inception preset: imagenet, a weights file, or none (tests only)",
    )
    tr.add_argument(
        "--seeds", type=int, default=None, help="classifiers to average (default: the preset's)"
    )
    ev = sub.add_parser(
        "evaluate",
        help="score a saved model on a folder tree with bootstrap 95%% confidence intervals, "
        "and plot ROC, calibration and confusion matrix",
    )
    ev.add_argument("model", help="a model saved with joblib (skxray train, or skxray demo --save)")
    ev.add_argument("data_dir", help="folder with one sub-folder per class")
    ev.add_argument("--threshold", type=float, default=0.5, help="decision threshold")
    ev.add_argument("--bootstrap", type=int, default=1000, help="resamples (default: 1000)")
    ev.add_argument("--out", default="skxray-evaluation", help="output folder")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.command == "demo":
        return _demo(args)
    if args.command == "train":
        return _train(args)
    if args.command == "evaluate":
        return _evaluate(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
