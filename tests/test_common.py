"""scikit-learn's estimator checks on every skxray estimator.

The estimators take image batches ``(n, H, W[, C])`` and reject 2-D tabular
input by design, while most of scikit-learn's checks feed 2-D data. So the
suite runs twice:

1. on the estimators as shipped, where the checks that feed 2-D data are
   expected to fail with skxray's clear "expects images" error;
2. on a test-only adapter that reshapes 2-D ``(n, d)`` data into 1-pixel-high
   images ``(n, 1, d, 1)``, so that the whole scikit-learn contract (fit
   returns self, no parameter mutation, pickling, sample weights, NaN checks,
   determinism, ...) is exercised on the real base class.

InceptionTransferClassifier runs the first variant only: it shares the base
class that the adapter run exercises, and each of its fits builds and traces
Inception-V3 (seconds each), too slow for the ~40 fitting checks.

``HistogramEqualizer`` and ``BorderCrop`` are transformers of image batches;
their tags make scikit-learn skip them as shipped, so they run through a
similar adapter that reads (n, d) data as (n, d, 1) images after squashing it
into [0, 1].

Each expected failure has its reason. ``ImageDirLoader`` takes file paths,
which scikit-learn's checks cannot generate (its tags say so and the suite
skips it); its contract is tested in ``test_io.py``.
"""

import numpy as np
import pytest
from _tiny import CHECKS_CNN, CHECKS_INCEPTION
from scipy.sparse import issparse
from sklearn.utils.estimator_checks import check_classifiers_train, parametrize_with_checks

from skxray import (
    BorderCrop,
    HistogramEqualizer,
    InceptionTransferClassifier,
    ScratchCNNClassifier,
)

# Tiny synthetic fits: Keras functions run eagerly (tests/conftest.py).
pytestmark = pytest.mark.eager

TINY = CHECKS_CNN  # tests/_tiny.py

SCIKERAS = {
    "check_estimator_tags_renamed": (
        "scikeras 0.13's BaseWrapper defines the pre-1.6 _more_tags; skxray defines "
        "__sklearn_tags__, which scikit-learn uses."
    ),
    "check_mixin_order": (
        "scikeras 0.13's KerasClassifier puts ClassifierMixin right of BaseEstimator and "
        "cannot be reordered in a subclass; BaseXrayClassifier.__sklearn_tags__ restores the "
        "classifier tags instead (tested in test_scratch.py)."
    ),
}
REJECTS_2D = (
    "feeds 2-D tabular data; skxray's classifiers take images (n, H, W[, C]) and reject "
    "2-D input with a clear error by design (the adapter run covers this check)."
)
ADAPTER = {
    **SCIKERAS,
    "check_fit2d_1sample": (
        "one sample is one class; the error names the single class, not the sample count."
    ),
    "check_estimators_empty_data_messages": (
        "(n, 0) becomes empty images, rejected with an image-shape message rather than "
        "scikit-learn's '0 feature(s)' wording (tested in test_scratch.py)."
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "Keras scales the loss by the mean sample weight per batch, so weights and repeated "
        "samples give different batches and hence different SGD paths."
    ),
    "check_classifiers_train": (
        "two epochs of a 4-filter CNN on the check's blobs do not reach its accuracy bar; "
        "test_classifiers_train runs the check with settings that can learn the blobs."
    ),
    "check_class_weight_classifiers": (
        "two epochs of a tiny CNN are too short for the check's balanced-accuracy bar."
    ),
    "check_n_features_in_after_fitting": (
        "n_features_in_ is scikeras's X.shape[1], the image height: 1 for the adapter's "
        "1-pixel-high images, not d. The full image shape is checked via image_shape_."
    ),
    "check_n_features_in": "same as check_n_features_in_after_fitting.",
    "check_supervised_y_2d": (
        "scikeras takes a 2-D y as Keras multi-output targets, so it does not warn and ravel."
    ),
    "check_methods_sample_order_invariance": (
        "float32 outputs may differ in the last bit (relative 1e-7, the check's own rtol) when "
        "a sample is predicted in a batch of another size, as oneDNN picks kernels by batch "
        "shape; test_sample_order_invariance_to_float32_rounding checks it at rtol 1e-5."
    ),
    "check_fit2d_predict1d": (
        "1-D X is rejected with skxray's 'expects images of shape' message, not 'Reshape your "
        "data'."
    ),
}


class TabularAdapter(ScratchCNNClassifier):
    """Test-only: read 2-D (n, d) data as 1-pixel-high images (n, 1, d, 1)."""

    def _check_images(self, X):
        if issparse(X):
            return super()._check_images(X)
        X = np.asarray(X)
        if X.ndim == 2:
            X = X.reshape(X.shape[0], 1, X.shape[1], 1)
        return super()._check_images(X)


