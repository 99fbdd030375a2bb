"""cam_explain: API, bad input, and faithfulness measured on synthetic lesions."""

import copy

import keras
import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from skxray import (
    HeatmapDisplay,
    ImageDirLoader,
    ScratchCNNClassifier,
    cam_explain,
    load_image_folder,
    overlay_heatmap,
    plot_heatmaps,
)
from skxray.datasets import get_sample_xrays_path, make_synthetic_xrays
from skxray.explain._cam import CAM_METHODS, CamMethod
from skxray.explain._graphs import _GRAPHS, GradientStep
from skxray.utils._param_validation import InvalidParameterError

# Tiny synthetic fits: Keras functions run eagerly (tests/conftest.py).
pytestmark = pytest.mark.eager

LESION_CNN = dict(
    preset="vanilla",
    conv_filters=(16, 32, 32),
    kernel_size=3,
    dense_units=0,
    head_pooling="max",
    epochs=15,
    batch_size=32,
    random_state=0,
    optimizer__learning_rate=3e-3,
)


@pytest.fixture(scope="module")
def lesions():
    """A CNN trained to find synthetic opacities, and held-out positives with masks."""
    train = make_synthetic_xrays(600, 64, random_state=1)
    test = make_synthetic_xrays(120, 64, random_state=2)
    clf = ScratchCNNClassifier(**LESION_CNN).fit(train.images, train.target)
    positives = test.target == 1
    return clf, test.images[positives], test.masks[positives], test


def _pointing_accuracy(maps, masks):
    hits = []
    for heatmap, mask in zip(maps, masks, strict=True):
        r, c = np.unravel_index(np.argmax(heatmap), heatmap.shape)
        hits.append(mask[r, c])
    return float(np.mean(hits))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gradcam"])
