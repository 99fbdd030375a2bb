"""One definition of each score: binary_scores, evaluate's bootstrap, EpochScores, the display."""

import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import skxray.evaluation._evaluate
from skxray import TrainingHistoryDisplay, binary_scores, evaluate, plot_learning_curves
from skxray.evaluation._evaluate import evaluate_scores
from skxray.evaluation._scores import (
    PROBABILITY_SCORES,
    SCORE_NAMES,
    THRESHOLD_SCORES,
    probability_score,
    scores_from_counts,
)
from skxray.models._training._callbacks import COUNT_METRICS, EpochScores, count_metrics
from skxray.utils._param_validation import InvalidParameterError

_REPORTED = ("f1", "precision", "sensitivity", "specificity", "roc_auc", "accuracy")


def _same(a, b):
    return a == b or (np.isnan(a) and np.isnan(b))


def _sklearn_scores(y, pred):
    """scikit-learn's scores with zero_division=0.0, skxray's convention."""
    return {
        "f1": f1_score(y, pred, zero_division=0.0),
        "precision": precision_score(y, pred, zero_division=0.0),
        "sensitivity": recall_score(y, pred, zero_division=0.0),
        "specificity": recall_score(y, pred, pos_label=0, zero_division=0.0),
        "accuracy": accuracy_score(y, pred),
    }


# ------------------------------------------------------------- the one definition
def test_binary_scores_equal_sklearn_exactly(rng):
    # The point estimates are bit-for-bit scikit-learn's (as before the refactor),
    # degenerate cases included.
    for _ in range(200):
        n = int(rng.integers(1, 40))
        y = (rng.random(n) < rng.random()).astype(int)
        score = np.round(rng.random(n), 1)
        threshold = float(rng.choice([0.3, 0.5, 0.8, 1.1]))
        got = binary_scores(y, score, threshold)
        pred = (score >= threshold).astype(int)
        for name, expected in _sklearn_scores(y, pred).items():
            assert got[name] == expected, (name, y, pred)
        if len(np.unique(y)) == 2:
            assert got["balanced_accuracy"] == balanced_accuracy_score(y, pred)
            assert got["roc_auc"] == roc_auc_score(y, score)
        else:
            assert np.isnan(got["roc_auc"])
        expected_cm = confusion_matrix(y, pred, labels=[0, 1])
        np.testing.assert_array_equal(got["confusion_matrix"], expected_cm)
        assert got["confusion_matrix"].dtype == expected_cm.dtype


@pytest.mark.parametrize(
    ("y", "score", "expected"),
    [
        # no predicted positive: precision and F1 0/0 -> 0.0
        ([0, 1, 1], [0.1, 0.2, 0.3], {"precision": 0.0, "f1": 0.0, "specificity": 1.0}),
        # no true negative: specificity 0/0 -> 0.0 (nan before the refactor)
        ([1, 1, 1], [0.1, 0.9, 0.8], {"specificity": 0.0, "precision": 1.0}),
        # no positive at all, none predicted: F1, precision, sensitivity 0/0 -> 0.0
        ([0, 0], [0.1, 0.2], {"f1": 0.0, "precision": 0.0, "sensitivity": 0.0}),
    ],
)
def test_zero_division_is_zero_in_point_and_bootstrap(y, score, expected):
    point = binary_scores(y, score)
    report = evaluate_scores(y, score, n_bootstrap=50, random_state=0)
    for name, value in expected.items():
        assert point[name] == value, name
        assert report.scores[name] == value, name
    for name in THRESHOLD_SCORES:
        if name in report.ci:
            assert np.all(np.isfinite(report.ci[name])), name  # never nan, in any resample
    if len(set(y)) == 1:
        assert np.isnan(point["roc_auc"]) and np.all(np.isnan(report.ci["roc_auc"]))


def test_scores_from_counts_take_keras_float_counts():
    as_int = scores_from_counts(7, 3, 2, 8)
    as_float = scores_from_counts(7.0, 3.0, 2.0, 8.0)
    assert as_int == as_float
    assert set(as_int) == set(THRESHOLD_SCORES)
    assert as_int["balanced_accuracy"] == (as_int["sensitivity"] + as_int["specificity"]) / 2


def test_probability_score_names_and_one_class():
    assert probability_score("roc_auc", [0, 1, 1], [0.2, 0.1, 0.9]) == 0.5
    assert np.isnan(probability_score("average_precision", [0, 0], [0.2, 0.1]))
    with pytest.raises(InvalidParameterError, match="'name' parameter"):
        probability_score("f1", [0, 1], [0.2, 0.9])


def test_binary_scores_reject_labels_other_than_0_and_1():
    with pytest.raises(ValueError, match="0 or 1"):
        binary_scores([0, 2], [0.1, 0.9])


