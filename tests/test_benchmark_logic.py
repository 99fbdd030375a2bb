"""Decision logic of the benchmark scripts, on made-up results.

The recipe-selection rule that ``benchmarks/studies/select_recipe.py`` and
``select_network.py`` share (``benchmarks/_protocol.py``), the stale-figure check of
``benchmarks/studies/table5.py``, and the layout: scripts import the shared modules, never
each other, never touch ``sys.path``, and leave skxray's internals to ``_common.py``.
Skipped where ``benchmarks/`` is not beside the package.
"""

import ast
import importlib
import re
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    """Import ``benchmarks/<name>.py`` as the module ``benchmarks.<name>``, as
    ``python -m benchmarks.<name>`` from the repository root would (pytest puts the root, the
    folder of the root ``conftest.py``, on ``sys.path``)."""
    if not (BENCHMARKS / f"{name}.py").is_file():
        pytest.skip("benchmarks/ is not beside the package (installed wheel)")
    return importlib.import_module("benchmarks." + name.replace("/", "."))


@pytest.fixture(scope="module")
def protocol():
    """benchmarks/_protocol.py, where the selection studies find the rule."""
    return _load("_protocol")


def _scripts():
    scripts = sorted(p for p in BENCHMARKS.glob("*/*.py") if p.name != "__init__.py")
    if not scripts:
        pytest.skip("benchmarks/ is not beside the package (installed wheel)")
    return scripts


def test_scripts_import_the_shared_modules_never_each_other():
    scripts = _scripts()
    names = {path.stem for path in scripts}
    for path in scripts:
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.rsplit(".", 1)[-1] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").rsplit(".", 1)[-1])
                imported |= {alias.name for alias in node.names}
        assert not imported & names, f"{path.name} imports another script"


def test_scripts_use_public_names_and_leave_sys_path_alone():
    """Only ``_common.py`` names skxray's private modules; no file edits ``sys.path`` (the
    scripts run as modules from the repository root). Child programs in strings count."""
    private = re.compile(r"\bskxray(\.\w+)*\._\w+")  # skxray.models._recipe, ...
    for path in [*_scripts(), BENCHMARKS / "_protocol.py"]:
        text = path.read_text()
        assert not private.search(text), f"{path.name}: {private.search(text).group(0)}"
        assert "sys.path" not in text, path.name
    assert "sys.path.insert" not in (BENCHMARKS / "_common.py").read_text()


def test_the_internals_named_by_common_exist():
    common = _load("_common")
    for name in [*common._INTERNALS, "INCEPTION"]:
        getattr(common, name)


def _result(worst, fit_s=60.0, border=0.02, center=0.1, flips=0.01, ensemble=None, tta=None):
    """A candidate's record: 5 fits (3 folds of seed 0, then seeds 1 and 2 on fold 0)."""
    fits = [
        {"seed": s, "fold": f, "fit_s": fit_s, "n_train": 3477, "worst_bacc": w}
        for (s, f), w in zip([(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)], worst, strict=True)
    ]
    audit = {"abs_delta_border": border, "abs_delta_center": center, "flips_border": flips}
    return {
        "fits": fits,
        "audit_heldout": audit,
        "audit_fullres_val": dict(audit),
        "ensemble3": {"worst_bacc": worst[0] if ensemble is None else ensemble},
        "tta": {"worst_bacc": worst[0] if tta is None else tta},
    }


def test_rule_scores_worst_shift_mean_minus_seed_spread(protocol):
    results = {"a": _result([0.9, 0.8, 0.7, 0.9, 0.9])}
    rows, decision = protocol.apply_rule(results)
    expected = np.mean([0.9, 0.8, 0.7, 0.9, 0.9]) - np.std([0.9, 0.9, 0.9])
    assert rows["a"]["score"] == pytest.approx(expected)
    assert decision["winner"] == "a"


