"""ScratchCNNClassifier and XrayAugmenter as scikit-learn estimators."""

import pickle
import random
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import keras
import numpy as np
import pytest
from _tiny import TINY_CNN
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError
from sklearn.metrics import RocCurveDisplay, f1_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    check_cv,
    cross_val_score,
)
from sklearn.pipeline import Pipeline

from skxray import (
    ImageDirLoader,
    ScratchCNNClassifier,
    XrayAugmenter,
    cam_explain,
    load_image_folder,
    plot_learning_curves,
    shortcut_audit,
)
from skxray.datasets import get_sample_xrays_path, load_sample_xrays

# Tiny synthetic fits: Keras functions run eagerly (tests/conftest.py).
pytestmark = pytest.mark.eager

FAST = {**TINY_CNN, "epochs": 3, "batch_size": 16}


@pytest.fixture(scope="module")
def fitted(synthetic):
    """One fitted classifier shared by the module; do not mutate it."""
    return ScratchCNNClassifier(**FAST).fit(synthetic.images, synthetic.target)


# ------------------------------------------------ classifier behaviour (tags fix)
def test_is_a_classifier_for_scikit_learn(fitted, synthetic):
    assert is_classifier(fitted)
    assert isinstance(
        check_cv(3, synthetic.target, classifier=is_classifier(fitted)), StratifiedKFold
    )


def test_roc_auc_scoring_gives_numbers(synthetic):
    scores = cross_val_score(
        ScratchCNNClassifier(**FAST),
        synthetic.images,
        synthetic.target,
        cv=2,
        scoring="roc_auc",
        error_score="raise",
    )
    assert np.isfinite(scores).all() and (scores >= 0).all()


def test_threshold_tuning_and_calibration_wrap_it(synthetic):
    X, y = synthetic.images, synthetic.target
    tuned = TunedThresholdClassifierCV(ScratchCNNClassifier(**FAST), cv=2, scoring="f1")
    tuned.fit(X, y)
    assert 0 <= tuned.best_threshold_ <= 1 and tuned.predict(X).shape == y.shape
    calibrated = CalibratedClassifierCV(ScratchCNNClassifier(**FAST), cv=2).fit(X, y)
    proba = calibrated.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_roc_curve_display(fitted, synthetic):
    display = RocCurveDisplay.from_estimator(fitted, synthetic.images, synthetic.target)
    assert 0 <= display.roc_auc <= 1