# ----------------------------------------------------------------------- bootstrap
def test_bootstrap_point_estimates_are_binary_scores(rng, monkeypatch):
    y = rng.integers(0, 2, 80)
    score = np.clip(0.3 * y + rng.normal(0.35, 0.2, 80), 0, 1)
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return binary_scores(*args, **kwargs)

    monkeypatch.setattr(skxray.evaluation._evaluate, "binary_scores", counting)
    report = evaluate_scores(y, score, threshold=0.4, n_bootstrap=30, random_state=0)
    assert len(calls) == 1 + 30  # the point estimate, then one call per resample
    expected = binary_scores(y, score, 0.4)
    expected["average_precision"] = probability_score("average_precision", y, score)
    assert report.scores == {name: expected[name] for name in (*_REPORTED, "average_precision")}
    np.testing.assert_array_equal(report.confusion_matrix, expected["confusion_matrix"])


def test_bootstrap_leaves_out_undefined_roc_auc_resamples():
    # 3 positives in 30: some resamples hold no positive; their ROC-AUC is left out,
    # so the interval stays finite (scipy.stats.bootstrap would make it nan).
    y = np.r_[np.zeros(27, int), np.ones(3, int)]
    score = np.r_[np.linspace(0.0, 0.6, 27), [0.7, 0.8, 0.9]]
    report = evaluate_scores(y, score, n_bootstrap=500, random_state=0)
    assert report.ci["roc_auc"] == pytest.approx((1.0, 1.0))
    assert report.ci["sensitivity"][0] == 0.0  # resamples without positives count as 0.0


def test_bootstrap_parameters_are_validated():
    with pytest.raises(InvalidParameterError, match="'n_bootstrap' parameter of evaluate"):
        evaluate_scores([0, 1], [0.2, 0.8], n_bootstrap=0)
    with pytest.raises(InvalidParameterError, match="'confidence' parameter"):
        evaluate_scores([0, 1], [0.2, 0.8], confidence=1.0)


class _RecordingClassifier:
    """A fitted binary classifier that records its predict_proba calls."""

    classes_ = np.array([0, 1])

    def __init__(self):
        self.calls = 0

    def predict_proba(self, X):
        self.calls += 1
        score = np.linspace(0.1, 0.9, len(X))
        return np.column_stack([1 - score, score])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n_bootstrap", 0),
        ("confidence", 1.5),
        ("threshold", "high"),
        ("plot", "yes"),
        ("random_state", "seed"),
        ("target_names", 3),
    ],
)
def test_evaluate_checks_its_parameters_before_predicting(name, value):
    clf = _RecordingClassifier()
    X, y = np.zeros((6, 4, 4, 1)), np.array([0, 1] * 3)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of evaluate"):
        evaluate(clf, X, y, **{name: value})
    assert clf.calls == 0
    report = evaluate(clf, X, y, n_bootstrap=10, random_state=0, plot=False)
    assert clf.calls == 1 and report.confusion_matrix.sum() == 6


# ----------------------------------------------------------------------- callback
def _counts_logs(y, pred, prefix=""):
    tn, fp, fn, tp = np.bincount(2 * np.asarray(y) + np.asarray(pred), minlength=4)
    return {prefix + "tn": float(tn), prefix + "fp": float(fp), prefix + "fn": float(fn),
            prefix + "tp": float(tp)}  # fmt: skip


@pytest.mark.parametrize(
    "scoring",
    [
        "f1",
        "precision",
        "recall",
        "sensitivity",
        "specificity",
        "accuracy",
        "balanced_accuracy",
    ],
)
def test_epoch_scores_on_hand_made_logs(scoring):
    y_train, pred_train = [0, 0, 1, 1, 1, 0], [0, 1, 1, 0, 1, 0]
    y_val, pred_val = [1, 0, 1, 0], [1, 1, 1, 0]
    logs = {
        "loss": 0.5,
        **_counts_logs(y_train, pred_train),
        **_counts_logs(y_val, pred_val, "val_"),
    }
    EpochScores(scoring).on_epoch_end(0, logs)
    name = "sensitivity" if scoring == "recall" else scoring
    sklearn_train = {**_sklearn_scores(y_train, pred_train),
                     "balanced_accuracy": balanced_accuracy_score(y_train, pred_train)}  # fmt: skip
    sklearn_val = {**_sklearn_scores(y_val, pred_val),
                   "balanced_accuracy": balanced_accuracy_score(y_val, pred_val)}  # fmt: skip
    assert logs[scoring] == pytest.approx(sklearn_train[name], abs=1e-12)
    assert logs["val_" + scoring] == pytest.approx(sklearn_val[name], abs=1e-12)