class _Tabular:
    """Test-only: read 2-D (n, d) data as (n, d, 1) images, floats squashed into [0, 1]."""

    def _check_images(self, X):
        if not issparse(X):
            X = np.asarray(X)
        if not issparse(X) and X.ndim == 2:
            if np.issubdtype(X.dtype, np.floating):
                with np.errstate(over="ignore"):  # keeps NaN and inf for the real checks
                    X = np.where(np.isfinite(X), 1 / (1 + np.exp(-X)), X).astype(X.dtype)
            X = X[:, :, None]
        return super()._check_images(X)

    def transform(self, X):
        out = super().transform(X)
        return out.reshape(len(out), -1) if out.ndim == 3 and out.shape[2] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        return tags


class TabularEqualizer(_Tabular, HistogramEqualizer):
    """HistogramEqualizer through the tabular adapter."""


class TabularBorderCrop(_Tabular, BorderCrop):
    """BorderCrop through the tabular adapter."""


EQUALIZER = {
    "check_n_features_in_after_fitting": (
        "a stateless per-image operation: transform takes images of any size, whatever fit "
        "saw, so it does not compare with n_features_in_."
    ),
    "check_estimators_dtypes": (
        "integer images other than uint8 must lie in [0, 1]; the check's int data 0..2 is "
        "rejected with a message naming the range (tested in test_preprocess.py)."
    ),
    "check_dtype_object": "object arrays are rejected as images by design, naming the dtype.",
    "check_estimators_empty_data_messages": (
        "an (n, 0) array becomes empty images, rejected with 'no image pixels' rather than "
        "scikit-learn's '0 feature(s)' wording (tested in test_preprocess.py)."
    ),
    "check_fit2d_predict1d": (
        "1-D X is rejected with the images-shape message, not 'Reshape your data'."
    ),
}


def _expected_failures(estimator):
    if isinstance(estimator, _Tabular):
        return EQUALIZER
    if isinstance(estimator, TabularAdapter):
        return ADAPTER
    if isinstance(estimator, (ScratchCNNClassifier, InceptionTransferClassifier)):
        return {**dict.fromkeys(_SHIPPED_2D, REJECTS_2D), **SCIKERAS}
    return {}


# Checks that feed 2-D tabular data to the shipped estimators.
_SHIPPED_2D = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_sample_weights_not_an_array",
    "check_sample_weights_list",
    "check_all_zero_sample_weights_error",
    "check_sample_weights_shape",
    "check_sample_weights_not_overwritten",
    "check_sample_weight_equivalence_on_dense_data",
    "check_complex_data",
    "check_dtype_object",
    "check_estimators_empty_data_messages",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_classifier_data_not_an_array",
    "check_classifiers_one_label_sample_weights",
    "check_classifiers_classes",
    "check_estimators_partial_fit_n_features",
    "check_classifiers_train",
    "check_classifiers_regression_target",
    "check_supervised_y_2d",
    "check_class_weight_classifiers",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
    "check_requires_y_none",
    "check_classifiers_one_label",
]


@parametrize_with_checks(
    [
        ScratchCNNClassifier(**TINY),
        TabularAdapter(**TINY),
        TabularEqualizer(),
        TabularBorderCrop(0.1),
        InceptionTransferClassifier(**CHECKS_INCEPTION),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# Enough capacity and epochs for the blobs of check_classifiers_train (accuracy > 0.83).
TRAINABLE = dict(
    conv_filters=(16,),
    kernel_size=1,
    pool_size=1,
    dense_units=16,
    epochs=40,
    batch_size=32,
    optimizer__learning_rate=0.01,
    random_state=0,
)


@pytest.mark.graph  # 4 fits x 40 epochs: traced steps are much faster than eager ones
def test_sample_order_invariance_to_float32_rounding(synthetic):
    """check_methods_sample_order_invariance, at a tolerance that float32 networks can meet."""
    rng = np.random.default_rng(0)
    flat = rng.normal(size=(30, 3)).astype("float32")
    for estimator, X, y in (
        (TabularAdapter(**TINY), flat, np.arange(30) % 3),
        (ScratchCNNClassifier(**TINY), synthetic.images[:30], synthetic.target[:30]),
    ):
        estimator.fit(X, y)
        order = rng.permutation(len(X))
        for method in ("predict", "predict_proba"):
            expected = getattr(estimator, method)(X)[order]
            np.testing.assert_allclose(getattr(estimator, method)(X[order]), expected, rtol=1e-5)


def test_classifiers_train():
    """scikit-learn's check_classifiers_train passes through the adapter when it can learn."""
    check_classifiers_train("TabularAdapter", TabularAdapter(**TRAINABLE))
