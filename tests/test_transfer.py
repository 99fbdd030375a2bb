"""InceptionTransferClassifier: modes, weights, the feature cache, sklearn behaviour."""

import os
import pickle
import warnings

import h5py
import joblib
import keras
import numpy as np
import pytest
from _tiny import TINY_INCEPTION
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

import skxray.models._weights
from skxray import (
    FEATURE_CACHE,
    ImageDirLoader,
    InceptionTransferClassifier,
    TransferClassifier,
    WeightsNotAvailableError,
    XrayAugmenter,
    cam_explain,
    load_image_folder,
)
from skxray.datasets import get_sample_xrays_path
from skxray.models._backbones import BACKBONES, BackbonePreprocessing

# Tiny synthetic fits: Keras functions run eagerly (tests/conftest.py).
pytestmark = pytest.mark.eager

TINY = TINY_INCEPTION


@pytest.fixture(scope="module")
def fine_tuned(synthetic):
    """One fine-tuned model shared by the module; do not mutate it."""
    clf = InceptionTransferClassifier(
        "fine_tune", n_trainable_blocks=1, fine_tune_epochs=1, validation_split=0.25, **TINY
    )
    return clf.fit(synthetic.images[:48], synthetic.target[:48])


def test_bottleneck_freezes_the_base(synthetic):
    clf = InceptionTransferClassifier(**TINY).fit(synthetic.images[:32], synthetic.target[:32])
    assert is_classifier(clf)
    trainable = {w.path.split("/")[0] for w in clf.model_.trainable_weights}
    assert trainable == {"head_dense", "head_output"}
    assert clf.history_["stage"] == [1, 1]
    proba = clf.predict_proba(synthetic.images[:5])
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_fine_tune_unfreezes_the_top_blocks_not_the_stem(fine_tuned):
    model = fine_tuned.model_
    layers = model.layers
    top_start = layers.index(model.get_layer("mixed9")) + 1
    for i, layer in enumerate(layers):
        if not layer.weights or layer.name.startswith("head"):
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            assert not layer.trainable, f"{layer.name}: BatchNormalization must stay frozen"
        else:
            assert layer.trainable == (i >= top_start), layer.name
    assert model.get_layer("head_output").trainable
    assert fine_tuned.history_["stage"] == [1, 1, 2]
    assert len(fine_tuned.history_["val_f1"]) == 3
    assert fine_tuned.fine_tuned_


def test_flat_graph_and_heatmaps(fine_tuned, synthetic):
    model = fine_tuned.model_
    assert model.get_layer("mixed10").output.shape[-1] == 2048  # flat: reachable by name
    assert not any(isinstance(layer, keras.Model) for layer in model.layers)
    for method in ("gradcam", "gradcam++"):
        maps = cam_explain(fine_tuned, synthetic.images[:3], method=method)
        assert maps.shape == (3, 32, 32) and 0 <= maps.min() and maps.max() <= 1
    maps = cam_explain(fine_tuned, synthetic.images[:3], layer="mixed10")
    np.testing.assert_allclose(maps, cam_explain(fine_tuned, synthetic.images[:3]), atol=1e-6)


def test_cam_method_on_a_cam_head(synthetic):
    clf = InceptionTransferClassifier(**{**TINY, "head_units": 0}, dropout=0.0)
    clf.fit(synthetic.images[:24], synthetic.target[:24])
    maps = cam_explain(clf, synthetic.images[:2], method="cam", layer="mixed10")
    assert maps.shape == (2, 32, 32)


def test_preprocessing_matches_inception():
    clf = InceptionTransferClassifier(**TINY)
    X = np.zeros((4, 40, 40, 1), np.float32)
    X[:, :, 20:] = 1.0
    clf.fit(X, [0, 1, 0, 1])
    probe = keras.Model(clf.model_.inputs[0], clf.model_.get_layer("preprocess_input").output)
    out = keras.ops.convert_to_numpy(probe(X))
    assert out.shape == (4, 75, 75, 3)
    assert out.min() == pytest.approx(-1) and out.max() == pytest.approx(1)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])  # gray repeated to RGB


