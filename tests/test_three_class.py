"""Three classes, NORMAL / BACTERIA / VIRUS: labels, scores, training, evaluation, heatmaps."""

import shutil
import warnings

import keras
import numpy as np
import pytest
from _tiny import TINY_CNN
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skxray import (
    ImageLoadError,
    MulticlassEvaluationReport,
    ScratchCNNClassifier,
    cam_explain,
    evaluate,
    load,
    load_image_folder,
    pneumonia_subtype,
    recommended_classifier,
    save,
)
from skxray.datasets import get_sample_xrays_path, load_sample_xrays
from skxray.evaluation._multiclass import evaluate_multiclass_scores
from skxray.evaluation._scores import probability_score, scores_from_confusion
from skxray.models._training._callbacks import EpochScores, count_metrics
from skxray.models._training._losses import SparseCategoricalCrossentropyWithSmoothing
from skxray.utils._param_validation import InvalidParameterError

pytestmark = pytest.mark.eager

NAMES = ["NORMAL", "BACTERIA", "VIRUS"]
TINY = {**TINY_CNN, "class_weight": "balanced"}  # tests/_tiny.py


@pytest.fixture(scope="module")
def subtypes():
    return load_sample_xrays(target="subtype", image_size=24)


@pytest.fixture(scope="module")
def fitted(subtypes):
    clf = ScratchCNNClassifier(**{**TINY, "epochs": 4}, validation_split=0.25)
    return clf.fit(subtypes.images, subtypes.target)


# ------------------------------------------------------------------ labels
def test_subtype_labels_come_from_the_file_names(subtypes):
    binary = load_image_folder(get_sample_xrays_path())
    assert subtypes.target_names == NAMES
    assert np.bincount(subtypes.target).tolist() == [100, 84, 16]
    for path, label in zip(subtypes.paths, subtypes.target, strict=True):
        expected = "NORMAL" if "/NORMAL/" in path else pneumonia_subtype(path)
        assert NAMES[label] == expected
    # Same files and patient groups as the binary labels; pneumonia split in two.
    assert subtypes.paths.tolist() == binary.paths.tolist()
    assert subtypes.groups.tolist() == binary.groups.tolist()
    assert ((subtypes.target > 0) == (binary.target == 1)).all()


def _tree(root, extra=None):
    for label, name in enumerate(["NORMAL", "PNEUMONIA"]):
        (root / name).mkdir(parents=True)
        data = load_image_folder(get_sample_xrays_path())
        for path in data.paths[data.target == label][:20]:
            shutil.copy(path, root / name)
    if extra:
        shutil.copy(data.paths[-1], root / "PNEUMONIA" / extra)
    return root


def test_a_pneumonia_file_without_subtype_is_named_never_dropped(tmp_path):
    root = _tree(tmp_path / "tree", extra="scan_0001.jpeg")
    bad = str(root / "PNEUMONIA" / "scan_0001.jpeg")
    with pytest.raises(ImageLoadError, match="scan_0001.jpeg.*no pneumonia subtype"):
        load_image_folder(root, target="subtype")
    with pytest.warns(UserWarning, match="scan_0001.jpeg"):
        data = load_image_folder(root, target="subtype", on_error="skip")
    assert len(data.skipped) == 1 and bad in data.skipped[0]
    assert bad not in data.paths.tolist() and len(data.paths) == 40
    # The binary labels need no subtype: the file is kept.
    assert bad in load_image_folder(root).paths.tolist()


def test_bad_target_and_layout(tmp_path):
    with pytest.raises(InvalidParameterError, match="'target' parameter.*'subtypes'"):
        load_image_folder(get_sample_xrays_path(), target="subtypes")
    root = tmp_path / "other"
    for name in ("CAT", "DOG"):
        (root / name).mkdir(parents=True)
        shutil.copy(load_sample_xrays(load_images=False).paths[0], root / name / "a.jpeg")
    with pytest.raises(ValueError, match=r"NORMAL/ and PNEUMONIA/.*\['CAT', 'DOG'\]"):
        load_image_folder(root, target="subtype")