def test_epoch_scores_default_is_the_f1_of_precision_and_recall():
    # The default output: keys f1 and val_f1, the values the callback derived
    # before from Keras's precision and recall (here without float32 rounding).
    logs = {**_counts_logs([0, 1, 1, 1, 0], [1, 1, 0, 1, 0]), "precision": 2 / 3, "recall": 2 / 3}
    EpochScores().on_epoch_end(0, logs)
    p, r = logs["precision"], logs["recall"]
    assert logs["f1"] == pytest.approx(2 * p * r / (p + r), abs=1e-12)
    assert "val_f1" not in logs  # no validation counts, no val_f1
    logs = {"loss": 1.0, "accuracy": 0.5}  # a multiclass model's logs: nothing added
    EpochScores().on_epoch_end(0, logs)
    assert logs == {"loss": 1.0, "accuracy": 0.5}
    zero = {"tn": 5.0, "fp": 0.0, "fn": 0.0, "tp": 0.0}
    EpochScores().on_epoch_end(0, zero)
    assert zero["f1"] == 0.0  # the zero-division convention, as Keras's precision/recall


def test_epoch_scores_rejects_unknown_names_and_missing_data():
    with pytest.raises(InvalidParameterError, match="'scoring' parameter of EpochScores") as err:
        EpochScores("auc")
    for name in SCORE_NAMES:
        assert repr(name) in str(err.value)
    with pytest.raises(InvalidParameterError, match="'validation_data' parameter"):
        EpochScores("roc_auc")
    callback = EpochScores()
    callback.scoring = "f2"  # checked again when training starts
    with pytest.raises(InvalidParameterError, match="'scoring'"):
        callback.on_train_begin()


def _tiny_model(metrics):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy", metrics=metrics)
    return model


def _tiny_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).astype("float32")
    y = (X[:, 0] + 0.8 * rng.normal(size=120) > 0).astype("float32")
    return X[:80], y[:80], X[80:], y[80:]


def test_epoch_scores_in_keras_fit_from_count_metrics():
    # The metrics skxray's estimators compile for binary problems, plus count_metrics().
    metrics = [keras.metrics.Precision(name="precision"), keras.metrics.Recall(name="recall")]
    model = _tiny_model([*metrics, *count_metrics()])
    X, y, X_val, y_val = _tiny_data()
    callbacks = [EpochScores(), EpochScores("specificity")]
    history = model.fit(
        X, y, validation_data=(X_val, y_val), epochs=3, batch_size=16, verbose=0,
        callbacks=callbacks, shuffle=False,
    ).history  # fmt: skip
    for key in ("f1", "val_f1", "specificity", "val_specificity", *COUNT_METRICS):
        assert len(history[key]) == 3, key
    pred = (model.predict(X_val, verbose=0).ravel() > 0.5).astype(int)  # Keras's rule: > 0.5
    assert history["val_f1"][-1] == pytest.approx(f1_score(y_val, pred), abs=1e-12)
    assert history["val_specificity"][-1] == pytest.approx(
        recall_score(y_val, pred, pos_label=0), abs=1e-12
    )
    p, r = history["val_precision"][-1], history["val_recall"][-1]
    assert history["val_f1"][-1] == pytest.approx(2 * p * r / (p + r), abs=1e-6)  # as before


@pytest.mark.parametrize("scoring", PROBABILITY_SCORES)
def test_epoch_scores_probability_scores_predict_validation_data(scoring):
    model = _tiny_model([keras.metrics.AUC(name="roc_auc")])
    X, y, X_val, y_val = _tiny_data()
    callback = EpochScores(scoring, validation_data=(X_val, y_val))
    history = model.fit(X, y, epochs=2, verbose=0, callbacks=[callback]).history
    assert len(history["val_" + scoring]) == 2
    proba = model.predict(X_val, verbose=0).ravel()
    assert history["val_" + scoring][-1] == pytest.approx(
        probability_score(scoring, y_val, proba), abs=1e-12
    )


# ------------------------------------------------------------------------ display
class _Trained(BaseEstimator):
    def fit(self, X, y=None):
        self.history_ = {
            "loss": [0.7, 0.5, 0.4],
            "val_loss": [0.7, 0.6, 0.6],
            "balanced_accuracy": [0.5, 0.6, 0.7],
            "val_balanced_accuracy": [0.5, 0.55, 0.6],
        }
        return self


def test_display_plots_the_chosen_score_through_nested_pipelines():
    inner = make_pipeline(FunctionTransformer(), _Trained())
    pipe = make_pipeline(FunctionTransformer(), inner).fit(np.zeros((2, 1)))
    display = plot_learning_curves(pipe, score="balanced_accuracy")
    assert [len(ax.lines) for ax in display.axes_] == [2, 2]
    assert display.axes_[1].get_title() == "Balanced accuracy"
    default = TrainingHistoryDisplay.from_estimator(pipe)  # f1 absent: an empty axis
    assert [len(ax.lines) for ax in default.axes_] == [2, 0]
    with pytest.raises(InvalidParameterError, match="'score' parameter"):
        TrainingHistoryDisplay(pipe[-1][-1].history_, score=None).plot()