def test_rule_skips_candidates_that_fail_a_gate(protocol):
    results = {
        "best but reads the border": _result([0.95] * 5, border=0.2, center=0.1),
        "best but flips decisions": _result([0.95] * 5, flips=0.06),
        "best but too slow": _result([0.95] * 5, fit_s=2000.0),
        "honest": _result([0.8] * 5),
    }
    rows, decision = protocol.apply_rule(results)
    assert decision["winner"] == "honest"
    assert not rows["best but reads the border"]["gate_shortcut"]
    assert not rows["best but flips decisions"]["gate_shortcut"]
    assert not rows["best but too slow"]["gate_budget"]
    assert protocol.apply_rule({"x": _result([0.9] * 5, border=0.3)})[1] is None


def test_rule_breaks_ties_by_fit_time_and_never_by_clean_f1(protocol):
    results = {
        "slow": _result([0.900] * 5, fit_s=120.0),
        "fast": _result([0.897] * 5, fit_s=60.0),  # within 0.005: tied
        "far": _result([0.880] * 5, fit_s=10.0),
    }
    rows, decision = protocol.apply_rule(results)
    assert decision["winner"] == "fast"
    assert set(decision["tied"]) == {"slow", "fast"}


def test_rule_adds_ensemble_and_tta_only_when_they_help(protocol):
    helps = _result([0.9] * 5, ensemble=0.91, tta=0.906)
    assert protocol.apply_rule({"a": helps})[1] | {"winner": "a"} == {
        "winner": "a",
        "tied": ["a"],
        "ensemble": True,
        "tta": True,
    }
    barely = _result([0.9] * 5, ensemble=0.904, tta=0.85)
    decision = protocol.apply_rule({"a": barely})[1]
    assert not decision["ensemble"] and not decision["tta"]
    too_slow = _result([0.9] * 5, fit_s=400.0, ensemble=0.95)  # 3 x 10 min > 30 min
    assert not protocol.apply_rule({"a": too_slow})[1]["ensemble"]


def test_worst_is_the_minimum_balanced_accuracy_over_sets(protocol):
    y = np.array([0, 0, 1, 1])
    sets = {"clean": np.array([0.1, 0.2, 0.8, 0.9]), "shifted": np.array([0.6, 0.2, 0.8, 0.9])}
    scores = {name: protocol.scores(y, p) for name, p in sets.items()}
    assert scores["clean"]["balanced_accuracy"] == 1.0
    assert protocol.worst(scores) == 0.75
    assert protocol.ece(y, sets["clean"]) == pytest.approx(0.15)


def test_table5_shows_a_test_split_figure_only_for_the_model_it_was_measured_on(
    tmp_path, monkeypatch
):
    import argparse
    import json

    table5 = _load("studies/table5")
    args = argparse.Namespace(epochs=5, inception_size=150, size=96)
    now = table5.model_settings("vanilla", args)
    # A parameter added later, at its default, leaves the model as it was.
    older = {k: v for k, v in now.items() if k != "tta_shift"}
    assert not table5.settings_changed("vanilla", older, args)
    # A recorded value that differs, or a new parameter away from its default, is a change.
    assert table5.settings_changed("vanilla", {**now, "epochs": "10"}, args)
    without_epochs = {k: v for k, v in now.items() if k != "epochs"}  # now 5, default 10
    assert table5.settings_changed("vanilla", without_epochs, args)

    path = tmp_path / "test_split.csv"
    rows = [
        {
            "model": "vanilla",
            "f1": "0.853",
            "commit": "0e8eb71",
            "settings_params": json.dumps(older),
        },
        {"model": "optimized_sgd", "f1": "0.876", "commit": "0e8eb71", "settings_params": "{}"},
        {"model": "optimized_adam", "f1": "0.914", "commit": "0e8eb71", "settings_params": ""},
    ]
    import csv

    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setattr(table5, "TEST_SPLIT", path)
    shown = table5.test_split_rows(args)
    assert not shown["vanilla"]["stale"]
    assert shown["optimized_sgd"]["stale"]  # its parameters are not at their defaults
    assert shown["optimized_adam"]["stale"]  # nothing recorded: never shown