# ------------------------------------------------------------------ scores
def test_confusion_scores_are_scikit_learns_macro_scores(rng):
    y, p = rng.integers(0, 3, 300), rng.integers(0, 3, 300)
    p[:5] = 2  # no class is empty
    scores = scores_from_confusion(confusion_matrix(y, p))
    assert scores["f1"] == pytest.approx(f1_score(y, p, average="macro"))
    assert scores["precision"] == pytest.approx(precision_score(y, p, average="macro"))
    assert scores["sensitivity"] == pytest.approx(recall_score(y, p, average="macro"))
    assert scores["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, p))
    assert scores["accuracy"] == pytest.approx((y == p).mean())
    per_class = f1_score(y, p, average=None)
    assert [c["f1"] for c in scores["per_class"]] == pytest.approx(per_class)
    # A class never predicted: precision 0.0, as zero_division=0.0.
    never = scores_from_confusion([[2, 0, 1], [1, 0, 1], [0, 0, 3]])
    assert never["per_class"][1]["precision"] == 0.0 and never["per_class"][1]["f1"] == 0.0
    with pytest.raises(ValueError, match="square matrix"):
        scores_from_confusion([[1, 2, 3]])


def test_multiclass_probability_scores_are_one_vs_rest(rng):
    y = np.arange(90) % 3
    proba = rng.dirichlet(np.ones(3), 90) + np.eye(3)[y] * 0.3
    proba /= proba.sum(axis=1, keepdims=True)
    expected = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert probability_score("roc_auc", y, proba) == pytest.approx(expected)
    ap = average_precision_score(np.eye(3)[y], proba, average="macro")
    assert probability_score("average_precision", y, proba) == pytest.approx(ap)
    assert np.isnan(probability_score("roc_auc", y % 2, proba))  # a class absent


def test_epoch_scores_read_the_confusion_cells_of_a_keras_fit(rng):
    X = rng.normal(size=(60, 4)).astype("float32")
    y = np.arange(60) % 3
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=count_metrics(3))
    history = model.fit(
        X,
        y,
        epochs=2,
        verbose=0,
        validation_data=(X[:30], y[:30]),
        callbacks=[EpochScores(), EpochScores("balanced_accuracy")],
    )
    predicted = model.predict(X[:30], verbose=0).argmax(axis=1)
    cm = confusion_matrix(y[:30], predicted, labels=[0, 1, 2])
    cells = [history.history[f"val_cm_{t}_{p}"][-1] for t in range(3) for p in range(3)]
    assert cells == cm.ravel().tolist()
    assert history.history["val_f1"][-1] == pytest.approx(
        f1_score(y[:30], predicted, average="macro")
    )
    assert history.history["val_balanced_accuracy"][-1] == pytest.approx(
        balanced_accuracy_score(y[:30], predicted)
    )
    assert len(history.history["f1"]) == 2


def test_label_smoothing_loss_matches_the_one_hot_loss():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype="float32")
    labels = np.array([0, 1])
    for smoothing in (0.0, 0.2):
        ours = SparseCategoricalCrossentropyWithSmoothing(smoothing)(labels, proba)
        reference = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)(
            np.eye(3)[labels], proba
        )
        assert float(ours) == pytest.approx(float(reference), rel=1e-6)
    plain = keras.losses.SparseCategoricalCrossentropy()(labels, proba)
    assert float(SparseCategoricalCrossentropyWithSmoothing(0.0)(labels, proba)) == pytest.approx(
        float(plain), rel=1e-6
    )


# ------------------------------------------------------------ estimators
def test_three_class_fit_history_and_smoothing(fitted, subtypes):
    proba = fitted.predict_proba(subtypes.images[:5])
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert fitted.classes_.tolist() == [0, 1, 2]
    history = fitted.history_
    assert len(history["f1"]) == len(history["val_f1"]) == fitted.n_epochs_
    assert all(0 <= f <= 1 for f in history["val_f1"])
    smoothed = ScratchCNNClassifier(**TINY, label_smoothing=0.1)
    smoothed.fit(subtypes.images, subtypes.target)
    assert isinstance(smoothed.model_.loss, SparseCategoricalCrossentropyWithSmoothing)
    plain = ScratchCNNClassifier(**TINY).fit(subtypes.images, subtypes.target)
    assert smoothed.history_["loss"] != plain.history_["loss"]


