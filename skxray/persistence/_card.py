"""MODEL_CARD.md: what a saved model is for, what it was trained on, how well it scored."""

import datetime
from pathlib import Path

from ..utils._param_validation import validate_params

_INTENDED_USE = """\
Research on pneumonia detection in paediatric chest X-rays (antero-posterior films of
children aged one to five, as in Kermany et al. 2018). It is **not for diagnosis**: it is
not a medical device, it was not validated clinically, and its output must not guide the
care of a patient.
"""

_LIMITS = """\
- **Cross-validation overestimates.** An earlier default recipe of skxray promised F1
  0.969 in patient-grouped cross-validation on the training split, but on the independent
  624-image test split it reached F1 0.822-0.851 and called 55-71 % of the normal X-rays
  pneumonia (`benchmarks/independent_test/` in the skxray repository: one file per commit
  scored). Scores measured on images like the training images say little about other
  hospitals, machines or populations.
- **Shortcuts.** A network can learn the acquisition (collimation edge, side markers, text,
  exposure) instead of the lungs. Check a model with `skxray.shortcut_audit` and its
  heatmaps (`skxray explain`) on your own images.
- **Population.** Trained on one hospital's paediatric films; adults, other views, other
  scanners and other diseases were not in the training data.
- **Threshold.** Labels use the decision threshold given under "Model"; sensitivity and
  specificity trade off against each other as it moves. Choose it on held-out data from the
  place of use.
"""


def _fmt(value):
    return "n/a" if value is None else f"{value:.3f}"


def _decision_lines(metadata):
    names = [str(name) for name in metadata.get("class_names", [])]
    if len(names) > 2:
        return [
            f"- Classes: {', '.join(names)}.",
            "- Decision: the most probable class (no threshold).",
        ]
    return [
        f"- Classes: {', '.join(names) or 'unknown'} (the last is the positive class).",
        f"- Decision threshold: {metadata.get('threshold', 'unknown')} on the probability of "
        "the positive class.",
    ]


def _metric_lines(report, on_training_images=False):
    level = int(round(100 * report.confidence))
    multiclass = hasattr(report, "per_class")
    rule = "the most probable class" if multiclass else f"threshold {report.threshold:g}"
    kind = "held-out images"
    warning = []
    if on_training_images:
        kind = "of the model's own training images"
        warning = [
            "**Warning: these images are the model's training images** (their file names "
            "match the training-data fingerprint). The scores are not held-out and overstate "
            "how the model does on new X-rays.",
            "",
        ]
    lines = [
        *warning,
        f"On {len(report.y_true)} {kind}"
        + (f" ({report.data})" if getattr(report, "data", None) else "")
        + f", {rule}; {level} % percentile-bootstrap intervals "
        f"({report.n_bootstrap} resamples)"
        + (
            "; precision, sensitivity, specificity and F1 are macro averages."
            if multiclass
            else "."
        ),
        "",
        f"| score | value | {level} % CI |",
        "|---|---|---|",
    ]
    for name, value in report.scores.items():
        low, high = report.ci.get(name, (None, None))
        lines.append(f"| {name} | {_fmt(value)} | {_fmt(low)}-{_fmt(high)} |")
    if not multiclass:
        tn, fp, fn, tp = report.confusion_matrix.ravel()
        return [*lines, "", f"Confusion matrix: TN {tn}, FP {fp}, FN {fn}, TP {tp}."]
    names = list(report.target_names)
    scores = list(next(iter(report.per_class.values())))
    lines += ["", "| class | " + " | ".join(scores) + " |", "|---" * (len(scores) + 1) + "|"]
    for name in names:
        values = " | ".join(_fmt(report.per_class[name][score]) for score in scores)
        lines.append(f"| {name} | {values} |")
    lines += ["", "Confusion matrix (rows: true class, columns: predicted):", ""]
    lines += ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for name, row in zip(names, report.confusion_matrix, strict=True):
        lines.append(f"| {name} | " + " | ".join(str(int(v)) for v in row) + " |")
    return lines


