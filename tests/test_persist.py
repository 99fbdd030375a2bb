"""skxray.save / skxray.load: safe model files that round-trip and refuse tampering."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
import skops.io
from _tiny import TINY_CNN
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

import skxray
from skxray import (
    FEATURE_CACHE,
    EpochScores,
    ImageDirLoader,
    InceptionTransferClassifier,
    ModelFileError,
    ScratchCNNClassifier,
    cam_explain,
    recommended_classifier,
    shortcut_audit,
)
from skxray.datasets import get_sample_xrays_path, load_sample_xrays, make_synthetic_xrays
from skxray.persistence._model_file import TRUSTED_TYPES
from skxray.utils._param_validation import InvalidParameterError

# Tiny synthetic fits: Keras functions run eagerly (tests/conftest.py).
pytestmark = pytest.mark.eager

TINY = TINY_CNN


@pytest.fixture(scope="module")
def data():
    return make_synthetic_xrays(40, 32, random_state=0)


@pytest.fixture(scope="module")
def cnn(data):
    """A fitted bare classifier shared by the module; do not mutate it."""
    return ScratchCNNClassifier(**TINY).fit(data.images, data.target)


@pytest.fixture(scope="module")
def saved(cnn, tmp_path_factory):
    """``cnn`` saved once; tests that damage it work on copies."""
    path = tmp_path_factory.mktemp("saved") / "cnn.skxray"
    skxray.save(cnn, path)
    return path


@pytest.fixture(scope="module")
def sample():
    data = load_sample_xrays(load_images=False)
    keep = np.r_[0:10, -10:0]  # both classes (the paths are sorted by class)
    return [data.paths[i] for i in keep], data.target[keep]


def round_trip(model, tmp_path, **kwargs):
    path = tmp_path / "model.skxray"
    skxray.save(model, path, **kwargs)
    return skxray.load(path)


def assert_same_audit(a, b):
    for name in ("proba", "heat_share_border_blanked", "heatmaps"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in a.heat_share:
        np.testing.assert_array_equal(a.heat_share[name], b.heat_share[name])


# ------------------------------------------------------------------- round trips
def test_round_trip_bare_classifier(cnn, data, tmp_path):
    loaded = round_trip(cnn, tmp_path)
    assert type(loaded) is ScratchCNNClassifier and loaded is not cnn
    assert loaded.get_params() == cnn.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(data.images), cnn.predict_proba(data.images))
    np.testing.assert_array_equal(loaded.classes_, cnn.classes_)
    images = data.images[:3]
    np.testing.assert_array_equal(cam_explain(loaded, images), cam_explain(cnn, images))
    assert_same_audit(shortcut_audit(loaded, images), shortcut_audit(cnn, images))


@pytest.mark.graph
def test_round_trip_traced(data, tmp_path):
    """As user code runs: traced Keras functions, a fresh fit, TTA switched on after loading."""
    clf = ScratchCNNClassifier(**TINY).fit(data.images, data.target)
    loaded = round_trip(clf, tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(data.images), clf.predict_proba(data.images))
    loaded.set_params(tta_shift=0.1)
    clf.set_params(tta_shift=0.1)
    np.testing.assert_array_equal(loaded.predict_proba(data.images), clf.predict_proba(data.images))
    np.testing.assert_array_equal(
        cam_explain(loaded, data.images[:2]), cam_explain(clf, data.images[:2])
    )


def test_round_trip_recommended_pipeline(data, tmp_path):
    """HistogramEqualizer, XrayAugmenter and tta_shift=0.04 survive the trip."""
    clf = recommended_classifier("equalized-augmented-cnn").set_params(classifier__epochs=1)
    clf.fit(data.images, data.target)
    loaded = round_trip(clf, tmp_path)
    assert [name for name, _ in loaded.steps] == ["histogramequalizer", "classifier"]
    assert loaded[-1].tta_shift == 0.04
    assert loaded[-1].augmenter.get_params() == clf[-1].augmenter.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(data.images), clf.predict_proba(data.images))
    np.testing.assert_array_equal(loaded.predict(data.images), clf.predict(data.images))
    images = data.images[:3]
    np.testing.assert_array_equal(cam_explain(loaded, images), cam_explain(clf, images))


def test_round_trip_seed_ensemble(data, tmp_path):
    clf = recommended_classifier(n_seeds=2)
    clf.set_params(classifier__seed0__epochs=1, classifier__seed1__epochs=1)
    clf.fit(data.images, data.target)
    loaded = round_trip(clf, tmp_path)
    assert len(loaded[-1].estimators_) == 2
    np.testing.assert_array_equal(loaded.predict_proba(data.images), clf.predict_proba(data.images))
    images = data.images[:2]
    np.testing.assert_array_equal(cam_explain(loaded, images), cam_explain(clf, images))


def test_round_trip_pipeline_on_paths(sample, tmp_path):
    paths, y = sample
    clf = Pipeline(
        [("imagedirloader", ImageDirLoader(32)), ("classifier", ScratchCNNClassifier(**TINY))]
    ).fit(paths, y)
    loaded = round_trip(clf, tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(paths), clf.predict_proba(paths))


@pytest.mark.slow
def test_round_trip_inception_through_feature_cache(data, tmp_path):
    clf = InceptionTransferClassifier(
        weights=None, input_size=75, head_units=8, epochs=1, random_state=0
    ).fit(data.images, data.target)
    loaded = round_trip(clf, tmp_path)
    images = data.images[:8]
    for shift in (0.0, 0.05):
        clf.set_params(tta_shift=shift)
        loaded.set_params(tta_shift=shift)
        expected = clf.predict_proba(images)
        FEATURE_CACHE.clear()  # the loaded network computes its own features, through the cache
        np.testing.assert_array_equal(loaded.predict_proba(images), expected)
        assert FEATURE_CACHE.n_computed == len(images) * (5 if shift else 1)
    np.testing.assert_array_equal(cam_explain(loaded, images[:2]), cam_explain(clf, images[:2]))


def test_joblib_still_works(cnn, data, tmp_path):
    import joblib

    joblib.dump(cnn, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(data.images), cnn.predict_proba(data.images))


# ---------------------------------------------------------------------- metadata
def test_metadata(sample, tmp_path):
    paths, y = sample
    clf = Pipeline(
        [
            ("imagedirloader", ImageDirLoader(32, color_mode="grayscale")),
            ("histogramequalizer", skxray.HistogramEqualizer()),
            ("classifier", ScratchCNNClassifier(**TINY)),
        ]
    ).fit(paths, y)
    path = tmp_path / "model.skxray"
    skxray.save(
        clf, path, target_names=["NORMAL", "PNEUMONIA"], threshold=0.3, training_paths=paths
    )
    meta = skxray.load_metadata(path)
    assert meta["format"] == "skxray-model" and meta["format_version"] == 1
    assert meta["versions"]["skxray"] == skxray.__version__
    assert meta["versions"]["keras"] == keras.__version__
    assert set(meta["versions"]) >= {"skxray", "keras", "scikit-learn", "skops"}
    assert meta["class_names"] == ["NORMAL", "PNEUMONIA"]
    assert meta["image_shape"] == [32, 32, 1]
    assert meta["preprocessing"] == {
        "steps": ["imagedirloader", "histogramequalizer"],
        "loader": {"image_size": 32, "color_mode": "grayscale"},
    }
    assert meta["threshold"] == 0.3
    names = "\n".join(sorted(Path(p).name for p in paths))
    assert meta["training_data"] == {
        "n_files": 20,
        "sha256": hashlib.sha256(names.encode()).hexdigest(),
    }
    assert meta["networks"] == ["networks/0.keras"]
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["metadata.json", "networks/0.keras", "skeleton.skops"]


def test_metadata_defaults_and_folder_fingerprint(cnn, tmp_path):
    folder = get_sample_xrays_path()
    skxray.save(cnn, tmp_path / "a.skxray", training_paths=folder)
    meta = skxray.load_metadata(tmp_path / "a.skxray")
    assert meta["class_names"] == ["0", "1"] and meta["threshold"] == 0.5
    assert meta["preprocessing"] == {"steps": [], "loader": None}
    # A folder and the list of its files give the same fingerprint.
    skxray.save(
        cnn, tmp_path / "b.skxray", training_paths=load_sample_xrays(load_images=False).paths
    )
    assert meta["training_data"] == skxray.load_metadata(tmp_path / "b.skxray")["training_data"]
    assert meta["training_data"]["n_files"] == 200
    # A model saved again (after calibrate_input_check) keeps the first file's record.
    skxray.save(cnn, tmp_path / "c.skxray", training_paths=meta["training_data"])
    assert skxray.load_metadata(tmp_path / "c.skxray")["training_data"] == meta["training_data"]
    with pytest.raises(ValueError, match=r"keys n_files and sha256\); got keys \['n'\]"):
        skxray.save(cnn, tmp_path / "d.skxray", training_paths={"n": 3})


# ------------------------------------------------------------------- save errors
def test_save_refuses_unfitted_models(tmp_path):
    for model in (
        ScratchCNNClassifier(**TINY),
        recommended_classifier(),
        recommended_classifier(n_seeds=2),
    ):
        with pytest.raises(NotFittedError, match="not fitted: call fit before skxray.save"):
            skxray.save(model, tmp_path / "model.skxray")
    assert not list(tmp_path.iterdir())


def test_save_refuses_other_estimators(data, tmp_path):
    flat = data.images.reshape(len(data.images), -1)
    with pytest.raises(TypeError, match="got LogisticRegression"):
        skxray.save(LogisticRegression().fit(flat, data.target), tmp_path / "model.skxray")


def test_save_refuses_keras_objects_in_parameters(data, tmp_path):
    clf = ScratchCNNClassifier(**TINY, callbacks__epoch_scores=EpochScores("accuracy"))
    clf.fit(data.images, data.target)
    with pytest.raises(ValueError, match="callbacks__epoch_scores=.*set them to None"):
        skxray.save(clf, tmp_path / "model.skxray")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(threshold=1.5), "threshold"),
        (dict(target_names=["only one"]), "target_names"),
    ],
)
def test_save_validates_its_parameters(cnn, tmp_path, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        skxray.save(cnn, tmp_path / "model.skxray", **kwargs)


# ---------------------------------------------------------------- bad files
def rewrite(source, target, replace=None, drop=()):
    """Copy a model file, replacing the members in ``replace`` and leaving out ``drop``."""
    replace = replace or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            if name not in drop:
                dst.writestr(name, replace.get(name, src.read(name)))
    return target


def keras_archive(tmp_path, model):
    model.save(tmp_path / "network.keras")
    return (tmp_path / "network.keras").read_bytes()


def bad_files(saved, tmp_path):
    """``(path, message)`` of each kind of bad file."""
    raw = saved.read_bytes()
    (tmp_path / "text.skxray").write_text("not a model")
    (tmp_path / "truncated.skxray").write_bytes(raw[: len(raw) // 2])
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("networks/0.keras")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    middle = start + info.compress_size // 2
    damaged = raw[:middle] + bytes(b ^ 0xFF for b in raw[middle : middle + 64]) + raw[middle + 64 :]
    (tmp_path / "corrupt.skxray").write_bytes(damaged)
    with zipfile.ZipFile(tmp_path / "plain.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    inputs = keras.Input((4,))
    lambda_net = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    return [
        (tmp_path / "missing.skxray", "no such file"),
        (tmp_path / "text.skxray", "not a zip archive"),
        (tmp_path / "truncated.skxray", "not a zip archive, or a truncated one"),
        (tmp_path / "corrupt.skxray", "member 'networks/0.keras' is corrupt"),
        (tmp_path / "plain.zip", "not an skxray model file"),
        (
            rewrite(saved, tmp_path / "no-network.skxray", drop=["networks/0.keras"]),
            "no member 'networks/0.keras'",
        ),
        (
            rewrite(saved, tmp_path / "no-skeleton.skxray", drop=["skeleton.skops"]),
            "no member 'skeleton.skops'",
        ),
        (
            rewrite(saved, tmp_path / "no-meta.skxray", drop=["metadata.json"]),
            "not an skxray model file",
        ),
        (
            rewrite(saved, tmp_path / "bad-json.skxray", {"metadata.json": b"{"}),
            "metadata.json is not valid JSON",
        ),
        (
            rewrite(saved, tmp_path / "bad-skeleton.skxray", {"skeleton.skops": b"junk"}),
            "skeleton.skops is corrupt",
        ),
        (
            rewrite(saved, tmp_path / "bad-net.skxray", {"networks/0.keras": b"junk"}),
            "'networks/0.keras' is not a Keras archive",
        ),
        (
            rewrite(
                saved,
                tmp_path / "lambda-net.skxray",
                {"networks/0.keras": keras_archive(tmp_path, lambda_net)},
            ),
            "'networks/0.keras' is not a loadable Keras network.*(?i:lambda)",
        ),
    ]


def test_bad_files_raise_model_file_error_naming_the_file(saved, tmp_path):
    for path, message in bad_files(saved, tmp_path):
        with pytest.raises(ModelFileError, match=message) as error:
            skxray.load(path)
        assert str(error.value).startswith(f"{path}: "), error.value
        assert error.value.path == str(path)
    with pytest.raises(ModelFileError, match="not an skxray model file"):
        skxray.load_metadata(tmp_path / "plain.zip")
    assert issubclass(ModelFileError, ValueError)


def test_incompatible_or_unknown_versions_are_refused(saved, tmp_path):
    meta = skxray.load_metadata(saved)
    future = {**meta, "versions": {**meta["versions"], "skxray": "99.3.0"}}
    path = rewrite(saved, tmp_path / "future.skxray", {"metadata.json": json.dumps(future)})
    with pytest.raises(ModelFileError) as error:
        skxray.load(path)
    message = str(error.value)
    assert str(path) in message and "99.3.0" in message and skxray.__version__ in message
    assert skxray.load_metadata(path)["versions"]["skxray"] == "99.3.0"  # still readable

    newer = {**meta, "format_version": 2}
    path = rewrite(saved, tmp_path / "format2.skxray", {"metadata.json": json.dumps(newer)})
    with pytest.raises(ModelFileError, match="format version 2 is unknown"):
        skxray.load(path)


# -------------------------------------------------------------------- tampering
class WritesFile:
    """A class whose construction by a loader would write a file (a stand-in for malware)."""

    def __setstate__(self, state):
        Path(state["path"]).write_text("code ran")


def _state(obj):
    """skops' state of a plain object, to build payloads from (ids dropped: no memo clashes)."""

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "__id__"}
        return [strip(v) for v in node] if isinstance(node, list) else node

    with zipfile.ZipFile(io.BytesIO(skops.io.dumps(obj))) as archive:
        state = json.loads(archive.read("schema.json"))
    del state["protocol"], state["_skops_version"]
    return strip(state)


