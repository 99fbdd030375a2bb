"""``skxray explain``: one heatmap PNG per image, and an index.html that shows them all."""

import html
import os
import re
import textwrap
from pathlib import Path
from urllib.parse import quote

from ._inputs_outputs import (
    CommandError,
    make_folder,
    model_and_images,
    plural,
    progress,
    report_skipped,
)

_METHOD_TITLES = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "cam": "CAM"}

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.4em 0.8em; text-align: left;
  vertical-align: top; }}
td.p {{ font-variant-numeric: tabular-nums; }}
td.warning {{ color: #a00; font-weight: bold; }}
img {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{summary}</p>
<table>
<thead><tr><th>image</th><th>{column}</th><th>predicted</th><th>warning</th><th>heatmap</th></tr>
</thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""

_ROW = (
    '<tr><td><a href="{source}">{name}</a></td><td class="p">{proba:.3f}</td>'
    '<td>{label}</td><td class="warning">{warning}</td>'
    '<td><a href="{png}"><img src="{png}" alt="{alt}" width="{width}" '
    'height="{height}"></a></td></tr>'
)


def _link(target, folder):
    """A link from a page in ``folder`` to file ``target``: relative where possible."""
    try:
        relative = os.path.relpath(os.path.abspath(target), os.path.abspath(folder))
    except ValueError:  # another drive (Windows)
        return Path(target).resolve().as_uri()
    return quote(os.fsencode(Path(relative).as_posix()))  # the file name's own bytes


def _png_names(paths):
    width = max(3, len(str(len(paths))))
    names = []
    for i, path in enumerate(paths, 1):
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(path).stem)[:60] or "image"
        names.append(f"{i:0{width}d}-{stem}.png")
    return names


def _draw(image, heatmap, title, method, positive):
    """image | heatmap overlay with a colorbar, as a matplotlib Figure (no pyplot)."""
    import numpy as np
    from matplotlib import cm, colors
    from matplotlib.figure import Figure

    from .. import overlay_heatmap

    figure = Figure(figsize=(8, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2)
    shown = image[..., 0] if image.shape[-1] == 1 else image
    left.imshow(shown, cmap="gray", vmin=0, vmax=1)
    left.set_title("image")
    right.imshow(overlay_heatmap(image, np.clip(heatmap, 0, 1)))
    right.set_title(f"{method} heatmap for {positive}")
    for axes in (left, right):
        axes.set_axis_off()
    mappable = cm.ScalarMappable(norm=colors.Normalize(0, 1), cmap="jet")
    figure.colorbar(mappable, ax=right, shrink=0.8, label="heatmap (1: strongest evidence)")
    figure.suptitle(title)
    return figure


def explain(args):
    import cv2
    import numpy as np

    from ..io._files import display_path

    out = make_folder(args.out)
    names, positive, threshold, images, paths, problems, rest = model_and_images(args, args.images)
    from .. import cam_explain  # Keras: once the inputs are checked and the model loaded

    progress(args, f"explaining {plural(len(paths), 'image')}...")
    multiclass = positive is None  # three classes or more: explain the predicted class
    try:
        heatmaps = cam_explain(rest, images, method=args.method)  # positive or predicted class
    except ValueError as exc:
        if args.method != "cam" or "method='cam'" not in str(exc):
            raise
        raise CommandError(
            f"--method cam needs a network whose last conv layer feeds global average pooling "
            f"and one Dense output layer, and the one in {args.model} does not; use --method "
            "gradcam or gradcam++"
        ) from exc
    all_proba = rest.predict_proba(images)
    from ..evaluation._input_check import check_inputs

    warnings = check_inputs(rest, images, paths=paths).reasons  # as predict's warning column
    if multiclass:
        predicted = all_proba.argmax(axis=1)
        shown = [names[k] for k in predicted]  # the class each heatmap explains
        proba = all_proba[np.arange(len(predicted)), predicted]
        labels = shown
        rule = "by the most probable class"
    else:
        proba = all_proba[:, positive]
        shown = [names[positive]] * len(proba)
        labels = [names[positive] if p >= threshold else names[1 - positive] for p in proba]
        rule = f"at threshold {threshold:g}"
    images = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
    method = _METHOD_TITLES.get(args.method, args.method)
    rows = []
    for path, png, image, heatmap, p, label, explained, warning in zip(
        paths, _png_names(paths), images, heatmaps, proba, labels, shown, warnings, strict=True
    ):
        if heatmap.shape != image.shape[:2]:  # a preprocessing step changed the size
            heatmap = cv2.resize(heatmap, image.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        name = display_path(Path(path).name)
        title = f"{name}\nP({explained}) = {p:.3f}: predicted {label} ({rule})"
        if warning:  # shown wherever the prediction is
            note = f"WARNING: probably not a chest X-ray this model can judge: {warning}"
            title += "\n" + textwrap.fill(note, 90)  # the figure is 8 inches wide
        figure = _draw(image, heatmap, title, method, explained)
        try:
            figure.savefig(out / png, dpi=100)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(out / png)) from exc
        width, height = (round(v) for v in figure.get_size_inches() * 100)
        alt = f"{method} heatmap of {name}: P({explained}) {p:.3f}, predicted {label}"
        alt += f"; warning: {warning}" if warning else ""
        rows.append(
            _ROW.format(
                source=html.escape(_link(path, out)),
                name=html.escape(name),
                proba=p,
                label=html.escape(label),
                warning=html.escape(
                    f"probably not a chest X-ray this model can judge: {warning}" if warning else ""
                ),
                png=html.escape(quote(png)),
                alt=html.escape(alt),
                width=width,
                height=height,
            )
        )
    if multiclass:
        counts = ", ".join(f"{labels.count(n)} {n}" for n in names)
        evidence = "the predicted class"
        column = "P(predicted)"
    else:
        counts = f"{labels.count(names[positive])} predicted {names[positive]}"
        evidence = names[positive]
        column = f"P({names[positive]})"
    flagged = sum(bool(w) for w in warnings)
    summary = (
        f"Model {args.model}; {method} heatmaps of the evidence for {evidence}; "
        f"{plural(len(paths), 'image')}, {counts} {rule}."
        + (f" {plural(flagged, 'image')} flagged: their predictions mean little." * bool(flagged))
    )
    page = _PAGE.format(
        title=html.escape(f"skxray explain: {plural(len(paths), 'image')}"),
        summary=html.escape(summary),
        column=html.escape(column),
        rows="\n".join(rows),
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    print(
        f"Wrote {plural(len(paths), 'heatmap')} and index.html to {out}/ ({counts})"
        + report_skipped(problems)
    )
    if flagged:
        print(
            f"{plural(flagged, 'image')} flagged as probably not a chest X-ray this model can "
            "judge (see the warning column of index.html); their predictions mean little."
        )
    return 0
