"""recommended_classifier: the measured recipes, by name, as one Pipeline each."""

import warnings

from sklearn.base import clone
from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import Pipeline

from ..io._folders import ImageDirLoader
from ..preprocessing._transformers import BorderCrop, HistogramEqualizer
from ..utils._param_validation import ImageSize, StrOptions, integer, invalid, validate_params
from ._augment import XrayAugmenter
from ._scratch import ScratchCNNClassifier
from ._transfer import InceptionTransferClassifier

_AUGMENTED_CNN = dict(
    preset="optimized",
    optimizer="adam",
    epochs=10,
    batch_size=32,
    class_weight="balanced",
    augmenter=XrayAugmenter(),
)

INCEPTION_HEAD = dict(
    head_units=256,
    dropout=0.3,
    epochs=15,
    batch_size=64,
    optimizer__learning_rate=1e-3,
)
"""The Inception-V3 head settings measured in Table 5 and used by the ``"inception"`` preset."""

_DEFAULT = dict(
    description=(
        "HistogramEqualizer, then the report's optimized CNN trained from scratch at "
        "128 px: 10 epochs of Adam, balanced class weights, XrayAugmenter() (rotation, "
        "shift, zoom, brightness, contrast) on training batches, and predictions averaged "
        "over the image and its four 4 % translations (tta_shift=0.04)."
    ),
    model="cnn",
    image_size=128,
    preprocess=("histogramequalizer",),
    classifier={**_AUGMENTED_CNN, "tta_shift": 0.04},
    n_seeds=1,
)

RECIPES = {
    "equalized-cnn-ensemble": dict(
        description=(
            "HistogramEqualizer, then the mean probability of 3 seeds of the report's "
            "optimized CNN trained from scratch at 128 px: 10 epochs of Adam, balanced class "
            "weights, XrayAugmenter() (one warp: rotation, shift, zoom, brightness, contrast) "
            "on training batches; no test-time averaging. Chosen by round 2 of the selection "
            "protocol (benchmarks/studies/select_network.py)."
        ),
        model="cnn",
        image_size=128,
        preprocess=("histogramequalizer",),
        classifier=_AUGMENTED_CNN,
        n_seeds=3,
    ),
    "equalized-augmented-cnn": _DEFAULT,
    "equalized-augmented-cnn-3seeds": {
        **_DEFAULT,
        "description": "equalized-augmented-cnn, the mean probability of 3 seeds.",
        "n_seeds": 3,
    },
    "augmented-cnn": dict(
        description=(
            "The README Pipeline of skxray 0.1.0.dev0 (commit 0e8eb71), kept as the reference: "
            "the optimized CNN at 128 px, 10 epochs of Adam, balanced class weights and "
            "XrayAugmenter(), without equalisation or test-time augmentation."
        ),
        model="cnn",
        image_size=128,
        preprocess=(),
        classifier=_AUGMENTED_CNN,
        n_seeds=1,
    ),
    "inception": dict(
        description=(
            "HistogramEqualizer, then an Inception-V3 bottleneck classifier at 150 px (frozen "
            "base, 256-unit head, dropout 0.3, 15 epochs of Adam, balanced class weights, "
            "label smoothing 0.1). Needs pretrained weights."
        ),
        model="inception",
        image_size=150,
        preprocess=("histogramequalizer",),
        classifier=dict(
            mode="bottleneck",
            input_size=150,
            **INCEPTION_HEAD,
            optimizer="adam",
            class_weight="balanced",
            label_smoothing=0.1,
        ),
        n_seeds=1,
    ),
}
"""The named recipes of :func:`recommended_classifier`.

Five recipes: the default (``"equalized-cnn-ensemble"``), the two defaults before it
(``"equalized-augmented-cnn"`` and its 3-seed ensemble), the README Pipeline they replaced
(``"augmented-cnn"``) and an Inception-V3 transfer recipe (``"inception"``). Each is a
dict: ``description``; ``model`` (``"cnn"``: :class:`ScratchCNNClassifier`,
``"inception"``: :class:`InceptionTransferClassifier`); ``image_size`` (the size it was
measured at, the loader's size with ``paths=True``); ``preprocess`` (names of the
transformers in front: ``"histogramequalizer"``, ``"bordercrop"``); ``classifier`` (its
settings) and ``n_seeds`` (members of the soft-voting seed ensemble).
"""

DEFAULT_RECIPE = "equalized-cnn-ensemble"
"""The recipe :func:`recommended_classifier` returns by default."""

_PREPROCESS = {"histogramequalizer": HistogramEqualizer, "bordercrop": BorderCrop}
_MODELS = {"cnn": ScratchCNNClassifier, "inception": InceptionTransferClassifier}