# ------------------------------------------------------------- model selection
def test_pipeline_on_file_paths_grid_search_and_cross_val():
    data = load_image_folder(get_sample_xrays_path())
    idx = np.r_[0:24, 100:124]  # 24 NORMAL + 24 PNEUMONIA
    paths, y = data.paths[idx], data.target[idx]
    pipe = Pipeline(
        [
            ("load", ImageDirLoader(image_size=32)),
            (
                "clf",
                ScratchCNNClassifier(
                    **{**FAST, "preset": "optimized", "conv_filters": (4, 4, 4, 4)}
                ),
            ),
        ]
    )
    grid = {"clf__optimizer": ["adam", "rmsprop"], "clf__conv_dropout": [0.4]}
    search = GridSearchCV(pipe, grid, cv=2, scoring="f1", refit=False, error_score="raise")
    search.fit(paths, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert len(search.cv_results_["params"]) == 2
    scores = cross_val_score(pipe, paths, y, cv=2, scoring="f1", error_score="raise")
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_routed_optimizer_parameters(synthetic):
    clf = ScratchCNNClassifier(
        **{**FAST, "epochs": 1},
        optimizer="sgd",
        optimizer__learning_rate=0.05,
        optimizer__momentum=0.9,
    )
    clf.fit(synthetic.images, synthetic.target)
    opt = clf.model_.optimizer
    assert isinstance(opt, keras.optimizers.SGD)
    assert float(opt.learning_rate) == pytest.approx(0.05)
    assert float(opt.momentum) == pytest.approx(0.9)
    assert clone(clf).get_params()["optimizer__momentum"] == 0.9


# ------------------------------------------------------- persistence, determinism
@pytest.mark.graph
def test_predict_proba_clone_pickle_joblib(fitted, synthetic, tmp_path):
    X = synthetic.images[:10]
    proba = fitted.predict_proba(X)
    assert proba.shape == (10, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[proba.argmax(axis=1)])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict_proba(X), proba)
    joblib.dump(fitted, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").predict_proba(X), proba)
    unfitted = clone(fitted)
    assert not hasattr(unfitted, "model_")
    assert unfitted.get_params() == fitted.get_params()


@pytest.mark.graph
def test_same_random_state_same_predictions(synthetic):
    X, y = synthetic.images, synthetic.target
    params = {
        **FAST,
        "augmenter": XrayAugmenter(),
        "validation_split": 0.2,
        "preset": "optimized",
        "conv_filters": (4, 4, 4, 4),
    }
    first = ScratchCNNClassifier(**params).fit(X, y).predict_proba(X)
    second = ScratchCNNClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = ScratchCNNClassifier(**{**params, "random_state": 1}).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


@pytest.mark.graph
def test_same_random_state_in_a_worker_thread_while_another_draws(synthetic):
    # A Dask worker fits in a task thread while its event loop thread draws from Python's
    # global `random` (dask.sizeof samples with random.sample); Keras' default seeds
    # must not depend on that.
    X, y = synthetic.images[:48], synthetic.target[:48]
    params = {**FAST, "epochs": 1}
    expected = ScratchCNNClassifier(**params).fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()
            time.sleep(1e-4)

    drawing = threading.Thread(target=draw)
    drawing.start()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            for _ in range(2):  # twice in the same thread, as on a worker
                fit = pool.submit(lambda: ScratchCNNClassifier(**params).fit(X, y))
                np.testing.assert_array_equal(fit.result().predict_proba(X), expected)
    finally:
        stop.set()
        drawing.join()


# ------------------------------------------------------------------ augmentation
@pytest.mark.graph
def test_augmenter_trains_only(synthetic):
    X, y = synthetic.images, synthetic.target
    clf = ScratchCNNClassifier(**FAST, augmenter=XrayAugmenter(rotation_range=90)).fit(X, y)
    predicted = clf.predict_proba(X)
    np.testing.assert_array_equal(predicted, clf.predict_proba(X))
    inference = keras.ops.convert_to_numpy(clf.model_(X, training=False))[:, 0]
    training = keras.ops.convert_to_numpy(clf.model_(X, training=True))[:, 0]
    np.testing.assert_allclose(predicted[:, 1], inference, atol=1e-6)
    assert np.abs(training - inference).max() > 1e-3  # transforms act in training mode only
    names = [layer.name for layer in clf.model_.layers]
    assert "augmentation" in names


def test_augmenter_is_tunable_and_not_a_pipeline_step(synthetic):
    search = GridSearchCV(
        ScratchCNNClassifier(**{**FAST, "epochs": 1}, augmenter=XrayAugmenter()),
        {"augmenter__rotation_range": [0, 15]},
        cv=2,
        scoring="f1",
        error_score="raise",
    )
    search.fit(synthetic.images, synthetic.target)
    assert search.best_estimator_.augmenter.rotation_range in (0, 15)
    with pytest.raises(TypeError, match="transform"):
        Pipeline([("aug", XrayAugmenter()), ("clf", ScratchCNNClassifier())]).fit(
            synthetic.images, synthetic.target
        )


def test_augmenter_preview_and_validation():
    images = np.zeros((3, 32, 32), np.float32)
    images[:, 8:24, 8:24] = 1.0
    out = XrayAugmenter(rotation_range=45, zoom_range=0.0).augment(images, random_state=0)
    assert out.shape == images.shape and not np.allclose(out, images)
    again = XrayAugmenter(rotation_range=45, zoom_range=0.0).augment(images, random_state=0)
    np.testing.assert_array_equal(out, again)
    report = XrayAugmenter.from_report()
    assert report.horizontal_flip and report.fill_mode == "nearest"
    with pytest.raises(ValueError, match="'rotation_range' parameter of XrayAugmenter must be"):
        XrayAugmenter(rotation_range=-5).build_layers()
    with pytest.raises(ValueError, match="fill_mode"):
        XrayAugmenter(fill_mode="mirror").build_layers()
    with pytest.raises(ValueError, match="expects images"):
        XrayAugmenter().augment(np.zeros(5))


# ------------------------------------------------------------ epochs and history
def test_history_scores_whole_validation_data(synthetic):
    X, y = synthetic.images, synthetic.target
    clf = ScratchCNNClassifier(**{**FAST, "epochs": 4})
    clf.fit(X[:64], y[:64], validation_data=(X[64:], y[64:]))
    history = clf.history_
    for key in (
        "loss",
        "f1",
        "precision",
        "recall",
        "roc_auc",
        "val_loss",
        "val_f1",
        "val_precision",
        "val_recall",
        "val_roc_auc",
    ):
        assert len(history[key]) == 4, key
    expected = f1_score(y[64:], clf.predict(X[64:]))
    assert history["val_f1"][-1] == pytest.approx(expected, abs=1e-6)
    display = plot_learning_curves(clf)
    assert [len(ax.lines) for ax in display.axes_] == [2, 2]


def test_validation_split_is_stratified(synthetic):
    y = synthetic.target.copy()
    order = np.argsort(y, kind="stable")  # all negatives first: Keras's tail split fails here
    clf = ScratchCNNClassifier(**{**FAST, "epochs": 1}, validation_split=0.25)
    clf.fit(synthetic.images[order], y[order])
    assert 0 < clf.history_["val_recall"][0] + clf.history_["val_precision"][0] or np.isfinite(
        clf.history_["val_roc_auc"][0]
    )


def test_early_stopping_restores_best_weights(synthetic):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, len(synthetic.target))  # noise labels: validation loss rises
    clf = ScratchCNNClassifier(
        **{**FAST, "epochs": 30},
        early_stopping=True,
        patience=2,
        validation_split=0.3,
        optimizer__learning_rate=0.01,
    )
    clf.fit(synthetic.images, y)
    assert clf.n_epochs_ < 30
    best = int(np.argmin(clf.history_["val_loss"]))
    assert best == clf.n_epochs_ - 1 - 2  # stopped `patience` epochs after the best
    # The "early_stopping" callback switched off by name: training runs past that point.
    longer = clone(clf).set_params(epochs=clf.n_epochs_ + 1, callbacks__early_stopping=None)
    assert longer.fit(synthetic.images, y).n_epochs_ == clf.n_epochs_ + 1