def _call_node(module, name, argument):
    """A skops node that, once constructed, calls ``module.name(argument)``."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": _state((argument,)),
    }


def payloads(marker):
    return {
        "os.system": _call_node("os", "system", f"echo pwned > {marker}"),
        "builtins.exec": _call_node("builtins", "exec", f"open({str(marker)!r}, 'w').write('x')"),
        f"{WritesFile.__module__}.WritesFile": {
            "__class__": "WritesFile",
            "__module__": WritesFile.__module__,
            "__loader__": "ObjectNode",
            "content": _state({"path": str(marker)}),
        },
    }


def tampered_skeleton(skeleton, payload):
    """The skeleton with the classifier's ``verbose`` attribute replaced by ``payload``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(skeleton)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            if name == "schema.json":
                schema = json.loads(content)
                schema["content"]["content"]["verbose"] = payload
                content = json.dumps(schema)
            dst.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec", "WritesFile"])
def test_tampered_skeleton_is_refused_and_runs_no_code(saved, tmp_path, kind):
    marker = tmp_path / "side-effect.txt"
    name, payload = next((n, p) for n, p in payloads(marker).items() if n.endswith(kind))
    with zipfile.ZipFile(saved) as archive:
        skeleton = tampered_skeleton(archive.read("skeleton.skops"), payload)
    path = rewrite(saved, tmp_path / "tampered.skxray", {"skeleton.skops": skeleton})

    with pytest.raises(
        ModelFileError, match="refused: the skeleton holds types outside the allow-list"
    ) as error:
        skxray.load(path)
    assert str(error.value).startswith(f"{path}: ") and name in str(error.value)
    assert not marker.exists(), "loading ran code from the file"

    # The payload is live: a loader that trusted its type would run it.
    assert set(skops.io.get_untrusted_types(data=skeleton)) - set(TRUSTED_TYPES) == {name}
    skops.io.loads(skeleton, trusted=[*TRUSTED_TYPES, name])
    assert marker.exists()


