"""Training and predicting from file paths streamed batch by batch (ImageDirLoader(stream=True))."""

import shutil

import keras
import numpy as np
import pytest
from _tiny import TINY_CNN
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline

import skxray.io._folders
from skxray import (
    HistogramEqualizer,
    ImageDirLoader,
    ImageLoadError,
    ScratchCNNClassifier,
    cam_explain,
)
from skxray.datasets import load_sample_xrays
from skxray.io._stream import ImageStream
from skxray.models._training._batches import StreamBatches

pytestmark = pytest.mark.eager

CNN = {**TINY_CNN, "preset": "optimized", "epochs": 2, "batch_size": 16}


@pytest.fixture(scope="module")
def sample():
    return load_sample_xrays(load_images=False)


@pytest.fixture
def decoded(monkeypatch):
    """The number of images decoded by each call of the loader's decoder."""
    sizes = []
    decode_many = skxray.io._folders._decode_many

    def spy(paths, *args, **kwargs):
        sizes.append(len(paths))
        return decode_many(paths, *args, **kwargs)

    monkeypatch.setattr(skxray.io._folders, "_decode_many", spy)
    return sizes


def test_stream_reads_what_the_loader_decodes(sample):
    loader = ImageDirLoader(24, dtype="uint8")
    stream = loader.set_params(stream=True).transform(sample.paths)
    arrays = loader.set_params(stream=False).transform(sample.paths)
    assert isinstance(stream, ImageStream) and len(stream) == 200
    assert stream.shape == arrays.shape and stream.dtype == arrays.dtype
    rows = [3, 150, 7]
    np.testing.assert_array_equal(stream.read(rows), arrays[rows])
    np.testing.assert_array_equal(stream[rows].read(), arrays[rows])
    np.testing.assert_array_equal(
        stream[stream_mask := np.arange(200) % 7 == 0].read(), arrays[stream_mask]
    )
    np.testing.assert_array_equal(stream[5], arrays[5])
    np.testing.assert_array_equal(np.asarray(stream), arrays)
    equalized = HistogramEqualizer().transform(stream)
    assert repr(equalized) == "<ImageStream of 200 images -> HistogramEqualizer>"
    np.testing.assert_array_equal(
        equalized.read(rows), HistogramEqualizer().transform(arrays)[rows]
    )


def test_batches_shuffle_per_epoch_from_the_seed(sample):
    stream = ImageDirLoader(8, stream=True).transform(sample.paths[:50])
    y = np.arange(50)
    first = StreamBatches(stream, y, 16, seed=3)
    order = np.concatenate([first[i][1] for i in range(len(first))])
    assert sorted(order) == list(range(50)) and len(first) == 4
    first.on_epoch_end()
    again = np.concatenate([first[i][1] for i in range(len(first))])
    assert not np.array_equal(order, again)  # a new order each epoch...
    same = StreamBatches(stream, y, 16, seed=3)
    np.testing.assert_array_equal(np.concatenate([same[i][1] for i in range(4)]), order)  # ...
    ordered = StreamBatches(stream, None, 16)  # prediction: in order, images only
    assert len(ordered[0]) == 1 and ordered[3][0].shape == (2, 8, 8, 1)


def test_fit_and_predict_from_a_stream_decode_one_batch_at_a_time(sample, decoded):
    pipe = make_pipeline(
        ImageDirLoader(24, stream=True), HistogramEqualizer(), ScratchCNNClassifier(**CNN)
    )
    pipe.fit(sample.paths, sample.target)
    assert max(decoded) <= CNN["batch_size"] and sum(decoded) >= 2 * 200  # batch by batch
    proba = pipe.predict_proba(sample.paths)
    assert max(decoded) <= 256  # prediction: chunks of at most 256 images
    # The same seed gives the same model...
    again = make_pipeline(
        ImageDirLoader(24, stream=True), HistogramEqualizer(), ScratchCNNClassifier(**CNN)
    )
    np.testing.assert_array_equal(
        again.fit(sample.paths, sample.target).predict_proba(sample.paths), proba
    )
    # ...and a streamed prediction equals the prediction of the decoded array.
    arrays = make_pipeline(ImageDirLoader(24), HistogramEqualizer()).transform(sample.paths)
    np.testing.assert_allclose(pipe[-1].predict_proba(arrays), proba, atol=1e-6)


def test_stream_with_validation_weights_and_test_time_augmentation(sample):
    stream = ImageDirLoader(24, stream=True).transform(sample.paths)
    clf = ScratchCNNClassifier(
        **CNN, validation_split=0.25, class_weight="balanced", tta_shift=0.1
    ).fit(stream, sample.target)
    assert len(clf.history_["val_loss"]) == 2 and len(clf.history_["val_f1"]) == 2
    arrays = np.asarray(stream)
    np.testing.assert_allclose(clf.predict_proba(stream), clf.predict_proba(arrays), atol=1e-6)


@pytest.mark.skipif(
    keras.backend.backend() == "jax", reason="Grad-CAM needs TensorFlow or torch gradients"
)
def test_heatmaps_of_a_stream(sample):
    stream = ImageDirLoader(24, stream=True).transform(sample.paths[95:105])
    clf = ScratchCNNClassifier(**{**CNN, "epochs": 1}).fit(stream, sample.target[95:105])
    maps = cam_explain(clf, stream[:3])
    np.testing.assert_allclose(maps, cam_explain(clf, np.asarray(stream)[:3]), atol=1e-6)


def test_cross_validation_splits_a_stream(sample):
    pipe = make_pipeline(ImageDirLoader(24, stream=True), ScratchCNNClassifier(**CNN))
    scores = cross_val_score(
        pipe, sample.paths, sample.target, groups=sample.groups, cv=GroupKFold(2), scoring="f1"
    )
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def test_a_file_gone_after_listing_is_named_when_read(sample, tmp_path):
    rows = np.r_[0:20, 180:200]  # both classes
    paths = list(sample.paths[rows])
    gone = tmp_path / "gone.jpeg"
    shutil.copy(paths[7], gone)
    paths[7] = str(gone)
    pipe = make_pipeline(ImageDirLoader(24, stream=True), ScratchCNNClassifier(**CNN))
    stream = pipe[0].fit_transform(paths)  # listed, nothing decoded
    gone.unlink()
    with pytest.raises(ImageLoadError, match=r"gone.jpeg: cannot read file"):
        pipe[-1].fit(stream, sample.target[rows])
    with pytest.raises(ImageLoadError, match=r"gone.jpeg: cannot read file"):
        pipe.fit(paths, sample.target[rows])


def test_inception_featurises_a_stream_chunk_by_chunk(sample):
    from skxray import InceptionTransferClassifier

    rows = np.r_[0:10, 190:200]
    stream = ImageDirLoader(32, stream=True).transform(sample.paths[rows])
    tiny = dict(weights=None, input_size=75, head_units=8, epochs=1, random_state=0)
    on_stream = InceptionTransferClassifier(**tiny).fit(stream, sample.target[rows])
    arrays = np.asarray(stream)
    on_arrays = InceptionTransferClassifier(**tiny).fit(arrays, sample.target[rows])
    # The bottleneck stage trains the head on the same features, in the same order.
    np.testing.assert_allclose(
        on_stream.predict_proba(stream), on_arrays.predict_proba(arrays), atol=1e-5
    )
