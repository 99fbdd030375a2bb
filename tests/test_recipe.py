"""recommended_classifier: structure, exposure invariance, ensembles, sklearn use."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.ensemble import VotingClassifier
from sklearn.model_selection import cross_val_score

from skxray import (
    RECIPES,
    ImageDirLoader,
    InceptionTransferClassifier,
    ScratchCNNClassifier,
    cam_explain,
    evaluate,
    recommended_classifier,
)
from skxray.datasets import load_sample_xrays
from skxray.models._recipe import DEFAULT_RECIPE

FAST = dict(input_size=75, head_units=8, epochs=2, batch_size=16)  # test-sized recipe


def _fast(pipe):
    """Shrink every Inception classifier of the pipeline for the tests."""
    for name, value in pipe.get_params().items():
        if isinstance(value, InceptionTransferClassifier):
            pipe.set_params(**{f"{name}__{k}": v for k, v in FAST.items()})
    return pipe


@pytest.mark.parametrize("preset", sorted(RECIPES))
def test_every_preset_builds_its_documented_pipeline(preset):
    recipe = RECIPES[preset]
    pipe = recommended_classifier(preset, weights=None)
    assert is_classifier(pipe)
    assert [name for name, _ in pipe.steps] == [*recipe["preprocess"], "classifier"]
    final = pipe[-1]
    members = [final] if recipe["n_seeds"] == 1 else [m for _, m in final.estimators]
    assert len(members) == recipe["n_seeds"]
    for k, member in enumerate(members):
        params = member.get_params()
        for key, value in recipe["classifier"].items():
            if hasattr(value, "get_params"):  # e.g. the augmenter: an equal, fresh copy
                assert params[key] is not value
                assert params[key].get_params() == value.get_params()
            else:
                assert params[key] == value, key
        assert params["class_weight"] == "balanced" and params["random_state"] == k
    assert recipe["description"] and recipe["image_size"] >= 64
    assert recommended_classifier(preset, weights=None) is not pipe  # fresh each call


def test_default_preset_is_a_preset_and_the_default():
    assert DEFAULT_RECIPE in RECIPES
    default = recommended_classifier()
    chosen = recommended_classifier(DEFAULT_RECIPE)
    assert repr(default) == repr(chosen)


def test_the_3seed_reference_trains_what_the_default_trains():
    """The recipe page gives both presets one fit time: they differ only at prediction."""
    default = recommended_classifier(DEFAULT_RECIPE).get_params()
    reference = recommended_classifier("equalized-augmented-cnn-3seeds").get_params()
    differ = {
        key
        for key in default.keys() | reference.keys()
        if not hasattr(default.get(key), "get_params")  # compared through their parameters
        and not isinstance(default.get(key), list)  # steps and estimators, idem
        and repr(default.get(key)) != repr(reference.get(key))
    }
    assert differ == {f"classifier__seed{k}__tta_shift" for k in range(3)}
    assert all(default[key] == 0 for key in differ)
    assert all(reference[key] > 0 for key in differ)


@pytest.mark.graph
def test_default_recipe_fits_the_sample_and_ranks_it():
    data = load_sample_xrays()
    train, test = np.r_[0:70, 100:170], np.r_[70:100, 170:200]
    pipe = recommended_classifier(paths=True, n_seeds=1)
    assert pipe[0].image_size == RECIPES[DEFAULT_RECIPE]["image_size"]
    pipe.set_params(classifier__epochs=15)  # 140 training images need more epochs
    pipe.fit(data.paths[train], data.target[train])
    report = evaluate(pipe, data.paths[test], data.target[test], n_bootstrap=20, plot=False)
    assert report.scores["roc_auc"] > 0.7  # well above chance


def test_predictions_ignore_exposure_changes():
    # A random-weight Inception barely reacts to anything, so a small CNN trained on real
    # X-rays, which does react to exposure, stands in for it behind the recipe's equaliser.
    # The shifts spread the dark grey levels apart; shifts that squeeze them lose levels
    # that no equalisation restores (see benchmarks/studies/recipe_shift.py for those).
    data = load_sample_xrays()
    X, y = ImageDirLoader(48).transform(data.paths), data.target
    cnn = ScratchCNNClassifier("vanilla", epochs=8, random_state=0)
    pipe = recommended_classifier("inception", weights=None).set_params(classifier=cnn)
    pipe.fit(X, y)
    bare = clone(cnn).fit(X, y)
    for shift in (lambda x: x**0.6, lambda x: x**0.8):
        moved = np.abs(bare.predict_proba(shift(X))[:, 1] - bare.predict_proba(X)[:, 1])
        kept = np.abs(pipe.predict_proba(shift(X))[:, 1] - pipe.predict_proba(X)[:, 1])
        assert moved.max() > 0.1
        assert kept.max() < moved.max() / 5


def test_seed_ensemble_averages_members_and_explains(synthetic):
    X, y = synthetic.images[:48], synthetic.target[:48]
    pipe = recommended_classifier("inception", weights=None, n_seeds=2, random_state=3)
    pipe = _fast(pipe).fit(X, y)
    ensemble = pipe[-1]
    assert isinstance(ensemble, VotingClassifier) and ensemble.voting == "soft"
    assert [m.random_state for m in ensemble.estimators_] == [3, 4]
    Xeq = pipe[0].transform(X[:6])
    members = np.mean([m.predict_proba(Xeq) for m in ensemble.estimators_], axis=0)
    np.testing.assert_allclose(pipe.predict_proba(X[:6]), members, rtol=1e-5)
    maps = cam_explain(pipe, X[:6])
    assert maps.shape == (6, *X.shape[1:3]) and 0 <= maps.min() and maps.max() <= 1
    single = np.mean([cam_explain(m, Xeq) for m in ensemble.estimators_], axis=0)
    np.testing.assert_allclose(maps.max(axis=(1, 2)) > 0, single.max(axis=(1, 2)) > 0)
    np.testing.assert_allclose(maps[0], single[0] / single[0].max(), atol=1e-5)
    predicted = cam_explain(pipe, X[:6], target="predicted")
    assert predicted.shape == maps.shape
    with pytest.raises(ValueError, match="must be a class of the estimator"):
        cam_explain(pipe, X[:2], target="COVID")


def test_paths_pipeline_scores_and_round_trips(tmp_path):
    data = load_sample_xrays()
    rows = np.r_[0:12, 100:112]  # both classes
    paths, y = data.paths[rows], data.target[rows]
    pipe = _fast(recommended_classifier("inception", weights=None, paths=True, image_size=48))
    assert isinstance(pipe[0], ImageDirLoader) and pipe[0].image_size == 48
    scores = cross_val_score(pipe, paths, y, cv=2, scoring="f1", error_score="raise")
    assert np.all((0 <= scores) & (scores <= 1))
    pipe.fit(paths, y)
    report = evaluate(pipe, paths, y, n_bootstrap=20, random_state=0)
    assert 0 <= report.scores["roc_auc"] <= 1
    joblib.dump(pipe, tmp_path / "recipe.joblib")
    again = joblib.load(tmp_path / "recipe.joblib")
    np.testing.assert_allclose(again.predict_proba(paths), pipe.predict_proba(paths), rtol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_seeds": 0}, "'n_seeds' parameter"),
        ({"n_seeds": 2.0}, "'n_seeds' parameter"),
        ({"random_state": None}, "'random_state' parameter"),
        ({"image_size": 64}, "None unless paths=True"),
        ({"recipe": "resnet"}, "'recipe' parameter of recommended_classifier"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        recommended_classifier(weights=None, **kwargs)


def test_the_old_preset_keyword_still_works_with_a_future_warning():
    with pytest.warns(FutureWarning, match="'preset' was renamed 'recipe'"):
        old = recommended_classifier(preset="augmented-cnn")
    new = recommended_classifier("augmented-cnn")
    assert [name for name, _ in old.steps] == [name for name, _ in new.steps]
    assert repr(old) == repr(new)
    with pytest.raises(TypeError, match="both recipe= and preset="):
        recommended_classifier("inception", preset="augmented-cnn")