def test_allow_list_covers_what_is_saved(saved):
    """The saved skeletons hold skxray's and a few scikeras/numpy types, all allow-listed."""
    with zipfile.ZipFile(saved) as archive:
        found = skops.io.get_untrusted_types(data=archive.read("skeleton.skops"))
    assert set(found) <= set(TRUSTED_TYPES)
    assert "skxray.models._scratch.ScratchCNNClassifier" in found
    assert not any(t.startswith(("builtins.", "os.", "keras")) for t in TRUSTED_TYPES)


def test_a_model_file_of_an_earlier_release_still_loads():
    """tests/data/model_926c2fe.skxray was saved by commit 926c2fe (the flat layout, the
    five-layer augmenter): it loads and predicts as it did then."""
    here = Path(__file__).parent / "data"
    expected = json.loads((here / "model_926c2fe.json").read_text())
    model = skxray.load(here / "model_926c2fe.skxray")
    paths = [str(Path(get_sample_xrays_path()) / name) for name in expected["images"]]
    proba = model.predict_proba(paths)
    assert proba.shape == (4, 2)
    np.testing.assert_allclose(proba[:, 1], expected["probability_pneumonia"], atol=1e-5)


def test_a_model_file_of_2b61019_still_loads():
    """tests/data/model_2b61019.skxray was saved by commit 2b61019, before the training
    machinery moved to ``skxray.models._training``: ``ImageDirLoader(24)``,
    ``HistogramEqualizer`` and a soft vote of two three-class vanilla CNNs (conv_filters=(4,),
    dense_units=8, epochs=1, label_smoothing=0.1, XrayAugmenter(), seeds 0 and 1) fitted on
    the bundled sample with ``target="subtype"``. Their networks name the loss and the
    confusion-count metric of the moved modules. It loads and predicts as it did then."""
    here = Path(__file__).parent / "data"
    expected = json.loads((here / "model_2b61019.json").read_text())
    model = skxray.load(here / "model_2b61019.skxray")
    assert (
        skxray.load_metadata(here / "model_2b61019.skxray")["class_names"]
        == (expected["class_names"])
    )
    paths = [str(Path(get_sample_xrays_path()) / name) for name in expected["images"]]
    np.testing.assert_allclose(model.predict_proba(paths), expected["probability"], atol=1e-5)
