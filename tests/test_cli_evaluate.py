"""The command line's demo, train and evaluate on real images, and evaluate()."""

import shutil

import joblib
import matplotlib.image
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skxray import (
    RECIPES,
    HistogramEqualizer,
    InceptionTransferClassifier,
    ScratchCNNClassifier,
    evaluate,
    load,
    load_image_folder,
    load_metadata,
    save,
)
from skxray.cli import main
from skxray.datasets import get_sample_xrays_path, load_sample_xrays
from skxray.evaluation._evaluate import evaluate_scores
from skxray.models._recipe import DEFAULT_RECIPE
from skxray.utils._param_validation import InvalidParameterError


@pytest.mark.slow
def test_demo_then_evaluate(tmp_path, capsys):
    model = tmp_path / "model.skxray"
    assert (
        main(
            [
                "demo",
                "--epochs",
                "2",
                "--image-size",
                "64",
                "--out",
                str(tmp_path / "demo"),
                "--save",
                str(model),
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "roc_auc" in out and "Confusion matrix" in out and "CC BY 4.0" in out
    for name in ("learning_curves.png", "confusion_matrix.png", "heatmaps.png"):
        assert (tmp_path / "demo" / name).stat().st_size > 0
    assert (
        main(
            [
                "evaluate",
                str(model),
                get_sample_xrays_path(),
                "--bootstrap",
                "50",
                "--out",
                str(tmp_path / "eval"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "95% CI" in out and "200 images" in out
    assert (tmp_path / "eval" / "evaluation.png").stat().st_size > 0
    assert load_metadata(model)["class_names"] == ["NORMAL", "PNEUMONIA"]
    # the heatmaps show both classes (and the worst error, if any), with a colorbar
    assert matplotlib.image.imread(tmp_path / "demo" / "heatmaps.png").shape[0] > 400


def test_bootstrap_intervals_cover_the_point_estimates():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    score = np.clip(0.3 * y + rng.normal(0.35, 0.2, 300), 0, 1)
    report = evaluate_scores(y, score, n_bootstrap=300, random_state=0, plot=True)
    for name, (low, high) in report.ci.items():
        assert low <= report.scores[name] <= high, name
        assert high - low < 0.25, name
    assert len(report.figure_.axes) >= 3
    assert "95% CI" in str(report)
    again = evaluate_scores(y, score, n_bootstrap=300, random_state=0)
    assert again.ci == report.ci
    with pytest.raises(InvalidParameterError, match="'confidence' parameter of evaluate"):
        evaluate_scores(y, score, confidence=1.5)


def test_evaluate_an_estimator(synthetic):
    clf = ScratchCNNClassifier(
        "vanilla", conv_filters=(4,), dense_units=8, epochs=1, random_state=0
    ).fit(synthetic.images, synthetic.target)
    report = evaluate(
        clf, synthetic.images, synthetic.target, n_bootstrap=20, random_state=0, plot=False
    )
    assert report.figure_ is None and report.confusion_matrix.sum() == len(synthetic.target)


def test_train_then_evaluate_the_recommended_recipe(tmp_path, capsys):
    model = tmp_path / "recipe.skxray"
    sample = get_sample_xrays_path()
    # Three classes: NORMAL, BACTERIA, VIRUS (demo and evaluate cover two).
    args = ["train", sample, "--out", str(model), "--seeds", "1", "--target", "subtype"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "200 images" in out and "saved to" in out and f"recipe {DEFAULT_RECIPE!r}" in out
    assert "['NORMAL', 'BACTERIA', 'VIRUS']" in out
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert "not for diagnosis" in card and "200 image files" in card and "Not measured" in card
    # fitted on the class names (issue 31, item 9): classes_ name them, sorted
    assert "Classes: BACTERIA, NORMAL, VIRUS" in card and "most probable class" in card
    fitted = load(model)
    names = ["BACTERIA", "NORMAL", "VIRUS"]
    assert fitted.classes_.tolist() == names
    assert set(fitted.predict(list(load_image_folder(sample).paths[:4]))) <= set(names)
    preprocess = list(RECIPES[DEFAULT_RECIPE]["preprocess"])
    assert [name for name, _ in fitted.steps] == ["imagedirloader", *preprocess, "classifier"]
    assert fitted[0].image_size == RECIPES[DEFAULT_RECIPE]["image_size"]
    other = tmp_path / "inception.skxray"
    tiny = tmp_path / "tiny"  # the inception preset featurises every image: 3 a class
    data = load_image_folder(sample)
    for label, name in enumerate(data.target_names):
        (tiny / name).mkdir(parents=True)
        for path in data.paths[data.target == label][:3]:
            shutil.copy(path, tiny / name)
    args = ["train", str(tiny), "--recipe", "inception", "--weights", "none", "--out", str(other)]
    assert main(args) == 0
    assert isinstance(load(other)[-1], InceptionTransferClassifier)
    args = ["evaluate", str(model), sample, "--bootstrap", "20", "--out", str(tmp_path / "ev")]
    assert main([*args, "--card"]) == 0
    out, err = capsys.readouterr()
    assert "95% CI" in out and "f1 (macro)" in out and "VIRUS" in out
    # the model was trained on these very images: the CLI and the card say so
    assert "the model's own training images" in err
    card = (tmp_path / "ev" / "MODEL_CARD.md").read_text()
    assert "On 200 of the model's own training images" in card and "held-out images" not in card
    assert "Warning: these images are the model's training images" in card
    assert "![evaluation](evaluation.png)" in card
    assert "| VIRUS |" in card and "macro averages" in card


def test_evaluate_decodes_images_for_an_array_pipeline(tmp_path, capsys):
    data = load_sample_xrays(image_size=32)
    pipe = make_pipeline(
        HistogramEqualizer(), ScratchCNNClassifier("vanilla", epochs=1, random_state=0)
    )
    save(pipe.fit(data.images, data.target), tmp_path / "m.skxray")
    sample = get_sample_xrays_path()
    args = ["evaluate", str(tmp_path / "m.skxray"), sample, "--bootstrap", "20"]
    assert main([*args, "--out", str(tmp_path / "ev")]) == 0
    assert "200 images" in capsys.readouterr().out
    joblib.dump(HistogramEqualizer(), tmp_path / "bad.joblib")
    assert (
        main(["evaluate", str(tmp_path / "bad.joblib"), sample, "--out", str(tmp_path / "b")]) == 2
    )
    assert "cannot read model file" in capsys.readouterr().err  # a pickle is not a model file
