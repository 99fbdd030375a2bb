"""Percentile bootstrap intervals of the scores, shared by the binary and multiclass reports."""

import warnings

import numpy as np
from sklearn.utils import check_random_state


def bootstrap_intervals(score_fn, y_true, y_score, names, n_bootstrap, confidence, random_state):
    """Percentile bootstrap intervals of ``score_fn(y_true, y_score)[name]`` for ``names``.

    Resamples the (label, score) pairs with replacement. A plain loop rather than
    ``scipy.stats.bootstrap(paired=True, method="percentile")``, which draws the same kind
    of resamples but takes its percentiles with nan propagating: one resample with a
    single class (ROC-AUC undefined) would make the whole ROC-AUC interval nan, with a
    DegenerateDataWarning. That is routine on small or imbalanced held-out sets (30
    images, 3 positive: ~4% of resamples), so undefined resamples are left out per score
    instead (``np.nanpercentile``).
    """
    rng = check_random_state(random_state)
    n = len(y_true)
    samples = np.empty((n_bootstrap, len(names)))
    for b in range(n_bootstrap):
        idx = rng.randint(0, n, n)
        scores = score_fn(y_true[idx], y_score[idx])
        samples[b] = [scores[name] for name in names]
    tail = 100 * (1 - confidence) / 2
    with warnings.catch_warnings():  # a score undefined on every resample: a nan interval
        warnings.simplefilter("ignore", RuntimeWarning)
        lows, highs = np.nanpercentile(samples, [tail, 100 - tail], axis=0)
    return {name: (float(lo), float(hi)) for name, lo, hi in zip(names, lows, highs, strict=True)}
