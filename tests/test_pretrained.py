"""The models that ship with skxray: load, predict, provenance, tampering, the CLI."""

import csv
import json
import shutil

import numpy as np
import pytest
from sklearn.base import clone

import skxray
from skxray import (
    ModelFileError,
    check_inputs,
    list_pretrained,
    load_metadata,
    load_pretrained,
    pretrained_path,
    recommended_classifier,
)
from skxray.cli import main
from skxray.datasets import load_sample_xrays
from skxray.models._recipe import DEFAULT_RECIPE
from skxray.persistence import _pretrained

SAMPLE = load_sample_xrays(load_images=False)
NAMES = [entry["name"] for entry in list_pretrained()]


def test_the_default_and_the_subtype_model_ship():
    assert {"pneumonia", "pneumonia-subtype"} <= set(NAMES)
    for entry in list_pretrained():
        assert entry["size_bytes"] < 12 * 2**20  # 3 networks; the wheel budget is 50 MB
        assert entry["n_train"] == 5216 and "Kermany" in entry["trained_on"]


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_model_predicts_the_bundled_sample(name):
    model = load_pretrained(name)
    proba = model.predict_proba(SAMPLE.paths[:6])
    n_classes = 3 if name.endswith("subtype") else 2
    assert proba.shape == (6, n_classes)
    assert np.all((proba >= 0) & (proba <= 1)) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    # two classes stay 0 / 1 (scoring="f1"); three are named, sorted as scikit-learn sorts
    classes = ["BACTERIA", "NORMAL", "VIRUS"] if n_classes == 3 else [0, 1]
    assert model.classes_.tolist() == classes and model.predict(SAMPLE.paths[:2]).shape == (2,)
    assert set(model.predict(SAMPLE.paths[:6]).tolist()) <= set(classes)
    assert model.predict_proba(SAMPLE.paths[:1]).shape == (1, n_classes)
    metadata = load_metadata(pretrained_path(name))
    provenance = metadata["provenance"]
    assert provenance["name"] == name and provenance["n_train"] == 5216
    assert provenance["recipe"] in skxray.RECIPES
    names = ["NORMAL", "PNEUMONIA"] if n_classes == 2 else classes  # 0 / 1 are named
    assert metadata["class_names"] == names
    assert metadata["training_data"]["n_files"] == 5216
    assert len(metadata["class_names"]) == n_classes
    # the training images are the model's own: check_inputs does not flag them
    assert check_inputs(model, SAMPLE.paths[:20]).flagged.mean() <= 0.1


@pytest.mark.parametrize("name", NAMES)
def test_the_shipped_models_are_the_default_recipe(name):
    # Issue 30, part 4: load_pretrained() has recommended_classifier()'s parameters.
    assert load_metadata(pretrained_path(name))["provenance"]["recipe"] == DEFAULT_RECIPE
    shipped, fresh = load_pretrained(name), recommended_classifier(paths=True, random_state=0)
    assert repr(clone(shipped)) == repr(fresh)


@pytest.mark.parametrize("name", NAMES)
def test_each_shipped_model_is_the_recipe_it_records(name):
    """A shipped file is rebuilt from a named recipe; its recorded recipe must build it.

    The files may lag the default by a release (they are rebuilt from a new default once it
    is measured); then they are an earlier default that ``RECIPES`` still holds.
    """
    recipe = load_metadata(pretrained_path(name))["provenance"]["recipe"]
    shipped = load_pretrained(name)
    fresh = recommended_classifier(recipe, paths=True, random_state=0)
    assert [step for step, _ in shipped.steps] == [step for step, _ in fresh.steps]
    for (_, mine), (_, theirs) in zip(shipped.steps, fresh.steps, strict=True):
        assert repr(clone(mine)) == repr(theirs)


def test_a_changed_shipped_file_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "pretrained"
    shutil.copytree(_pretrained.PRETRAINED_DIR, folder)
    monkeypatch.setattr(_pretrained, "PRETRAINED_DIR", folder)
    _pretrained._registry.cache_clear()
    try:
        path = (
            folder
            / json.loads((folder / "registry.json").read_text())["models"]["pneumonia"]["file"]
        )
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        with pytest.raises(ModelFileError, match="SHA-256 differs"):
            load_pretrained("pneumonia")
        with pytest.raises(ValueError, match="No pretrained model named 'nope'.*pneumonia"):
            load_pretrained("nope")
    finally:
        _pretrained._registry.cache_clear()


def test_the_cli_predicts_and_explains_without_a_model_argument(tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["predict", SAMPLE.paths[0], SAMPLE.paths[-1], "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "Using the shipped model 'pneumonia'" in stdout
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2 and rows[0]["warning"] == ""
    assert main(["predict", "--model", "pneumonia-subtype", SAMPLE.paths[0], "--out",
                 str(out)]) == 0  # fmt: skip
    assert "probability_virus" in next(csv.DictReader(out.open()))
    assert main(["explain", SAMPLE.paths[0], "--out", str(tmp_path / "h")]) == 0
    assert len(list((tmp_path / "h").glob("*.png"))) == 1
    capsys.readouterr()
    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    assert "pneumonia-subtype" in listing and "MiB" in listing and "Kermany" in listing