def model_card(
    metadata, *, report=None, figures=(), title="skxray model", on_training_images=False
):
    """The text of a model card (Markdown) for a saved model and, optionally, its scores.

    Parameters
    ----------
    metadata : dict
        What :func:`skxray.load_metadata` returns for the model file (the
        versions, class names, image size, preprocessing, threshold and
        training-data fingerprint); missing entries are shown as unknown.
    report : EvaluationReport, default=None
        Held-out scores with their intervals (:func:`skxray.evaluate`), and
        the data they were measured on in ``report_data``.
    figures : sequence of str, default=()
        Paths of plots to show, relative to the card's folder.
    title : str, default="skxray model"
        The card's title.
    on_training_images : bool, default=False
        The report was measured on the model's training images (their
        fingerprint matches): the card says so and warns.

    Returns
    -------
    text : str
        Markdown.

    Examples
    --------
    >>> from skxray import model_card
    >>> text = model_card({"class_names": ["NORMAL", "PNEUMONIA"], "threshold": 0.5})
    >>> "not for diagnosis" in text and "PNEUMONIA" in text
    True
    """
    validate_params({"metadata": [dict], "title": [str]}, locals(), "model_card")
    versions = metadata.get("versions") or {}
    preprocessing = metadata.get("preprocessing") or {}
    loader = preprocessing.get("loader") or {}
    fingerprint = metadata.get("training_data") or {}
    size = loader.get("image_size", metadata.get("image_shape", "unknown"))
    lines = [
        f"# {title}",
        "",
        f"Written by skxray {versions.get('skxray', 'unknown')} on "
        f"{datetime.date.today().isoformat()}.",
        "",
        "## Intended use",
        "",
        _INTENDED_USE,
        "## Model",
        "",
        *_decision_lines(metadata),
        f"- Input: images decoded to {size} pixels; steps before the classifier: "
        f"{', '.join(preprocessing.get('steps', [])) or 'none'}.",
        f"- Versions: skxray {versions.get('skxray', '?')}, Keras {versions.get('keras', '?')}, "
        f"scikit-learn {versions.get('scikit-learn', '?')}.",
    ]
    provenance = metadata.get("provenance") or {}
    if provenance.get("commit"):  # the model's own, as save(..., provenance=) recorded it
        lines.append(f"- Built from skxray commit {provenance['commit']}.")
    lines += ["", "## Training data", ""]
    trained_on = provenance.get("trained_on")
    if fingerprint:
        lines.append(
            f"- {fingerprint.get('n_files', '?')} image files; SHA-256 of their sorted names: "
            f"`{fingerprint.get('sha256', '?')}`."
        )
    lines.append(
        f"- Source: {trained_on}."
        if trained_on
        else "- Source: not recorded in the model file (`skxray.save(..., provenance="
        '{"trained_on": ...})` records it).'
    )
    if not fingerprint and not trained_on:
        lines.append("- Neither the images nor their source are recorded in the model file.")
    lines += ["", "## Metrics", ""]
    if report is None:
        lines.append(
            "Not measured yet: run `skxray evaluate MODEL DATA_DIR --card` on held-out data."
        )
    else:
        lines += _metric_lines(report, on_training_images)
    for figure in figures:
        lines += ["", f"![{Path(figure).stem}]({figure})"]
    lines += ["", "## Known limits", "", _LIMITS]
    return "\n".join(lines)


def write_model_card(
    path, metadata, *, report=None, figures=(), title="skxray model", on_training_images=False
):
    """Write :func:`model_card`'s text to ``path`` (e.g. ``MODEL_CARD.md``).

    Parameters
    ----------
    path : str or path-like
        The Markdown file to write.
    metadata, report, figures, title, on_training_images
        As for :func:`model_card`.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skxray import write_model_card
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_model_card(folder / "MODEL_CARD.md", {"threshold": 0.5}).name
    'MODEL_CARD.md'
    """
    path = Path(path)
    text = model_card(
        metadata,
        report=report,
        figures=figures,
        title=title,
        on_training_images=on_training_images,
    )
    path.write_text(text)
    return path
