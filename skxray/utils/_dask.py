"""Fits on a Dask cluster: TensorFlow's thread pools on each worker."""

from ._param_validation import integer, validate_params

try:  # the optional extra: pip install "skxray[dask]"
    from distributed import Client, WorkerPlugin
except ImportError:  # pragma: no cover - exercised without the extra
    Client = WorkerPlugin = None

_PLUGIN_NAME = "skxray-tensorflow-threads"


class _TensorFlowThreads(WorkerPlugin or object):
    """Worker plugin: size TensorFlow's intra-op and inter-op pools before TensorFlow starts.

    Registered with the scheduler, it also runs on workers that join (or restart) later.
    """

    name = _PLUGIN_NAME
    idempotent = False  # registering again (another n_threads) runs setup again

    def __init__(self, n_threads):
        self.n_threads = n_threads

    def setup(self, worker):
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(self.n_threads)
            tf.config.threading.set_inter_op_parallelism_threads(self.n_threads)
        except RuntimeError as exc:
            raise RuntimeError(
                f"Dask worker {worker.address} has already started TensorFlow, so its "
                f"thread pools can no longer be set to {self.n_threads} ({exc}). Call "
                "skxray.limit_worker_threads before the first fit on the cluster, or "
                "restart the workers (client.restart()) and call it again."
            ) from exc


def _tensorflow_threads():
    import tensorflow as tf

    return (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )


def limit_worker_threads(client, n_threads=1):
    """Limit TensorFlow's threads on every worker of a Dask cluster.

    Each Dask worker runs one fit at a time; by default TensorFlow gives
    each of them a thread per core, so that several workers on one machine
    oversubscribe its cores. This sets the intra-op and inter-op thread
    pools of every worker, present and future (a plugin kept by the
    scheduler), to ``n_threads``. Call it once after connecting, before the
    first fit on the cluster: TensorFlow fixes its pools when it starts.

    It also checks the cluster for what skxray needs: a running client, and
    one thread per worker (``threads_per_worker=1``, ``dask worker
    --nthreads 1``), because two skxray fits at once in one process share
    scikeras' process-wide seeding and are not supported.

    Parameters
    ----------
    client : distributed.Client
        A running client of the cluster.
    n_threads : int, default=1
        TensorFlow threads per worker, at least 1; typically the machine's
        cores divided by its workers. Predictions are bit-for-bit the same
        only between fits with the same number of threads (see
        :doc:`/scaling`).

    Returns
    -------
    threads : dict
        Each worker's address and its ``(intra_op, inter_op)`` thread
        counts, as read back from the worker.

    Raises
    ------
    ImportError
        ``distributed`` is not installed (``pip install "skxray[dask]"``).
    TypeError
        ``client`` is not a ``distributed.Client``.
    ValueError
        The client is closed, or a worker runs more than one thread
        (``InvalidParameterError``, a ``ValueError``, for a bad ``n_threads``).
    RuntimeError
        A worker has already started TensorFlow with other thread counts.

    Examples
    --------
    >>> from distributed import Client, LocalCluster
    >>> from skxray import limit_worker_threads
    >>> cluster = LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None)
    >>> client = Client(cluster)
    >>> limit_worker_threads(client, n_threads=1)
    {'tcp://127.0.0.1:...': (1, 1)}
    >>> client.close()
    >>> cluster.close()
    """
    if Client is None:
        raise ImportError(
            'limit_worker_threads needs Dask\'s distributed: pip install "skxray[dask]".'
        )
    if not isinstance(client, Client):
        raise TypeError(f"client must be a distributed.Client, got {client!r}.")
    validate_params(
        {"n_threads": [integer(1, None)]}, {"n_threads": n_threads}, "limit_worker_threads"
    )
    if client.status != "running":
        cluster = f" of {client.cluster!r}" if client.cluster is not None else ""
        raise ValueError(
            f"The Dask client {client.id}{cluster} is not running (status "
            f"{client.status!r}); connect a new one, e.g. Client('tcp://scheduler:8786'), "
            "and pass it to joblib.parallel_backend('dask', client=...)."
        )
    busy = {address: n for address, n in client.nthreads().items() if n > 1}
    if busy:
        raise ValueError(
            f"Dask workers with more than one thread: {busy}. skxray fits one model per "
            "worker process at a time: start the workers with threads_per_worker=1 "
            "(LocalCluster) or `dask worker --nthreads 1`, and more workers instead."
        )
    client.register_plugin(_TensorFlowThreads(int(n_threads)), name=_PLUGIN_NAME)
    return client.run(_tensorflow_threads)