def recommended_classifier(
    recipe=DEFAULT_RECIPE,
    *,
    weights="imagenet",
    n_seeds=None,
    paths=False,
    image_size=None,
    random_state=0,
    verbose=0,
    preset="deprecated",
):
    """skxray's recommended pneumonia classifier: a named, measured recipe.

    Each recipe of :data:`RECIPES` is a ``Pipeline`` of optional
    preprocessing and a classifier (or a soft-voting ensemble of the same
    classifier with different seeds). The default was chosen by a rule
    written down before the candidates were measured, from patient-grouped
    cross-validation on the public train split under geometric and exposure
    shifts, the spread over seeds and a :func:`shortcut_audit`; see the
    "Recommended recipe" page of the documentation,
    ``benchmarks/studies/select_recipe.py`` (round 1) and
    ``benchmarks/studies/select_network.py`` (round 2).

    - ``"equalized-cnn-ensemble"`` (default): :class:`HistogramEqualizer`,
      then the mean probability of 3 seeds (a soft
      :class:`~sklearn.ensemble.VotingClassifier`) of the report's optimized
      CNN trained from scratch on 128 × 128 images: 10 epochs of Adam,
      balanced class weights, :class:`XrayAugmenter` on training batches.
      Pass ``n_seeds=1`` for one network (a third of the fit time, and
      ``classifier__epochs`` instead of ``classifier__seed0__epochs``).
    - ``"equalized-augmented-cnn"``: the default before it, one seed of the
      same network with test-time averaging over four 4 % translations
      (``tta_shift=0.04``).
    - ``"equalized-augmented-cnn-3seeds"``: the mean of 3 seeds of
      ``"equalized-augmented-cnn"``.
    - ``"augmented-cnn"``: the reference those replaced (the earlier README
      Pipeline): no equalisation, no test-time averaging.
    - ``"inception"``: histogram equalisation, then an Inception-V3 bottleneck
      classifier at 150 px. It needs pretrained weights (``weights=``).

    The measured fit times and peak memory on 2 CPU cores are on the
    "Recommended recipe" page; ``benchmarks/speed/bench_recipes.py``
    measures every recipe.

    Parameters
    ----------
    recipe : str, default="equalized-cnn-ensemble"
        A key of :data:`RECIPES`.
    weights : None, "imagenet" or path, default="imagenet"
        Inception-V3 weights (``"inception"`` only), as for
        :class:`InceptionTransferClassifier`; ``None`` is for tests only.
    n_seeds : int, default=None
        Average the probabilities of this many classifiers trained with
        different seeds (a soft :class:`~sklearn.ensemble.VotingClassifier`);
        ``None`` takes the preset's.
    paths : bool, default=False
        Start the pipeline with an :class:`ImageDirLoader`, so that it takes
        image file paths instead of image arrays.
    image_size : int, default=None
        Size the loader decodes to when ``paths=True``; ``None`` uses the
        preset's ``image_size``. For image arrays, pass images of that size.
    random_state : int, default=0
        Seed of the (first) classifier; seed ``k`` of an ensemble uses
        ``random_state + k``.
    verbose : int, default=0
        Keras verbosity.
    preset : str
        Deprecated (a ``FutureWarning``; removed in a later release): the old
        name of ``recipe``. (``ScratchCNNClassifier(preset=...)`` names an
        architecture, which is what "preset" keeps meaning.)

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; a classifier (``predict``, ``predict_proba``, ``classes_``)
        that works with ``cross_val_score``, ``GridSearchCV``,
        :func:`evaluate`, :func:`cam_explain`, :func:`shortcut_audit` and
        ``joblib``. Its last step is named ``"classifier"``.

    See Also
    --------
    RECIPES : the presets' settings, to start variations from.

    Examples
    --------
    >>> from skxray import recommended_classifier
    >>> from skxray.datasets import make_synthetic_xrays
    >>> data = make_synthetic_xrays(40, 32, random_state=0)
    >>> clf = recommended_classifier(n_seeds=1).set_params(classifier__epochs=2)
    >>> clf.fit(data.images, data.target).predict_proba(data.images[:2]).shape
    (2, 2)
    >>> [name for name, _ in recommended_classifier(paths=True).steps]
    ['imagedirloader', 'histogramequalizer', 'classifier']
    >>> [name for name, _ in recommended_classifier().named_steps["classifier"].estimators]
    ['seed0', 'seed1', 'seed2']
    """
    if preset != "deprecated":
        warnings.warn(
            "recommended_classifier's 'preset' was renamed 'recipe' and will be removed in a "
            "later release; pass recipe= (or the name as the first argument).",
            FutureWarning,
            stacklevel=2,
        )
        if recipe != DEFAULT_RECIPE:
            raise TypeError("recommended_classifier got both recipe= and preset=; pass recipe=.")
        recipe = preset
    validate_params(
        {
            "recipe": [StrOptions(set(RECIPES))],
            "n_seeds": [integer(1, None), None],
            "paths": ["boolean"],
            "image_size": [ImageSize(), None],
            "random_state": [integer()],
            "verbose": ["verbose"],
        },
        {k: v for k, v in locals().items() if k != "preset"},
        "recommended_classifier",
    )
    if image_size is not None and not paths:
        invalid("image_size", "recommended_classifier", "None unless paths=True", image_size)
    chosen = RECIPES[recipe]
    n_seeds = chosen["n_seeds"] if n_seeds is None else n_seeds

    def make(seed):
        settings = {
            k: clone(v) if hasattr(v, "get_params") else v for k, v in chosen["classifier"].items()
        }
        if chosen["model"] == "inception":
            settings["weights"] = weights
        return _MODELS[chosen["model"]](random_state=seed, verbose=verbose, **settings)

    if n_seeds == 1:
        classifier = make(random_state)
    else:
        members = [(f"seed{random_state + k}", make(random_state + k)) for k in range(n_seeds)]
        classifier = VotingClassifier(members, voting="soft")
    steps = [(name, _PREPROCESS[name]()) for name in chosen["preprocess"]]
    steps.append(("classifier", classifier))
    if paths:
        size = chosen["image_size"] if image_size is None else image_size
        steps.insert(0, ("imagedirloader", ImageDirLoader(size)))
    return Pipeline(steps)