def test_pointing_game_beats_centre_baseline(lesions, method):
    clf, images, masks, test = lesions
    accuracy = (clf.predict(test.images) == test.target).mean()
    assert accuracy > 0.9, f"the lesion CNN itself is too weak ({accuracy:.2f})"
    maps = cam_explain(clf, images, method=method, layer="conv_2")
    pointing = _pointing_accuracy(maps, masks)
    h, w = masks.shape[1:]
    centre = float(np.mean(masks[:, h // 2, w // 2]))
    print(f"{method}: pointing game {pointing:.3f}, centre baseline {centre:.3f}")
    assert pointing >= 0.8
    assert pointing > centre


@pytest.mark.slow
def test_model_randomisation_changes_heatmaps(lesions):
    clf, images, _, _ = lesions
    trained = cam_explain(clf, images, layer="conv_2")
    randomised = copy.deepcopy(clf)  # the fixture's model stays untouched
    for i, layer in enumerate(randomised.model_.layers):  # re-initialise every weight
        for weight in layer.weights:
            init = keras.initializers.GlorotUniform(seed=i)
            weight.assign(init(weight.shape) if len(weight.shape) > 1 else weight * 0)
    random_maps = cam_explain(randomised, images, layer="conv_2")
    rho = np.mean(
        [
            spearmanr(a.ravel(), b.ravel()).statistic
            for a, b in zip(trained, random_maps, strict=True)
            if a.std() > 0 and b.std() > 0
        ]
    )
    print(f"mean Spearman rank correlation, trained vs randomised: {rho:.3f}")
    assert rho < 0.5


def test_methods_targets_and_layers(synthetic):
    clf = ScratchCNNClassifier(
        "vanilla", conv_filters=(4, 8), dense_units=0, head_pooling="avg", epochs=2, random_state=0
    ).fit(synthetic.images, synthetic.target)
    X = synthetic.images[:5]
    for method in ("gradcam", "gradcam++", "cam"):
        maps = cam_explain(clf, X, method=method)
        assert maps.shape == (5, 32, 32) and maps.dtype == np.float32
        assert maps.min() >= 0 and maps.max() <= 1
    # CAM of class 0 and class 1 are complementary for a single sigmoid unit.
    pos = cam_explain(clf, X, method="cam", target=1)
    neg = cam_explain(clf, X, method="cam", target=0)
    assert not np.allclose(pos, neg)
    predicted = cam_explain(clf, X, target="predicted")
    labels = clf.predict(X)
    for i, label in enumerate(labels):
        np.testing.assert_allclose(
            predicted[i], cam_explain(clf, X[i : i + 1], target=label)[0], atol=1e-5
        )
    early = cam_explain(clf, X, layer="conv_1")
    assert early.shape == (5, 32, 32)
    batched = cam_explain(clf, X, batch_size=2)
    np.testing.assert_allclose(batched, cam_explain(clf, X), atol=1e-5)


@pytest.mark.graph
def test_gradcam_matches_a_direct_computation(synthetic):
    """Grad-CAM equals the textbook formula computed with the raw Keras model."""
    import tensorflow as tf

    clf = ScratchCNNClassifier(
        "vanilla", conv_filters=(4, 8), dense_units=8, epochs=1, random_state=0
    ).fit(synthetic.images, synthetic.target)
    X = synthetic.images[:3]
    model = clf.model_
    graph = keras.Model(model.inputs[0], [model.get_layer("conv_2").output, model.output])
    with tf.GradientTape() as tape:
        A, p = graph(X, training=False)
        logit = tf.math.log(p / (1 - p))
    G = tape.gradient(logit, A).numpy()
    cam = np.maximum(np.einsum("nhwk,nk->nhw", A.numpy(), G.mean(axis=(1, 2))), 0)
    ours = cam_explain(clf, X)
    import cv2

    for i in range(3):
        expected = cv2.resize(cam[i], (32, 32), interpolation=cv2.INTER_LINEAR)
        if expected.max() > 0:
            np.testing.assert_allclose(ours[i], expected / expected.max(), atol=1e-3)


def test_pipeline_on_paths_and_plain_keras_models(synthetic):
    data = load_image_folder(get_sample_xrays_path())
    idx = np.r_[0:8, 100:108]
    pipe = Pipeline(
        [
            ("load", ImageDirLoader(image_size=32)),
            (
                "clf",
                ScratchCNNClassifier(
                    "vanilla", conv_filters=(4, 8), dense_units=8, epochs=1, random_state=0
                ),
            ),
        ]
    )
    pipe.fit(data.paths[idx], data.target[idx])
    maps = cam_explain(pipe, data.paths[idx[:3]])
    assert maps.shape == (3, 32, 32)
    display = plot_heatmaps(
        pipe, data.paths[idx[:2]], y_true=data.target[idx[:2]], target_names=data.target_names
    )
    assert display.axes_.shape == (2, 3)
    assert "PNEUMONIA" in display.axes_[0, 0].get_title(loc="left")

    # A plain Keras model with a nested base model and a 2-unit softmax head.
    inner_in = keras.Input((32, 32, 1))
    inner = keras.Model(inner_in, keras.layers.Conv2D(4, 3, name="inner_conv")(inner_in))
    x_in = keras.Input((32, 32, 1))
    x = inner(x_in)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(x_in, keras.layers.Dense(2, activation="softmax")(x))
    maps = cam_explain(model, synthetic.images[:4], target=1)
    assert maps.shape == (4, 32, 32)


def test_overlay():
    image = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    heat = np.zeros((8, 8), np.float32)
    heat[2, 3] = 1
    out = overlay_heatmap(image, heat, alpha=0.5)
    assert out.shape == (8, 8, 3) and 0 <= out.min() and out.max() <= 1
    np.testing.assert_allclose(overlay_heatmap(image, heat, alpha=0.0)[..., 0], image)
    with pytest.raises(ValueError, match=r"image must hold finite values in \[0, 1\]"):
        overlay_heatmap(image * 255, heat)
    with pytest.raises(ValueError, match="does not match"):
        overlay_heatmap(image, heat[:4])
    with pytest.raises(ValueError, match="'alpha' parameter of overlay_heatmap"):
        overlay_heatmap(image, heat, alpha=1.5)


def test_bad_input(synthetic):
    X, y = synthetic.images, synthetic.target
    with pytest.raises(NotFittedError):
        cam_explain(ScratchCNNClassifier(), X[:2])
    clf = ScratchCNNClassifier(
        "vanilla", conv_filters=(4,), dense_units=4, epochs=1, random_state=0
    ).fit(X, y)
    with pytest.raises(ValueError, match="No layer with a 4-D output named 'conv_9'"):
        cam_explain(clf, X[:2], layer="conv_9")
    with pytest.raises(ValueError, match=r"expecting X of shape \(32, 32, 1\)"):
        cam_explain(clf, np.zeros((2, 16, 16, 1), np.float32))
    with pytest.raises(ValueError, match="'method' parameter of cam_explain") as error:
        cam_explain(clf, X[:2], method="lime")
    assert all(repr(name) in str(error.value) for name in CAM_METHODS)  # the registry's keys
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter of cam_explain"):
        cam_explain(clf, X[:2], batch_size=0)
    with pytest.raises(ValueError, match="'target' parameter of cam_explain.*Got 'COVID'"):
        cam_explain(clf, X[:2], target="COVID")
    with pytest.raises(ValueError, match="target callable must return one class index"):
        cam_explain(clf, X[:2], target=lambda proba: proba.argmax(axis=1) + 5)
    with pytest.raises(ValueError, match="target callable must return one class index"):
        cam_explain(clf, X[:2], target=lambda proba: proba[:, 1] > 0.5)  # bools, not indices
    with pytest.raises(ValueError, match="method='cam' needs"):
        cam_explain(clf, X[:2], method="cam")  # flatten + hidden dense: not a CAM network
    dense_in = keras.Input((32, 32, 1))
    dense_only = keras.Model(
        dense_in, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(dense_in))
    )
    with pytest.raises(ValueError, match="has no convolutional layer"):
        cam_explain(dense_only, X[:2])


def _small_cnn(**params):
    params = {"conv_filters": (4, 8), "dense_units": 0, "epochs": 1, "random_state": 0, **params}
    return ScratchCNNClassifier("vanilla", **params)


def test_callable_targets(synthetic):
    X, y = synthetic.images, synthetic.target
    clf = _small_cnn().fit(X, y)
    seen = []

    def least_likely(proba):
        seen.append(proba)
        return proba.argmin(axis=1)

    maps = cam_explain(clf, X[:5], target=least_likely, batch_size=2)
    assert [p.shape for p in seen] == [(2, 2), (2, 2), (1, 2)]  # per batch, two columns
    proba = np.concatenate(seen)
    np.testing.assert_allclose(proba, clf.predict_proba(X[:5]), atol=1e-6)
    for i, index in enumerate(proba.argmin(axis=1)):
        expected = cam_explain(clf, X[i : i + 1], target=clf.classes_[index])
        np.testing.assert_allclose(maps[i], expected[0], atol=1e-5)
    always_0 = cam_explain(clf, X[:5], target=lambda proba: np.zeros(len(proba), int))
    np.testing.assert_array_equal(always_0, cam_explain(clf, X[:5], target=0))
    # Multi-class: the callable sees one column per class.
    y3 = np.arange(len(y)) % 3
    clf3 = _small_cnn().fit(X, y3)
    top = cam_explain(clf3, X[:4], target=lambda proba: proba.argmax(axis=1))
    np.testing.assert_array_equal(top, cam_explain(clf3, X[:4], target="predicted"))
    # A voting ensemble calls it with the ensemble's probabilities.
    vote = VotingClassifier(
        [(f"s{i}", _small_cnn(conv_filters=(4,), random_state=i)) for i in range(2)],
        voting="soft",
    ).fit(X, y)
    np.testing.assert_array_equal(
        cam_explain(vote, X[:4], target=lambda proba: proba.argmax(axis=1)),
        cam_explain(vote, X[:4], target="predicted"),
    )


def test_method_registry_and_one_graph_cache(synthetic, monkeypatch):
    clf = _small_cnn(head_pooling="avg").fit(synthetic.images, synthetic.target)
    X = synthetic.images[:3]
    assert set(CAM_METHODS) == {"gradcam", "gradcam++", "cam"}
    assert not CAM_METHODS["cam"].needs_gradients
    # A registered weight function is a method: uniform weights give the mean activation map.
    uniform_weights = CamMethod(lambda activations, gradients: np.ones(gradients.shape[::3]))
    monkeypatch.setitem(CAM_METHODS, "uniform", uniform_weights)
    uniform = cam_explain(clf, X, method="uniform")
    assert uniform.shape == (3, 32, 32) and uniform.max() == 1
    # One cache entry a (model, layer, kind), holding the graph and its compiled step.
    cam_explain(clf, X)
    cam_explain(clf, X, method="gradcam++")
    cam_explain(clf, X, method="cam")
    entries = _GRAPHS[clf.model_]
    assert sorted(key[0] for key in entries) == ["cam", "gradients"]
    step = entries["gradients", "conv_2"]
    assert isinstance(step, GradientStep) and step._tf_step is not None


class _CountingStep(TransformerMixin, BaseEstimator):
    """An identity transformer that counts its transform calls."""

    def fit(self, X, y=None):
        self.n_transforms_ = 0
        return self

    def transform(self, X):
        self.n_transforms_ += 1
        return X


def test_heatmap_display_transforms_a_pipeline_once(synthetic):
    X, y = synthetic.images, synthetic.target
    pipe = Pipeline([("count", _CountingStep()), ("clf", _small_cnn())]).fit(X, y)
    pipe[0].n_transforms_ = 0
    display = HeatmapDisplay.from_estimator(pipe, X[:3], method="gradcam++")
    assert pipe[0].n_transforms_ == 1
    np.testing.assert_array_equal(display.heatmaps, cam_explain(pipe, X[:3], method="gradcam++"))
    np.testing.assert_allclose(display.proba, pipe.predict_proba(X[:3])[:, -1], rtol=1e-6)
    np.testing.assert_array_equal(display.images, np.asarray(X[:3], np.float32))


def test_other_scikeras_classifiers_use_their_keras_model(synthetic):
    from scikeras.wrappers import KerasClassifier

    def build():
        inputs = keras.Input((32, 32, 1))
        x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
        x = keras.layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))

    clf = KerasClassifier(build, loss="binary_crossentropy", epochs=1, verbose=0, random_state=0)
    X = np.asarray(synthetic.images, np.float32)
    clf.fit(X, synthetic.target)
    maps = cam_explain(clf, X[:3], method="cam")
    np.testing.assert_array_equal(maps, cam_explain(clf.model_, X[:3], method="cam"))
    with pytest.raises(ValueError, match="the model expects"):
        cam_explain(clf, X[:3, :16, :16])
