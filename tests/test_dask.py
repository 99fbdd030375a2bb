"""Grid search on a Dask cluster gives the scores and the models of a local run."""

import os

import joblib
import numpy as np
import pytest
from _tiny import TINY_CNN

distributed = pytest.importorskip("distributed")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skxray import ScratchCNNClassifier, limit_worker_threads  # noqa: E402
from skxray.datasets import load_sample_xrays  # noqa: E402
from skxray.utils._param_validation import InvalidParameterError  # noqa: E402

TINY = {**TINY_CNN, "epochs": 2}


def _local_tensorflow_threads():
    """The intra-op threads of this process' TensorFlow (its default: the usable cores)."""
    import tensorflow as tf

    set_here = tf.config.threading.get_intra_op_parallelism_threads()
    if set_here:
        return set_here
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.mark.slow
def test_grid_search_on_a_cluster_matches_the_local_run():
    data = load_sample_xrays(image_size=24)
    index = np.r_[0:24, 100:124]  # 24 NORMAL, 24 PNEUMONIA
    X, y = data.images[index], data.target[index]
    search = GridSearchCV(
        ScratchCNNClassifier(**TINY), {"dense_units": [8, 16]}, cv=2, scoring="neg_log_loss"
    )
    local = clone(search).fit(X, y)
    scores = [f"split{i}_test_score" for i in range(2)]

    # Bit-for-bit equality needs the local run's number of TensorFlow threads.
    threads = _local_tensorflow_threads()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert set(limit_worker_threads(client, n_threads=threads).values()) == {(threads, threads)}
        with joblib.parallel_backend("dask", client=client):
            remote = clone(search).set_params(refit=False).fit(X, y)
        # GridSearchCV refits the best candidate in this process: fit it on a worker instead.
        best = clone(search.estimator).set_params(**remote.best_params_)
        on_worker = client.submit(best.fit, X, y, pure=False).result()

    for key in scores:
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        on_worker.predict_proba(X), local.best_estimator_.predict_proba(X)
    )


def test_limit_worker_threads_errors_name_the_culprit():
    import tensorflow as tf

    tf.constant(1.0) + 1  # TensorFlow has started in this process, its pools are fixed
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        client = distributed.Client(cluster)
        with pytest.raises(InvalidParameterError, match="'n_threads' parameter"):
            limit_worker_threads(client, n_threads=0)
        # An in-process worker shares this process' TensorFlow, started above.
        worker = next(iter(client.nthreads()))
        with pytest.raises(RuntimeError, match=f"{worker} has already started TensorFlow"):
            limit_worker_threads(client, n_threads=1)
        client.close()
        # joblib's own error for a closed client is an AttributeError about 'ncores'.
        with pytest.raises(ValueError, match=f"client {client.id} .* is not running"):
            limit_worker_threads(client)
    with pytest.raises(TypeError, match="distributed.Client"):
        limit_worker_threads("tcp://scheduler:8786")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with pytest.raises(ValueError, match="more than one thread"):
            limit_worker_threads(client)
