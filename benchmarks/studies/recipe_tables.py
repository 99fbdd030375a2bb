"""Tables of the recipe studies, from their JSON results: CSV for the docs, Markdown here.

    python -m benchmarks.studies.recipe_tables

Reads ``recipe_shift.json`` (``recipe_shift.py``) and ``recommended_cnn.json`` /
``recommended_inception.json`` (the retired ``recommended.py``) in ``benchmarks/results/<study>/``;
writes ``recipe_shift.csv`` and ``recommended.csv`` beside them, prints both tables as
Markdown and puts them into ``README.md`` between its ``<!-- recipe_shift -->`` /
``<!-- recommended -->`` markers.
"""

import argparse
import csv
import json

import numpy as np

from benchmarks._common import (
    RESULTS,
    print_markdown,
    shift_names,
    shift_rows,
    write_between_markers,
)


def recommended_rows(results):
    header = ["recipe / variant", "validation images", "F1", "ROC-AUC", "sensitivity"]
    header += ["specificity", "Brier", "fit time / fold"]
    rows = []
    for model, data in results.items():
        for name, folds in data["cv"].items():
            label = name if name.startswith("recommended") else f"{model}: {name}"
            fit = np.median([f["fit_time"] for f in folds])
            for where in ("clean", *shift_names(folds)):
                cells = []
                for key in ("f1", "roc_auc", "sensitivity", "specificity", "brier"):
                    v = np.array([f[where][key] for f in folds])
                    cells.append(f"{v.mean():.3f} ± {v.std():.3f}")
                rows.append([label, where, *cells, f"{fit:.0f} s"])
    return header, rows


def _write(name, header, rows):
    """Write ``results/name/name.csv``, print the Markdown, put it between README's markers."""
    with open(RESULTS / name / f"{name}.csv", "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    write_between_markers(name, print_markdown(header, rows))


def main():
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    shift = json.loads((RESULTS / "recipe_shift" / "recipe_shift.json").read_text())
    _write("recipe_shift", *shift_rows(shift))
    results = {}
    for model in ("cnn", "inception"):
        path = RESULTS / "recommended" / f"recommended_{model}.json"
        if path.is_file():
            results[model] = json.loads(path.read_text())
    _write("recommended", *recommended_rows(results))


if __name__ == "__main__":
    main()