class _Recorder(keras.callbacks.Callback):
    """Records the epoch logs that reach the callbacks after the estimator's own."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


def test_default_callbacks_by_name(synthetic):
    X, y = synthetic.images[:48], synthetic.target[:48]
    one = {**FAST, "epochs": 1}
    recorder = _Recorder()
    clf = ScratchCNNClassifier(**one, validation_split=0.25, callbacks=[recorder]).fit(X, y)
    assert "f1" in recorder.logs[-1] and "val_f1" in clf.history_  # epoch_scores runs first
    # switched off by name, in the constructor or with set_params; user callbacks still run
    off = ScratchCNNClassifier(**one, callbacks__epoch_scores=None).fit(X, y)
    assert "f1" not in off.history_ and "loss" in off.history_
    recorder = _Recorder()
    clf.set_params(callbacks__epoch_scores=None, callbacks=[recorder]).fit(X, y)
    assert "f1" not in clf.history_ and "f1" not in recorder.logs[-1] and recorder.logs
    # replaced by name: the replacement runs in its place
    replacement = _Recorder()
    ScratchCNNClassifier(**one, callbacks__epoch_scores=replacement).fit(X, y)
    assert len(replacement.logs) == 1 and "f1" not in replacement.logs[0]
    with pytest.raises(ValueError, match="'callbacks__epoch_scores' parameter"):
        ScratchCNNClassifier(**one, callbacks__epoch_scores="f1").fit(X, y)
    search = GridSearchCV(
        ScratchCNNClassifier(**one), {"callbacks__epoch_scores": [None]}, cv=2, refit=False
    )
    assert search.fit(X, y).best_params_ == {"callbacks__epoch_scores": None}


def test_verbose_prints_one_clean_line_per_epoch_in_a_log(synthetic, capsys):
    X, y = synthetic.images[:48], synthetic.target[:48]
    ScratchCNNClassifier(**{**FAST, "epochs": 2}, validation_split=0.25, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out  # no bar redrawn with control characters
    assert out.count(", epoch ") == 2 and out.count("; validation loss") == 2
    ScratchCNNClassifier(**{**FAST, "epochs": 1}).fit(X, y)
    assert capsys.readouterr().out == ""


def test_class_weight_and_label_smoothing_change_training(synthetic):
    X, y = synthetic.images, synthetic.target
    keep = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:10]]
    base = ScratchCNNClassifier(**{**FAST, "epochs": 1}).fit(X[keep], y[keep])
    weighted = ScratchCNNClassifier(**{**FAST, "epochs": 1}, class_weight="balanced")
    weighted.fit(X[keep], y[keep])
    smoothed = ScratchCNNClassifier(**{**FAST, "epochs": 1}, label_smoothing=0.2)
    smoothed.fit(X[keep], y[keep])
    assert base.history_["loss"] != weighted.history_["loss"]
    assert base.history_["loss"] != smoothed.history_["loss"]


def test_uint8_images_and_multiclass(synthetic):
    X = synthetic.images
    as_uint8 = np.rint(X * 255).astype(np.uint8)
    a = ScratchCNNClassifier(**FAST).fit(as_uint8, synthetic.target).predict_proba(as_uint8)
    b = ScratchCNNClassifier(**FAST).fit(as_uint8 / np.float32(255), synthetic.target)
    np.testing.assert_allclose(a, b.predict_proba(as_uint8 / np.float32(255)), atol=1e-4)
    y3 = np.arange(len(X)) % 3
    clf = ScratchCNNClassifier(**{**FAST, "epochs": 1}).fit(X, y3)
    assert clf.predict_proba(X[:4]).shape == (4, 3) and set(clf.predict(X)) <= {0, 1, 2}


def test_presets_follow_the_report(synthetic):
    X, y = synthetic.images[:16], synthetic.target[:16]
    optimized = ScratchCNNClassifier("optimized", epochs=1, random_state=0).fit(X, y)
    layers = {layer.name: layer for layer in optimized.model_.layers}
    assert [layers[f"conv_{i}"].filters for i in range(1, 5)] == [16, 32, 64, 16]
    assert layers["conv_4"].kernel_size == (4, 4) and layers["pool_4"].pool_size == (4, 4)
    assert layers["head_dense"].units == 500
    assert layers["head_dropout_1"].rate == 0.4 and layers["head_dropout_2"].rate == 0.2
    assert optimized.last_conv_layer_ == "conv_4"
    vanilla = ScratchCNNClassifier("vanilla", epochs=1, random_state=0).fit(X, y)
    names = [layer.name for layer in vanilla.model_.layers]
    assert "conv_4" not in names and not any("dropout" in n for n in names)
    assert vanilla.model_.get_layer("head_dense").units == 128


# ------------------------------------------------------------------- bad input
def test_bad_input_errors(fitted, synthetic):
    X, y = synthetic.images, synthetic.target
    clf = ScratchCNNClassifier(**FAST)
    with pytest.raises(ValueError, match="2-D array of shape"):
        clf.fit(X.reshape(len(X), -1), y)
    with pytest.raises(ValueError, match="5-D array"):
        clf.fit(X[..., None], y)
    bad = X.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, y)
    bad[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(bad, y)
    with pytest.raises(ValueError, match="X is empty"):
        clf.fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="single class"):
        clf.fit(X, np.ones_like(y))
    with pytest.raises(ValueError, match=r"expecting X of shape \(32, 32, 1\)"):
        fitted.predict(np.zeros((2, 40, 40, 1), np.float32))
    with pytest.raises(
        ValueError,
        match="'optimizer' parameter of ScratchCNNClassifier must be a Keras optimizer name",
    ):
        ScratchCNNClassifier(**FAST, optimizer="adamm").fit(X, y)
    with pytest.raises(ValueError, match="'preset' parameter of ScratchCNNClassifier"):
        ScratchCNNClassifier("resnet50").fit(X, y)
    with pytest.raises(NotFittedError):
        ScratchCNNClassifier().predict(X)
    with pytest.raises(ValueError, match="early_stopping=True needs validation data"):
        ScratchCNNClassifier(**FAST, early_stopping=True).fit(X, y)
    with pytest.raises(TypeError, match="unexpected parameter 'colour__mode'"):
        ScratchCNNClassifier(**FAST, colour__mode=1).fit(X, y)
    with pytest.raises(TypeError, match="not file paths"):
        clf.fit(["a.jpeg", "b.jpeg"], [0, 1])
    with pytest.raises(ValueError, match="'conv_dropout' parameter"):
        ScratchCNNClassifier(**FAST, conv_dropout=1.5).fit(X, y)
    with pytest.raises(ValueError, match="empty images"):
        clf.fit(np.zeros((4, 0, 5, 1)), [0, 1, 0, 1])


def test_tta_shift_averages_the_four_translations(synthetic):
    from skxray.models._training._tta import translated_views

    clf = ScratchCNNClassifier(**FAST).fit(synthetic.images, synthetic.target)
    X = synthetic.images[:6]
    plain = clf.predict_proba(X)
    clf.set_params(tta_shift=0.125)  # 4 of the 32 pixels
    views = translated_views(X, 0.125)
    assert len(views) == 5 and all(v.shape == X.shape for v in views)
    assert not np.allclose(views[1], X)  # the views really moved
    # The right-shifted view: column c holds the original column c - shift (reflect border).
    np.testing.assert_allclose(views[1][:, :, 8:], X[:, :, 4:-4], atol=1e-6)
    np.testing.assert_allclose(views[4][:, :-8], X[:, 4:-4], atol=1e-6)  # moved up
    members = np.mean([clf.set_params(tta_shift=0.0).predict_proba(v) for v in views], axis=0)
    clf.set_params(tta_shift=0.125)
    averaged = clf.predict_proba(X)
    np.testing.assert_allclose(averaged, members, rtol=1e-5, atol=1e-6)
    assert not np.allclose(averaged, plain)
    np.testing.assert_array_equal(clf.predict(X), (averaged[:, 1] >= 0.5).astype(int))
    # uint8 images are shifted as uint8 and give the same as their float version
    u8 = np.round(X * 255).astype(np.uint8)
    assert translated_views(u8, 0.1)[2].dtype == np.uint8


@pytest.mark.parametrize("shift", [-0.1, 0.5, "0.1", True])
def test_tta_shift_is_validated_at_fit_and_predict(fitted, synthetic, shift):
    with pytest.raises(ValueError, match="tta_shift"):
        ScratchCNNClassifier(**FAST, tta_shift=shift).fit(synthetic.images, synthetic.target)
    bad = clone(fitted)
    bad.__dict__.update(
        {k: v for k, v in fitted.__dict__.items() if k.endswith("_") and not k.startswith("_")}
    )
    bad.set_params(tta_shift=shift)
    with pytest.raises(ValueError, match="tta_shift"):
        bad.predict_proba(synthetic.images[:2])


# ------------------------------------------------------- modern architectures
MODERN = dict(epochs=1, batch_size=16, random_state=0)


@pytest.mark.parametrize("preset", ["bn-cnn", "resnet"])
def test_modern_presets_train_predict_and_explain(synthetic, preset):
    clf = ScratchCNNClassifier(preset, width_multiplier=0.25, **MODERN)
    clf.fit(synthetic.images, synthetic.target)
    layers = {layer.name: layer for layer in clf.model_.layers}
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in layers.values())
    assert "head_pool" in layers and "head_dense" not in layers  # global pooling head
    assert clf.last_conv_layer_ == "block4_out"
    assert ("stem" in layers) == (preset == "resnet")
    assert any(name.endswith("_add") for name in layers) == (preset == "resnet")
    # width_multiplier=0.25: 16/32/64/128 filters become 4/8/16/32
    assert layers["block4_conv1"].filters == 32
    assert clf.predict_proba(synthetic.images[:1]).shape == (1, 2)
    # gradients for Grad-CAM need TensorFlow or torch; CAM needs none (CI also runs JAX)
    methods = ("cam",) if keras.backend.backend() == "jax" else ("gradcam", "cam")
    for method in methods:
        heat = cam_explain(clf, synthetic.images[:2], method=method)
        assert heat.shape == (2, *synthetic.images.shape[1:3]) and np.isfinite(heat).all()
    audit = shortcut_audit(clf, synthetic.images[:4], method=methods[0])
    assert audit.summary()["n_images"] == 4 and np.isfinite(audit.proba).all()


def test_architecture_parameters_override_the_preset(synthetic):
    clf = ScratchCNNClassifier(
        "optimized", conv_filters=(4, 8), kernel_size=3, pool_size=2, batch_norm=True,
        residual=True, block_depth=2, stem_filters=4, stem_strides=2, head_pooling="max",
        dense_units=0, **MODERN,
    )  # fmt: skip
    clf.fit(synthetic.images, synthetic.target)
    layers = {layer.name: layer for layer in clf.model_.layers}
    assert layers["stem"].strides == (2, 2) and layers["stem"].kernel_size == (5, 5)
    assert {"block1_conv1", "block1_conv2", "block2_conv2", "block2_project"} <= set(layers)
    assert "block1_project" not in layers  # 4 -> 4 filters: the identity shortcut
    assert isinstance(layers["head_pool"], keras.layers.GlobalMaxPooling2D)
    # the report's presets keep their layers and names
    plain = ScratchCNNClassifier("optimized", **MODERN).fit(synthetic.images, synthetic.target)
    names = [layer.name for layer in plain.model_.layers]
    assert "conv_4" in names and "head_flatten" in names and plain.last_conv_layer_ == "conv_4"
    assert not any("bn" in name for name in names)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"block_depth": 0}, "block_depth"),
        ({"width_multiplier": 0}, "width_multiplier"),
        ({"stem_filters": -1}, "stem_filters"),
        ({"batch_norm": "yes"}, "batch_norm"),
        ({"preset": "resnet50"}, "preset"),
    ],
)
def test_bad_architecture_parameters_are_named(synthetic, params, match):
    with pytest.raises(ValueError, match=match):
        ScratchCNNClassifier(**{**MODERN, **params}).fit(synthetic.images, synthetic.target)


def test_architecture_is_tunable_by_grid_search(synthetic):
    search = GridSearchCV(
        ScratchCNNClassifier("bn-cnn", width_multiplier=0.25, **MODERN),
        {"residual": [False, True]},
        cv=2,
        scoring="f1",
        error_score="raise",
    )
    search.fit(synthetic.images, synthetic.target)
    assert search.best_params_["residual"] in (False, True)
    assert len(search.cv_results_["mean_test_score"]) == 2


# ---------------------------------------------------- traced fits hold no memory
@pytest.mark.graph
def test_traced_fits_release_their_gradient_registry_entries(synthetic, caplog):
    """The leak of issue 23: each traced training step left a custom-gradient entry (and
    with it the whole traced graph) in TensorFlow's global registry; a grid search of
    traced fits now leaves none behind and logs no retracing warning."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the gradient registry is TensorFlow's")
    from skxray.utils._compat import tf_gradient_registry

    def entries():
        return sum(key.startswith("CustomGradient-") for key in tf_gradient_registry())

    before = entries()
    with caplog.at_level("WARNING", logger="tensorflow"):
        search = GridSearchCV(
            ScratchCNNClassifier(**{**FAST, "epochs": 1}),
            {"dense_units": [8, 16]},
            cv=2,
            scoring="f1",
            error_score="raise",
        ).fit(synthetic.images, synthetic.target)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert entries() == before  # 5 traced fits, no entry left
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def test_a_fit_that_collapses_to_one_class_warns():
    # The README's Pipeline on 50 images scored F1 0.0 in every fold, with no warning.
    from sklearn.exceptions import ConvergenceWarning

    settings = dict(conv_filters=(4,), dense_units=8, random_state=0)
    labels = np.tile([0, 1], 25)
    same = np.full((50, 16, 16, 1), 0.5, dtype="float32")  # one output for all, any backend
    with pytest.warns(ConvergenceWarning, match="for all 50 of its training images") as record:
        clf = ScratchCNNClassifier("vanilla", epochs=1, **settings).fit(same, labels)
    message = next(str(w.message) for w in record if w.category is ConvergenceWarning)
    assert f"predicts class {clf.predict(same)[0]} for all" in message
    # two trivially separable classes: no warning
    easy = np.concatenate([np.zeros((20, 16, 16, 1)), np.ones((20, 16, 16, 1))]).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = ScratchCNNClassifier(
            "vanilla", epochs=20, optimizer__learning_rate=0.01, **settings
        ).fit(easy, np.repeat([0, 1], 20))
    assert np.unique(clf.predict(easy)).size == 2


def test_training_lines_in_a_log_are_short_and_name_the_seed(capsys):
    # Keras' own lines ran 170-430 characters and did not say which seed was training.
    data = load_sample_xrays(image_size=32)
    ScratchCNNClassifier(
        "vanilla", conv_filters=(4,), dense_units=8, epochs=2, validation_split=0.25,
        random_state=7, verbose=1,
    ).fit(data.images, data.target)  # fmt: skip
    lines = [line for line in capsys.readouterr().out.splitlines() if "epoch" in line]
    assert [line.split(":")[0] for line in lines] == ["seed 7, epoch 1/2", "seed 7, epoch 2/2"]
    assert all(len(line) <= 110 and "validation loss" in line for line in lines), lines
    assert not any(" tp " in line or "cm_" in line for line in lines)
