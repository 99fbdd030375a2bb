"""Tiny-model settings shared by the tests: one home, each test overrides what it needs.

``conftest.py`` also serves them as fixtures (``tiny_cnn``, ``tiny_inception``), fresh
copies per test, for tests that take fixtures rather than module constants.
"""

TINY_CNN = dict(preset="vanilla", conv_filters=(4, 8), dense_units=16, epochs=1, random_state=0)
"""A two-block vanilla CNN that fits 200 images in about a second."""

TINY_INCEPTION = dict(
    weights=None, input_size=75, head_units=8, epochs=2, batch_size=16, random_state=0
)
"""Inception-V3 at its smallest input, random weights, a tiny head."""
