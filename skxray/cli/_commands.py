"""The ``skxray`` commands demo, train, evaluate and predict (explain: ``_cli_explain.py``).

TensorFlow, Keras and scikit-learn are imported inside the functions, when a command runs.
"""

import os
import sys
import time
from pathlib import Path

from ._inputs_outputs import (
    CommandError,
    _load_model,
    _save_model,
    check_output_file,
    class_names,
    decode_for,
    keras_verbosity,
    loaded_model_and_images,
    make_folder,
    model_and_images,
    one_line,
    plural,
    progress,
    report_skipped,
    threshold_of,
)


def models(args):
    from ..persistence._pretrained import list_pretrained

    shipped = list_pretrained()
    if not shipped:
        raise CommandError("this installation has no shipped models")
    for entry in shipped:
        print(
            f"{entry['name']:<20} {entry['size_bytes'] / 2**20:5.2f} MiB  "
            f"classes {', '.join(entry['classes'])}; recipe {entry['recipe']} at commit "
            f"{entry['commit']}, trained on {entry['n_train']} images"
        )
    print(f"Training data: {shipped[0]['trained_on']}.")
    print("Use one with: skxray predict --model NAME PATH... (default: pneumonia)")
    return 0


def calibrate(args):
    from ..evaluation._input_check import recalibrate

    out = check_output_file(args.out, "model file")
    model, metadata, images, _, problems, rest = loaded_model_and_images(args, args.inputs)
    try:  # rest shares model's steps: model is recalibrated too
        score, quantile = recalibrate(rest, images, args.alpha)
    except ValueError as exc:
        raise CommandError(one_line(exc).removeprefix("calibrate_input_check: ")) from exc
    before, after = int((score > 1).sum()), int((score > quantile).sum())
    provenance = dict(metadata.get("provenance") or {})
    provenance["input_check"] = {"calibrated_on": len(images), "alpha": args.alpha}
    _save_model(
        model,
        out,
        target_names=list(metadata["class_names"]),
        threshold=metadata.get("threshold") or 0.5,  # None: three classes, most probable
        training_paths=metadata.get("training_data"),  # the original's fingerprint, kept
        provenance=provenance,
    )
    print(
        f"Calibrated the input check on {plural(len(images), 'image')} at alpha {args.alpha:g}: "
        f"{before} of them were unlike the training images before, {after} now; wrote {out}"
        + report_skipped(problems)
    )
    print(f"Use it with: skxray predict --model {out} PATH...")
    return 0


def predict(args):
    import csv

    from ..io._files import display_path

    out = check_output_file(args.out, "predictions file")
    names, positive, threshold, images, paths, problems, rest = model_and_images(args, args.inputs)
    progress(args, f"predicting {plural(len(paths), 'image')}...")
    proba = rest.predict_proba(images)
    from ..evaluation._input_check import check_inputs

    warnings = check_inputs(rest, images, paths=paths).reasons
    if positive is None:  # three classes or more: the most probable
        header = ["path", *(f"probability_{name.lower()}" for name in names), "label"]
        labels = [names[k] for k in proba.argmax(axis=1)]
        rows = [
            [*(f"{p:.6f}" for p in row), label] for row, label in zip(proba, labels, strict=True)
        ]
        rule = "by the most probable class"
    else:
        header = ["path", "probability_pneumonia", "label", "threshold"]
        proba = proba[:, positive]
        labels = [names[positive] if p >= threshold else names[1 - positive] for p in proba]
        rows = [[f"{p:.6f}", label, threshold] for p, label in zip(proba, labels, strict=True)]
        rule = f"at threshold {threshold:g}"
    partial = out.with_name(f".{out.name}.partial")  # renamed once complete: no half CSV
    try:
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([*header, "warning"])
            for path, row, warning in zip(paths, rows, warnings, strict=True):
                writer.writerow([display_path(path), *row, warning])
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CommandError(f"cannot write predictions file {out}: {exc.strerror}") from exc
    counts = ", ".join(f"{labels.count(name)} {name}" for name in names)
    print(
        f"Predicted {plural(len(paths), 'image')} ({counts} {rule}); wrote {out}"
        + report_skipped(problems)
    )
    flagged = sum(bool(w) for w in warnings)
    if flagged:
        print(
            f"{plural(flagged, 'image')} flagged as probably not a chest X-ray this model can "
            "judge (see the warning column); their predictions mean little."
        )
    return 0


