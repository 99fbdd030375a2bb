"""One image at every entry point: estimators, ensembles, Pipelines and the CLI."""

import csv

import numpy as np
import pytest
from _tiny import TINY_CNN
from sklearn.pipeline import make_pipeline

from skxray import (
    ImageDirLoader,
    InceptionTransferClassifier,
    ScratchCNNClassifier,
    load_image_folder,
    recommended_classifier,
    save,
)
from skxray.cli import main
from skxray.datasets import get_sample_xrays_path, load_sample_xrays

pytestmark = pytest.mark.eager

CNN = TINY_CNN


@pytest.fixture(scope="module")
def binary():
    return load_sample_xrays(image_size=24)


@pytest.fixture(scope="module")
def subtypes():
    return load_sample_xrays(target="subtype", image_size=24)


@pytest.mark.parametrize("tta_shift", [0.0, 0.1])
@pytest.mark.parametrize("target", ["binary", "subtype"])
def test_scratch_cnn_predicts_one_image(binary, subtypes, target, tta_shift):
    data = binary if target == "binary" else subtypes
    clf = ScratchCNNClassifier(**CNN, tta_shift=tta_shift).fit(data.images, data.target)
    n_classes = len(clf.classes_)
    proba = clf.predict_proba(data.images[:1])
    assert proba.shape == (1, n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    # the same row as when the image is predicted among others
    np.testing.assert_allclose(proba[0], clf.predict_proba(data.images[:5])[0], atol=1e-5)
    assert clf.predict(data.images[:1]).shape == (1,)
    assert clf.predict_proba(data.images[0][None, ..., 0]).shape == (1, n_classes)  # (1, H, W)


def test_inception_predicts_one_image(binary):
    keep = np.r_[0:12, -12:0]  # both classes
    images = np.repeat(binary.images[keep], 3, axis=-1)
    clf = InceptionTransferClassifier(
        weights=None, input_size=75, head_units=8, epochs=1, batch_size=16, random_state=0
    ).fit(images, binary.target[keep])
    assert clf.predict_proba(images[:1]).shape == (1, 2)
    assert clf.predict(images[:1]).shape == (1,)


def test_seed_ensemble_and_pipeline_predict_one_path():
    data = load_image_folder(get_sample_xrays_path())
    model = recommended_classifier(paths=True, image_size=24, n_seeds=2)
    model.set_params(classifier__seed0__epochs=1, classifier__seed1__epochs=1)
    model.fit(data.paths, data.target)
    assert model.predict_proba(data.paths[:1]).shape == (1, 2)
    assert model.predict(data.paths[:1]).shape == (1,)


@pytest.fixture(scope="module")
def model_files(tmp_path_factory, subtypes):
    root = tmp_path_factory.mktemp("one")
    for name, target in (("binary", "folder"), ("subtype", "subtype")):
        data = load_image_folder(get_sample_xrays_path(), target=target)
        model = make_pipeline(ImageDirLoader(24), ScratchCNNClassifier(**CNN))
        save(model.fit(data.paths, data.target), root / f"{name}.skxray",
             target_names=list(data.target_names))  # fmt: skip
    return root, data.paths


@pytest.mark.parametrize("name", ["binary", "subtype"])
def test_cli_predicts_and_explains_one_file(model_files, name, tmp_path, capsys):
    root, paths = model_files
    out = tmp_path / "p.csv"
    status = main(["predict", str(root / f"{name}.skxray"), paths[0], "--out", str(out)])
    _, err = capsys.readouterr()
    assert status == 0, err
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1 and rows[0]["path"] == paths[0]
    status = main(["explain", str(root / f"{name}.skxray"), paths[0], "--out", str(tmp_path / "h")])
    _, err = capsys.readouterr()
    assert status == 0, err
    assert len(list((tmp_path / "h").glob("*.png"))) == 1
