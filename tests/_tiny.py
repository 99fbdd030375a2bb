"""Tiny-model settings shared by the tests: their one home; each test overrides what it needs.

``conftest.py`` also serves ``TINY_CNN`` and ``TINY_INCEPTION`` as fixtures (``tiny_cnn``,
``tiny_inception``), fresh copies per test, for tests that take fixtures rather than module
constants.
"""

TINY_CNN = dict(preset="vanilla", conv_filters=(4, 8), dense_units=16, epochs=1, random_state=0)
"""A two-block vanilla CNN that fits 200 images in about a second."""

TINY_INCEPTION = dict(
    weights=None, input_size=75, head_units=8, epochs=2, batch_size=16, random_state=0
)
"""Inception-V3 at its smallest input, random weights, a tiny head."""

CHECKS_CNN = dict(
    conv_filters=(4,),
    kernel_size=2,
    pool_size=2,
    dense_units=8,
    epochs=1,
    batch_size=16,
    random_state=0,
)
"""The smallest CNN (the default preset, one block of 2x2 kernels), for scikit-learn's ~40
fitting checks (``test_common.py``), whose tabular adapter feeds images 1 pixel high."""

CHECKS_INCEPTION = dict(weights=None, input_size=75, head_units=4, epochs=1, random_state=0)
"""Inception-V3 for scikit-learn's checks (``test_common.py``): one epoch, a 4-unit head."""