def test_grid_search_scores_f1_macro(subtypes):
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    grid = GridSearchCV(
        ScratchCNNClassifier(**TINY),
        {"batch_size": [32, 64]},
        scoring="f1_macro",
        cv=cv,
    ).fit(subtypes.images, subtypes.target)
    assert grid.best_estimator_.predict_proba(subtypes.images[:2]).shape == (2, 3)
    # The score of each split is scikit-learn's f1_macro of that split's predictions.
    train, test = next(cv.split(subtypes.images, subtypes.target))
    split = ScratchCNNClassifier(**TINY, batch_size=32)
    predicted = split.fit(subtypes.images[train], subtypes.target[train]).predict(
        subtypes.images[test]
    )
    expected = f1_score(subtypes.target[test], predicted, average="macro")
    assert grid.cv_results_["split0_test_score"][0] == pytest.approx(expected)


def test_recommended_classifier_and_heatmaps_of_each_class(subtypes):
    clf = recommended_classifier(n_seeds=2).set_params(
        classifier__seed0__epochs=1, classifier__seed1__epochs=1
    )
    clf.fit(subtypes.images, subtypes.target)
    X = subtypes.images[:3]
    assert clf.predict_proba(X).shape == (3, 3)
    maps = {target: cam_explain(clf, X, target=target) for target in (0, 1, 2)}
    assert all(m.shape == (3, 24, 24) for m in maps.values())
    assert not np.allclose(maps[0], maps[1]) and not np.allclose(maps[1], maps[2])
    predicted = clf.predict(X)
    default = cam_explain(clf, X)  # three classes: the predicted class of each image
    for i, label in enumerate(predicted):
        np.testing.assert_allclose(default[i], maps[int(label)][i], atol=1e-6)


def test_save_and_load_a_three_class_model(fitted, subtypes, tmp_path):
    path = tmp_path / "three.skxray"
    save(fitted, path, target_names=NAMES)
    loaded = load(path)
    X = subtypes.images[:8]
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))


# ------------------------------------------------------------- evaluate
def test_evaluate_a_three_class_model(fitted, subtypes):
    X, y = subtypes.images, subtypes.target
    report = evaluate(fitted, X, y, n_bootstrap=50, random_state=0, target_names=NAMES)
    assert isinstance(report, MulticlassEvaluationReport)
    predicted = fitted.predict(X)
    np.testing.assert_array_equal(report.confusion_matrix, confusion_matrix(y, predicted))
    assert report.scores["f1"] == pytest.approx(f1_score(y, predicted, average="macro"))
    for k, name in enumerate(NAMES):
        assert report.per_class[name]["f1"] == pytest.approx(
            f1_score(y == k, predicted == k, zero_division=0.0)
        )
    proba = fitted.predict_proba(X)
    assert report.scores["roc_auc"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"))
    for name, (low, high) in report.ci.items():
        assert low - 1e-9 <= report.scores[name] <= high + 1e-9 or np.isnan(low), name
    text = str(report)
    assert "f1 (macro)" in text and all(name in text for name in NAMES)
    roc, matrix = report.figure_.axes
    assert len([line for line in roc.get_lines() if "vs rest" in line.get_label()]) == 3
    assert [t.get_text() for t in matrix.get_xticklabels()] == NAMES


def test_evaluate_three_class_errors(fitted, subtypes):
    X, y = subtypes.images[:20], subtypes.target[:20]
    with pytest.raises(InvalidParameterError, match="'threshold'.*most probable"):
        evaluate(fitted, X, y, threshold=0.3, plot=False)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        evaluate(fitted, X, np.full(20, 7), plot=False)
    with pytest.raises(InvalidParameterError, match="'target_names'.*3 str"):
        evaluate(fitted, X, y, plot=False, target_names=["A", "B"])
    with pytest.raises(ValueError, match="class indices 0 to 2"):
        evaluate_multiclass_scores([0, 1, 3], np.full((3, 3), 1 / 3), n_bootstrap=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a resample missing a class is left out, silently
        report = evaluate_multiclass_scores(
            [0, 1, 2, 2], np.eye(3)[[0, 1, 2, 1]], n_bootstrap=30, random_state=0
        )
    assert report.target_names == ("class 0", "class 1", "class 2")