@pytest.mark.slow
def test_feature_cache_featurises_each_image_once(synthetic):
    X, y = synthetic.images[:36], synthetic.target[:36]
    grid = {"head_units": [4, 8]}
    FEATURE_CACHE.clear()
    split = [(np.arange(0, 36, 2), np.arange(1, 36, 2))]  # one train/test split
    search = GridSearchCV(
        InceptionTransferClassifier(**TINY),
        grid,
        cv=split,
        scoring="f1",
        refit=False,
        error_score="raise",
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert FEATURE_CACHE.n_computed == len(X)  # 2 candidates: each image once
    assert FEATURE_CACHE.n_reused >= len(X)  # the second candidate reuses them all
    # Cached and uncached training give the same model (benchmarks/speed/bench_transfer.py
    # compares whole grid searches).
    cached = InceptionTransferClassifier(**TINY).fit(X, y)
    uncached = InceptionTransferClassifier(**TINY, feature_cache=False).fit(X, y)
    np.testing.assert_allclose(uncached.predict_proba(X), cached.predict_proba(X), atol=1e-5)


@pytest.mark.slow
def test_cache_is_keyed_by_base_configuration(synthetic):
    X, y = synthetic.images[:16], synthetic.target[:16]
    FEATURE_CACHE.clear()
    InceptionTransferClassifier(**TINY).fit(X, y)
    InceptionTransferClassifier(**{**TINY, "input_size": 80}).fit(X, y)
    InceptionTransferClassifier(**{**TINY, "random_state": 1}).fit(X, y)  # other random base
    assert FEATURE_CACHE.n_computed == 3 * len(X)
    InceptionTransferClassifier(**{**TINY, "random_state": None}).fit(X, y)
    augmented = InceptionTransferClassifier(**TINY, augmenter=XrayAugmenter()).fit(X, y)
    assert FEATURE_CACHE.n_computed == 3 * len(X)  # neither may use the cache
    assert "augmentation" in [layer.name for layer in augmented.model_.layers]


@pytest.mark.slow
def test_sklearn_behaviour(synthetic, tmp_path):
    X, y = synthetic.images[:40], synthetic.target[:40]
    data = load_image_folder(get_sample_xrays_path())
    idx = np.r_[0:10, 100:110]
    pipe = Pipeline(
        [("load", ImageDirLoader(image_size=32)), ("clf", InceptionTransferClassifier(**TINY))]
    )
    scores = cross_val_score(
        pipe, data.paths[idx], data.target[idx], cv=2, scoring="f1", error_score="raise"
    )
    assert np.isfinite(scores).all()
    clf = InceptionTransferClassifier(**TINY).fit(X, y)
    proba = clf.predict_proba(X[:6])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X[:6]), proba)
    joblib.dump(clf, tmp_path / "model.joblib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        loaded = joblib.load(tmp_path / "model.joblib")
    # The saved optimizer state matches the weights it trained (no Keras "Skipping
    # variable loading for optimizer" warning on load).
    assert not [w for w in caught if "optimizer" in str(w.message)]
    np.testing.assert_array_equal(loaded.predict_proba(X[:6]), proba)
    same_seed = InceptionTransferClassifier(**TINY).fit(X, y)
    np.testing.assert_array_equal(same_seed.predict_proba(X[:6]), proba)
    assert clone(clf).get_params() == clf.get_params()
    # TunedThresholdClassifierCV and CalibratedClassifierCV wrap the shared base class;
    # test_scratch.py::test_threshold_tuning_and_calibration_wrap_it covers them. The
    # augmented network: test_cache_is_keyed_by_base_configuration.


# ----------------------------------------------------------------- weights
def test_imagenet_offline_error_says_what_to_do(synthetic, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(skxray.models._weights.keras.utils, "get_file", offline)
    clf = InceptionTransferClassifier(**{**TINY, "weights": "imagenet"})
    with pytest.raises(WeightsNotAvailableError) as info:
        clf.fit(synthetic.images[:8], synthetic.target[:8])
    message = str(info.value)
    assert skxray.models._weights.IMAGENET_FILE in message
    assert str(tmp_path / "keras_home" / "models") in message and "weights=<path" in message


def test_imagenet_uses_the_keras_cache(synthetic, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    donor = keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(75, 75, 3))
    (home / "models").mkdir(parents=True)
    donor.save_weights(home / "models" / "standin.weights.h5")
    os.rename(
        home / "models" / "standin.weights.h5",
        home / "models" / skxray.models._weights.IMAGENET_FILE,
    )
    assert skxray.models._weights.resolve_weights("imagenet").startswith(str(home))


# Loading the junk file makes Keras warn once per layer before it fails; the error is the test.
@pytest.mark.filterwarnings("ignore:Skipping nested container:UserWarning")
def test_weights_file_errors(synthetic, tmp_path):
    X, y = synthetic.images[:8], synthetic.target[:8]
    with pytest.raises(FileNotFoundError, match="missing.h5' does not exist"):
        InceptionTransferClassifier(**{**TINY, "weights": str(tmp_path / "missing.h5")}).fit(X, y)
    wrong = tmp_path / "wrong.weights.h5"
    with h5py.File(wrong, "w") as handle:
        handle.create_dataset("junk", data=np.zeros(3))
    with pytest.raises(ValueError, match="does not fit InceptionV3"):
        InceptionTransferClassifier(**{**TINY, "weights": str(wrong)}).fit(X, y)
    with pytest.raises(TypeError, match="'weights' parameter"):
        InceptionTransferClassifier(**{**TINY, "weights": 3}).fit(X, y)


def test_weights_file_is_loaded(synthetic, tmp_path):
    donor = keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(75, 75, 3))
    path = tmp_path / "inception.weights.h5"
    donor.save_weights(path)
    clf = InceptionTransferClassifier(**{**TINY, "weights": str(path)})
    clf.fit(synthetic.images[:8], synthetic.target[:8])
    expected = donor.get_layer(index=1).get_weights()[0]
    first_conv = next(
        layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Conv2D)
    )
    np.testing.assert_array_equal(first_conv.get_weights()[0], expected)


