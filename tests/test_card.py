"""The model card: its sections, and the figures it is given."""

import numpy as np

from skxray.evaluation._evaluate import evaluate_scores
from skxray.persistence._card import model_card, write_model_card

METADATA = {  # as skxray.load_metadata gives it
    "versions": {"skxray": "0.1.0", "keras": "3.0", "scikit-learn": "1.7"},
    "class_names": ["NORMAL", "PNEUMONIA"],
    "image_shape": [128, 128, 1],
    "preprocessing": {
        "steps": ["imagedirloader", "histogramequalizer"],
        "loader": {"image_size": 128, "color_mode": "grayscale"},
    },
    "threshold": 0.4,
    "training_data": {"n_files": 5216, "sha256": "ab12"},
}


def test_card_without_scores_says_what_is_missing():
    text = model_card(METADATA)
    for heading in ("## Intended use", "## Model", "## Training data", "## Known limits"):
        assert heading in text
    assert "not for diagnosis" in text
    assert "5216 image files" in text and "`ab12`" in text
    assert "Decision threshold: 0.4" in text and "histogramequalizer" in text
    assert "decoded to 128 pixels" in text and "skxray 0.1.0" in text
    assert "Not measured yet" in text
    assert "0.969" in text and "0.822-0.851" in text  # the CV-to-independent gap, cited
    assert "commit" not in text.split("## Known limits")[0]  # no commit was recorded
    with_commit = model_card({**METADATA, "provenance": {"commit": "abc1234"}})
    assert "- Built from skxray commit abc1234." in with_commit


def test_card_with_scores_and_figures(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    score = np.clip(y * 0.6 + rng.uniform(0, 0.5, 60), 0, 1)
    report = evaluate_scores(y, score, n_bootstrap=50, random_state=0)
    path = write_model_card(
        tmp_path / "MODEL_CARD.md", {}, report=report, figures=["evaluation.png"]
    )
    text = path.read_text()
    assert "On 60 held-out images" in text and "95 % percentile-bootstrap" in text
    f1 = report.scores["f1"]
    low, high = report.ci["f1"]
    assert f"| f1 | {f1:.3f} | {low:.3f}-{high:.3f} |" in text
    assert "![evaluation](evaluation.png)" in text
    assert "Neither the images nor their source are recorded" in text  # nothing in metadata


def test_card_knows_its_data_and_warns_about_training_images():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    report = evaluate_scores(y, rng.uniform(size=40), n_bootstrap=20, random_state=0)
    metadata = {**METADATA, "provenance": {"trained_on": "the images of hospital X"}}
    text = model_card(metadata, report=report, on_training_images=True)
    assert "Source: the images of hospital X." in text and "unless the model" not in text
    assert "On 40 of the model's own training images" in text and "held-out" in text
    assert "Warning: these images are the model's training images" in text
    unknown = model_card(METADATA)
    assert "Source: not recorded in the model file" in unknown
    assert "decision threshold given under" in unknown  # the threshold is above, not below


def test_card_from_a_saved_model(tmp_path, synthetic):
    from skxray import ScratchCNNClassifier, load_metadata, save

    clf = ScratchCNNClassifier("vanilla", conv_filters=(4,), dense_units=8, epochs=1)
    clf.set_params(random_state=0).fit(synthetic.images[:32], synthetic.target[:32])
    path = tmp_path / "m.skxray"
    save(
        clf,
        path,
        target_names=["NORMAL", "PNEUMONIA"],
        training_paths=["b.jpeg", "a.jpeg"],
    )
    text = model_card(load_metadata(path))
    assert "Classes: NORMAL, PNEUMONIA" in text and "2 image files" in text
