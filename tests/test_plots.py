"""What the figures show: class names, no clipped text, the heatmap colorbar, which images."""

import matplotlib
import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from skxray import HeatmapDisplay, ScratchCNNClassifier, evaluate, plot_heatmaps
from skxray.evaluation._evaluate import evaluate_scores
from skxray.explain._plot import showcase_indices
from skxray.utils._param_validation import InvalidParameterError

NAMES = ["NORMAL", "PNEUMONIA"]


def _tick_labels(axis):
    low, high = sorted(axis.get_view_interval())
    locs = axis.get_majorticklocs()
    ticks = axis.get_major_ticks(len(locs))
    return [t.label1 for t, loc in zip(ticks, locs, strict=True) if low <= loc <= high]


def _drawn_texts(fig):
    """The texts matplotlib draws: titles, labels, tick labels of visible axes, legends."""
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.axison:
            texts += [ax.xaxis.label, ax.yaxis.label]
            texts += _tick_labels(ax.xaxis) + _tick_labels(ax.yaxis)
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _clipped(fig):
    """Texts that stick out of the figure once drawn (constrained layout included)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    out = []
    for text in _drawn_texts(fig):
        box = text.get_window_extent(renderer)
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            out.append(text.get_text())
    return out


@pytest.fixture(scope="module")
def held_out():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 120)
    score = np.clip(0.3 * y + rng.normal(0.35, 0.2, 120), 0, 1)
    return y, score


# ------------------------------------------------------------------ evaluation figure
def test_evaluation_figure_names_the_classes(held_out):
    report = evaluate_scores(*held_out, n_bootstrap=50, random_state=0, target_names=NAMES)
    roc, pr, calibration, matrix = report.plot().figure_.axes
    assert [t.get_text() for t in matrix.get_xticklabels()] == NAMES
    assert [t.get_text() for t in matrix.get_yticklabels()] == NAMES
    for ax in (roc, pr, calibration):
        assert "PNEUMONIA" in ax.get_xlabel() and "PNEUMONIA" in ax.get_ylabel()
    shown = " ".join(t.get_text() for t in _drawn_texts(report.figure_))
    assert "Positive label" not in shown and "Positive class" not in shown
    assert "NORMAL called PNEUMONIA" in roc.get_xlabel()
    assert not _clipped(report.figure_)


def test_evaluation_figure_without_names_says_negative_and_positive(held_out):
    report = evaluate_scores(*held_out, n_bootstrap=20, random_state=0, plot=True)
    matrix = report.figure_.axes[3]
    assert [t.get_text() for t in matrix.get_xticklabels()] == ["negative", "positive"]
    shown = " ".join(t.get_text() for t in _drawn_texts(report.figure_))
    assert "label: 1" not in shown and "class: 1" not in shown
    assert not _clipped(report.figure_)
    assert "(positive positive)" not in str(report)


def test_precision_recall_curve_and_average_precision(held_out):
    y, score = held_out
    report = evaluate_scores(y, score, n_bootstrap=200, random_state=0, plot=True)
    assert report.scores["average_precision"] == average_precision_score(y, score)
    low, high = report.ci["average_precision"]
    assert low <= report.scores["average_precision"] <= high
    pr = report.figure_.axes[1]
    assert f"AP {report.scores['average_precision']:.3f}" in pr.get_title()
    assert len(pr.lines) >= 1  # the curve (and the chance level)
    assert "average_precision" in str(report)


def test_average_precision_interval_leaves_out_one_class_resamples():
    y = np.r_[np.zeros(27, int), np.ones(3, int)]
    score = np.r_[np.linspace(0.0, 0.6, 27), [0.7, 0.8, 0.9]]
    report = evaluate_scores(y, score, n_bootstrap=300, random_state=0)
    assert report.ci["average_precision"] == pytest.approx((1.0, 1.0))


def test_target_names_are_validated(held_out):
    for bad in (["NORMAL"], ["NORMAL", 1], "AB"):
        with pytest.raises(InvalidParameterError, match="'target_names' parameter of evaluate"):
            evaluate_scores(*held_out, n_bootstrap=10, target_names=bad)


def test_report_repr_is_a_summary(held_out):
    report = evaluate_scores(*held_out, n_bootstrap=20, random_state=0, target_names=NAMES)
    text = repr(report)
    assert text.startswith("<EvaluationReport: 120 images (")
    assert "PNEUMONIA" in text and f"roc_auc {report.scores['roc_auc']:.3f}" in text


@pytest.mark.eager
def test_evaluate_passes_the_names_on(synthetic):
    clf = ScratchCNNClassifier(
        "vanilla", conv_filters=(4,), dense_units=8, epochs=1, random_state=0
    ).fit(synthetic.images, synthetic.target)
    report = evaluate(
        clf,
        synthetic.images,
        synthetic.target,
        n_bootstrap=20,
        random_state=0,
        target_names=synthetic.target_names,
    )
    assert report.target_names == tuple(synthetic.target_names)
    assert "OPACITY" in report.figure_.axes[0].get_ylabel()
    display = plot_heatmaps(clf, synthetic.images[:2], method="gradcam++")
    assert display.colorbar_.ax.get_xlabel() == "Grad-CAM++ (relative)"


# ------------------------------------------------------------------ heatmap display
@pytest.mark.parametrize("n", [1, 4])
def test_heatmap_display_has_one_shared_colorbar(n):
    images = np.zeros((n, 16, 16))
    heatmaps = np.linspace(0, 1, n * 256).reshape(n, 16, 16)
    display = HeatmapDisplay(
        images,
        heatmaps,
        proba=np.linspace(0.1, 0.9, n),
        y_true=[i % 2 for i in range(n)],
        target_names=NAMES,
        method="gradcam",
    ).plot()
    assert len(display.figure_.axes) == 3 * n + 1  # the grid and one colorbar
    assert display.colorbar_.ax.get_xlabel() == "Grad-CAM (relative)"
    assert display.colorbar_.mappable.get_clim() == (0, 1)
    assert not _clipped(display.figure_)
    assert repr(display) == f"<HeatmapDisplay of {n} images (Grad-CAM): plotted>"
    assert display.axes_[0, 1].get_title() == f"heatmap for {NAMES[-1]}"  # the class explained


def test_heatmap_title_names_each_rows_class_when_they_differ():
    display = HeatmapDisplay(
        np.zeros((2, 8, 8)), np.ones((2, 8, 8)), proba=[0.2, 0.7], explained=[0, 2],
        target_names=["NORMAL", "BACTERIA", "VIRUS"],
    ).plot()  # fmt: skip
    assert display.axes_[0, 1].get_title() == "heatmap for each row's class"


def test_heatmap_display_without_method_says_heatmap():
    display = HeatmapDisplay(np.zeros((2, 8, 8)), np.ones((2, 8, 8)))
    assert repr(display) == "<HeatmapDisplay of 2 images (heatmap): not plotted>"
    assert display.plot().colorbar_.ax.get_xlabel() == "heatmap (relative)"
    assert isinstance(display.colorbar_, matplotlib.colorbar.Colorbar)


# ------------------------------------------------------------------ showcase_indices
def test_showcase_has_both_classes_and_the_worst_error():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    proba = np.array([0.05, 0.2, 0.4, 0.85, 0.99, 0.8, 0.6, 0.1])
    picked = showcase_indices(y, proba, n=4)
    # the worst error is image 7 (PNEUMONIA at 0.1), worse than image 3 (NORMAL at 0.85);
    # then the most confident correct NORMAL (0) and PNEUMONIA (4), then NORMAL again (1)
    assert sorted(picked.tolist()) == [0, 1, 4, 7]
    assert np.all(np.diff(proba[picked]) >= 0)  # ordered by probability
    assert showcase_indices(y, proba, n=2).tolist() == [0, 7]  # the error and the other class


def test_showcase_without_errors_shows_the_most_confident_of_each_class():
    y = np.array([0, 0, 1, 1, 1])
    proba = np.array([0.3, 0.1, 0.7, 0.9, 0.8])
    assert showcase_indices(y, proba, n=2).tolist() == [1, 3]
    assert showcase_indices(y, proba, n=10).tolist() == [1, 0, 2, 4, 3]  # all, by proba


def test_showcase_threshold_decides_what_is_wrong():
    y = np.array([0, 0, 1, 1])
    proba = np.array([0.1, 0.3, 0.4, 0.9])
    assert showcase_indices(y, proba, n=2, threshold=0.5).tolist() == [0, 2]  # 2 is an error
    assert showcase_indices(y, proba, n=2, threshold=0.25).tolist() == [1, 3]  # now 1 is


def test_showcase_properties_on_random_predictions(rng):
    for _ in range(200):
        size = int(rng.integers(1, 30))
        y = rng.integers(0, 2, size)
        proba = rng.random(size)
        n = int(rng.integers(1, 8))
        picked = showcase_indices(y, proba, n=n)
        assert len(picked) == min(n, size) == len(set(picked.tolist()))
        wrong = (proba >= 0.5) != y
        if wrong.any():
            assert wrong[picked].any()
            worst = np.max(np.abs(proba - y)[wrong])
            assert np.isclose(np.max(np.abs(proba - y)[picked]), worst)
        if n >= 2 and len(set(y.tolist())) == 2:
            assert set(y[picked].tolist()) == {0, 1}


def test_showcase_rejects_bad_input():
    with pytest.raises(InvalidParameterError, match="'n' parameter of showcase_indices"):
        showcase_indices([0, 1], [0.2, 0.8], n=0)
    with pytest.raises(InvalidParameterError, match="'threshold' parameter"):
        showcase_indices([0, 1], [0.2, 0.8], threshold=2)
    with pytest.raises(ValueError, match="0 or 1"):
        showcase_indices([0, 2], [0.2, 0.8])
    with pytest.raises(ValueError, match="same length"):
        showcase_indices([0, 1, 1], [0.2, 0.8])