def test_bad_parameters(synthetic):
    X, y = synthetic.images[:8], synthetic.target[:8]
    with pytest.raises(ValueError, match=r"'input_size' parameter .* in the range \[75, inf\)"):
        InceptionTransferClassifier(**{**TINY, "input_size": 64}).fit(X, y)
    with pytest.raises(ValueError, match="'mode' parameter"):
        InceptionTransferClassifier("finetune", **TINY).fit(X, y)
    with pytest.raises(ValueError, match="'n_trainable_blocks' parameter"):
        InceptionTransferClassifier(**TINY, n_trainable_blocks=12).fit(X, y)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        InceptionTransferClassifier(**TINY).fit(np.zeros((8, 32, 32, 2), np.float32), y)


# ------------------------------------------------------------- other backbones
@pytest.mark.parametrize(
    "backbone",
    ["mobilenet_v3_small", "efficientnet_b0", "resnet50", "densenet121", "efficientnet_lite0"],
)
def test_every_backbone_fits_fine_tunes_predicts_and_explains(synthetic, backbone):
    X, y = synthetic.images[:24], synthetic.target[:24]
    clf = TransferClassifier(
        backbone, weights=None, input_size=32, head_units=8, epochs=1, batch_size=16,
        mode="fine_tune", n_trainable_blocks=1, fine_tune_epochs=1, random_state=0,
    )  # fmt: skip
    clf.fit(X, y)
    assert clf.history_["stage"] == [1, 2]
    assert clf.predict_proba(X[:1]).shape == (1, 2)
    layers = clf.model_.layers
    assert any(isinstance(layer, BackbonePreprocessing) for layer in layers)
    # only the top block (after the second-last block end) and the head train
    ends = BACKBONES[backbone].block_ends(layers)
    trainable = [i for i, layer in enumerate(layers) if layer.trainable and layer.weights]
    assert trainable and min(trainable) > ends[-2]
    heat = cam_explain(clf, X[:2])
    assert heat.shape == (2, 32, 32) and np.isfinite(heat).all()


def test_backbone_bottleneck_features_are_cached(synthetic):
    X, y = synthetic.images[:24], synthetic.target[:24]
    FEATURE_CACHE.clear()
    settings = dict(weights=None, input_size=32, head_units=8, epochs=1, random_state=0)
    TransferClassifier("mobilenet_v3_small", **settings).fit(X, y)
    computed = FEATURE_CACHE.n_computed
    assert computed == len(np.unique(X.reshape(len(X), -1), axis=0))
    TransferClassifier("mobilenet_v3_small", **{**settings, "head_units": 4}).fit(X, y)
    assert FEATURE_CACHE.n_computed == computed and FEATURE_CACHE.n_reused >= len(X)
    # another backbone has features of its own
    TransferClassifier("resnet50", **settings).fit(X, y)
    assert FEATURE_CACHE.n_computed == 2 * computed


@pytest.mark.filterwarnings("ignore:`input_shape` is undefined or non-square:UserWarning")
def test_backbone_errors_name_the_problem(synthetic, tmp_path, monkeypatch):
    X, y = synthetic.images[:24], synthetic.target[:24]
    with pytest.raises(ValueError, match="too small for InceptionV3: it needs at least 75"):
        TransferClassifier("inception_v3", weights=None, input_size=40).fit(X, y)
    with pytest.raises(ValueError, match="'backbone' parameter"):
        TransferClassifier("vgg16", weights=None).fit(X, y)
    with pytest.raises(ValueError, match="n_trainable_blocks=99, but ResNet50 has 16 blocks"):
        TransferClassifier("resnet50", weights=None, input_size=32, mode="fine_tune",
                           n_trainable_blocks=99).fit(X, y)  # fmt: skip
    # no network here: the ImageNet download fails with a message that says what to do
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    monkeypatch.setattr("keras.src.utils.file_utils.get_file", offline)
    with pytest.raises(WeightsNotAvailableError, match="mobilenet_v3_small_224"):
        TransferClassifier("mobilenet_v3_small", weights="imagenet", input_size=32).fit(X, y)


def test_a_weights_file_is_loaded_into_the_backbone(synthetic, tmp_path):
    donor = keras.applications.MobileNetV3Small(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    path = tmp_path / "mobilenet.weights.h5"
    donor.save_weights(path)
    clf = TransferClassifier("mobilenet_v3_small", weights=str(path), input_size=32,
                             head_units=4, epochs=1, random_state=0)  # fmt: skip
    clf.fit(synthetic.images[:24], synthetic.target[:24])
    expected = [layer for layer in donor.layers if layer.weights][-1].get_weights()[0]
    mine = [layer for layer in clf.model_.layers if layer.weights and layer.name not in
            ("head_dense", "head_output")][-1].get_weights()[0]  # fmt: skip
    np.testing.assert_array_equal(mine, expected)