def evaluate(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import evaluate as evaluate_model
    from .. import load_image_folder, write_model_card
    from ..io._labels import SUBTYPE_NAMES, fit_labels

    out = make_folder(args.out)
    model, metadata = _load_model(args.model, args)
    names, _ = class_names(model, metadata)
    threshold = threshold_of(args, metadata, len(names))
    # A model of the subtypes is scored on the subtypes of DATA_DIR's NORMAL/ and PNEUMONIA/.
    target = "subtype" if sorted(names) == sorted(SUBTYPE_NAMES) else "folder"
    data = load_image_folder(args.data_dir, target=target)
    if len(data.target_names) != len(names):
        raise CommandError(
            f"{args.data_dir} holds {len(data.target_names)} classes {data.target_names}, the "
            f"model {len(names)} {names}"
        )
    images, _, _, rest = decode_for(model, args.model, data.paths, args)
    progress(
        args, f"scoring {plural(len(images), 'image')}, {args.bootstrap} bootstrap resamples..."
    )
    y = data.target
    if all(isinstance(c, str) for c in model.classes_):  # classes_ are names: labels too
        y = fit_labels(data.target, data.target_names)
    report = evaluate_model(
        rest,
        images,
        y,
        threshold=0.5 if threshold is None else threshold,
        n_bootstrap=args.bootstrap,
        random_state=0,
        target_names=list(names),
    )
    from ..persistence._model_file import _fingerprint

    recorded = (metadata.get("training_data") or {}).get("sha256")
    own = recorded is not None and _fingerprint(data.paths)["sha256"] == recorded
    print(
        f"{args.model} on {args.data_dir}: {len(data.target)} images, classes {data.target_names}"
    )
    if own:
        print(
            "warning: these are the model's own training images (their names match its "
            "training-data fingerprint): the scores are not held-out.",
            file=sys.stderr,
        )
    print(report)
    report.figure_.savefig(out / "evaluation.png", dpi=100)
    plt.close(report.figure_)
    written = ["evaluation.png"]
    if args.card:
        report.data = f"{args.data_dir}, {len(data.target)} images"
        write_model_card(
            out / "MODEL_CARD.md",
            {**metadata, "threshold": threshold},  # None: the most probable class
            report=report,
            figures=["evaluation.png"],
            title=f"skxray model {Path(args.model).name}",
            on_training_images=own,
        )
        written.append("MODEL_CARD.md")
    print(f"Wrote {', '.join(written)} to {out}/")
    return 0


def _imagenet_weights_message(exc):
    from ..models._weights import IMAGENET_FILE, IMAGENET_URL

    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    cause = f" ({one_line(exc.__cause__)})" if exc.__cause__ is not None else ""
    return (
        f"the inception preset needs the ImageNet Inception-V3 weights, which are not cached "
        f"and could not be downloaded{cause}. Download {IMAGENET_URL} on a machine with "
        f"internet access, then pass it with --weights PATH (or put it at "
        f"{os.path.join(home, 'models', IMAGENET_FILE)})"
    )


def train(args):
    from .. import (
        WeightsNotAvailableError,
        load_image_folder,
        load_metadata,
        recommended_classifier,
        write_model_card,
    )
    from ..io._labels import fit_labels
    from ..utils._estimators import members

    out = check_output_file(args.out, "model file")
    weights = "imagenet" if args.weights is None else args.weights
    weights = weights.lower() if weights.lower() in ("imagenet", "none") else weights
    if args.old_preset is not None:
        print("skxray: warning: --preset is deprecated; use --recipe", file=sys.stderr)
        args.recipe = args.old_preset
    if args.weights is not None and args.recipe != "inception":
        raise CommandError(f"--weights is for the inception recipe, not {args.recipe!r}")
    if weights == "none":
        weights = None
    elif weights != "imagenet" and not os.path.isfile(weights):
        raise CommandError(f"weights file {weights} (--weights) does not exist")
    if args.skip_bad:  # decode every file once now, so that a bad one is skipped, not fatal
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # each skipped file is listed on stderr below
            data = load_image_folder(
                args.data_dir, target=args.target, check_images=True, on_error="skip", n_jobs=-1
            )
    else:
        data = load_image_folder(args.data_dir, target=args.target)
    clf = recommended_classifier(
        args.recipe, weights=weights, n_seeds=args.seeds, paths=True, verbose=keras_verbosity(args)
    )
    if args.epochs is not None:
        for member in members(clf):
            member.set_params(epochs=args.epochs)
    progress(
        args,
        f"skxray train: {len(data.target)} images in {args.data_dir}, classes "
        f"{data.target_names}; recipe {args.recipe!r}, {len(members(clf))} seed(s).",
    )
    clf.set_params(imagedirloader__n_jobs=-1)
    progress(args, "training...")
    start = time.perf_counter()
    try:
        clf.fit(data.paths, fit_labels(data.target, data.target_names))
    except WeightsNotAvailableError as exc:
        raise CommandError(_imagenet_weights_message(exc)) from exc
    # Three classes or more are fitted on their names, which classes_ then records.
    names = data.target_names if len(data.target_names) == 2 else None
    _save_model(clf, out, target_names=names, training_paths=list(data.paths))
    card = out.with_name("MODEL_CARD.md")
    write_model_card(
        card, load_metadata(out), title=f"skxray model {out.name} (recipe {args.recipe})"
    )
    print(
        f"Fitted in {time.perf_counter() - start:.0f} s; saved to {out}, model card {card}"
        + report_skipped(getattr(data, "skipped", []) if args.skip_bad else [])
    )
    print(f"Score it on held-out data with: skxray evaluate {out} DATA_DIR")
    return 0


def demo(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay
    from sklearn.model_selection import StratifiedGroupKFold

    from .. import binary_scores, plot_heatmaps, plot_learning_curves, recommended_classifier
    from ..datasets import ATTRIBUTION, load_sample_xrays
    from ..explain._plot import showcase_indices
    from ..models._recipe import DEFAULT_RECIPE

    out = make_folder(args.out)
    if args.save:
        check_output_file(args.save, "model file")
    data = load_sample_xrays(image_size=args.image_size)
    splitter = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=args.seed)
    train_idx, test = next(splitter.split(data.images, data.target, data.groups))
    print(
        f"skxray demo: {len(train_idx)} training and {len(test)} held-out real chest X-rays "
        f"({args.image_size} px), no patient in both."
    )
    # The default recipe with one seed; with only 150 training images it needs more
    # epochs than on the full train split.
    verbose = keras_verbosity(args) if args.progress else 0
    clf = recommended_classifier(n_seeds=1, random_state=args.seed, verbose=verbose)
    clf.set_params(classifier__epochs=args.epochs)
    clf.set_params(classifier__validation_split=0.2)  # for the learning curves
    progress(args, "training...")
    start = time.perf_counter()
    clf.fit(data.images[train_idx], data.target[train_idx])
    fit_time = time.perf_counter() - start
    proba = clf.predict_proba(data.images[test])[:, 1]
    scores = binary_scores(data.target[test], proba)
    cnn = clf[-1]
    print(
        f"\nTrained the recommended recipe ({DEFAULT_RECIPE}, one seed) for {cnn.n_epochs_} "
        f"epochs in {fit_time:.0f} s."
    )
    print("Held-out scores (PNEUMONIA positive):")
    for key in ("f1", "precision", "sensitivity", "specificity", "roc_auc", "accuracy"):
        print(f"  {key:<12} {scores[key]:.3f}")
    cm = scores["confusion_matrix"]
    print("Confusion matrix (rows: true NORMAL/PNEUMONIA; columns: predicted):")
    for name, row in zip(data.target_names, cm, strict=True):
        print(f"  {name:<10} {row[0]:>4} {row[1]:>4}")

    figures = {"learning_curves.png": plot_learning_curves(cnn).figure_}
    _, ax = plt.subplots(figsize=(5, 4.2), layout="constrained")  # room for the labels
    cm_display = ConfusionMatrixDisplay(cm, display_labels=data.target_names).plot(ax=ax)
    figures["confusion_matrix.png"] = cm_display.figure_
    # Both classes, and the worst error if there is one: not only confident pneumonia calls.
    idx = test[showcase_indices(data.target[test], proba, n=4)]
    progress(args, f"explaining {len(idx)} images...")
    figures["heatmaps.png"] = plot_heatmaps(
        clf, data.images[idx], y_true=data.target[idx], target_names=data.target_names
    ).figure_
    for name, figure in figures.items():
        figure.savefig(out / name, dpi=100)
        plt.close(figure)
    written = list(figures)
    if args.save:
        _save_model(clf, args.save, target_names=data.target_names)
        written.append(f"model {args.save}")
    print(f"Wrote {', '.join(written)} to {out}/")
    print(f"\n{ATTRIBUTION}")
    return 0
