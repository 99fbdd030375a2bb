"""The parser of the ``skxray`` command (standard library only, so ``--help`` starts at once)."""

import argparse
import re
import sys
from pathlib import Path

# Literal copies, so that building the parser imports no Keras; tests/test_cli.py checks
# that they equal sorted(skxray.RECIPES), skxray.models._recipe.DEFAULT_RECIPE and
# skxray.explain._cam.CAM_METHODS.
_RECIPES = (
    "augmented-cnn",
    "equalized-augmented-cnn",
    "equalized-augmented-cnn-3seeds",
    "equalized-cnn-ensemble",
    "inception",
)
_DEFAULT_RECIPE = "equalized-cnn-ensemble"
_CAM_METHODS = ("gradcam", "gradcam++", "cam")

_DESCRIPTION = """\
Pneumonia detection on chest X-rays with scikit-learn estimators on Keras 3.
Global options (--quiet, --verbose, --debug) go before or after the command."""

_EPILOG = """\
examples:
  skxray demo
  skxray train chest_xray/train --out model.skxray
  skxray evaluate model.skxray chest_xray/test
  skxray predict scans/ more/scan1.jpeg --out predictions.csv   # the shipped model
  skxray predict --model model.skxray scans/ --out predictions.csv
  skxray explain scans/ --out heatmaps

exit status: 0 on success; 2 on an error, printed as one line
"skxray: error: ..." on stderr (--debug shows the traceback instead)."""


# Lines that TensorFlow's C++ runtime (absl logging) writes to stderr while it loads.
class _UsageError(Exception):
    """A command line that argparse rejects."""


class _Exit(Exception):
    """argparse finished early (--help, --version) with this exit status."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse, with errors raised (main prints them as one line) rather than exiting."""

    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")

    def exit(self, status=0, message=None):
        if message:
            print(message, file=sys.stderr, end="")
        raise _Exit(status)


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none (None) or it is a flag."""

    def _get_help_string(self, action):
        if action.default is None or action.nargs == 0:  # no default, or a flag
            return action.help
        return super()._get_help_string(action)


class _MainFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    """The top-level help: its description and examples are laid out by hand."""


def _version():
    """The version in ``_version.py``, read without importing the package's modules."""
    text = (Path(__file__).parents[1] / "_version.py").read_text(encoding="utf-8")
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if match:
        return match.group(1)
    from importlib.metadata import version  # pragma: no cover - _version.py is always there

    return version("skxray")  # pragma: no cover


def _probability(text):
    """argparse type: a threshold strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1 (both excluded)")
    return value


def _positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not 1 or more")
    return value


def _global_flags(parser, default):
    """--quiet, --verbose and --debug; sub-commands take them too, with SUPPRESS defaults."""
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="no progress output"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="let TensorFlow, absl and Keras print their log lines and warnings",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="on an error, show the Python traceback instead of one line",
    )


def _threshold(parser):
    parser.add_argument(
        "--threshold",
        type=_probability,
        default=None,
        metavar="T",
        help="call an image PNEUMONIA when its probability is T or more, T between 0 and 1 "
        "(default: the threshold saved with the model, else 0.5); two-class models only, a "
        "three-class model predicts the most probable class",
    )


def _model(parser):
    parser.add_argument(
        "model", metavar="MODEL", help="model file (skxray train, skxray demo --save)"
    )


def _optional_model(parser):
    parser.add_argument(
        "--model",
        default=None,
        metavar="NAME_OR_FILE",
        help="a shipped model's name (see skxray models) or a model file (default: the "
        "shipped 'pneumonia' model; a model file given as the first PATH works too)",
    )


def build_parser():
    parser = _Parser(
        prog="skxray", description=_DESCRIPTION, epilog=_EPILOG, formatter_class=_MainFormatter
    )
    parser.add_argument("--version", action="version", version=f"skxray {_version()}")
    _global_flags(parser, False)
    common = _Parser(add_help=False)
    _global_flags(common, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help, description):
        return sub.add_parser(
            name, help=help, description=description, parents=[common], formatter_class=_Formatter
        )

    demo = command(
        "demo",
        "train the recommended recipe on the bundled sample and report held-out scores",
        "Train the recommended recipe on the 200 bundled real chest X-rays (150 for "
        "training, 50 held out, no patient in both), print the held-out scores and write "
        "learning curves, a confusion matrix and heatmaps.",
    )
    demo.add_argument("--out", default="skxray-demo", metavar="DIR", help="output folder")
    demo.add_argument(
        "--epochs", type=_positive_int, default=20, metavar="N", help="training epochs"
    )
    demo.add_argument(
        "--image-size", type=_positive_int, default=128, metavar="PIXELS", help="image side"
    )
    demo.add_argument("--seed", type=int, default=0, metavar="N", help="random seed")
    demo.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="hide Keras' progress bar (shown unless given)",
    )
    demo.add_argument(
        "--save", default=None, metavar="FILE", help="also save the fitted model to FILE"
    )

    train = command(
        "train",
        "fit a recommended recipe on a folder tree and save the model",
        "Fit a recipe of skxray.recommended_classifier on DATA_DIR (one sub-folder per "
        "class, e.g. NORMAL/ and PNEUMONIA/) and save the fitted model to one file.",
    )
    train.add_argument(
        "data_dir", metavar="DATA_DIR", help="folder with one sub-folder of images per class"
    )
    train.add_argument(
        "--out", default="skxray-model.skxray", metavar="FILE", help="model file to write"
    )
    train.add_argument(
        "--recipe",
        default=_DEFAULT_RECIPE,
        choices=_RECIPES,
        metavar="NAME",
        help=f"recipe, one of {', '.join(_RECIPES)}",
    )
    train.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="training epochs of each classifier (default: the recipe's)",
    )
    train.add_argument(
        "--skip-bad",
        action="store_true",
        help="decode every image first and skip unreadable ones (listed on stderr) instead "
        "of stopping at the first",
    )
    train.add_argument(  # the old spelling, for one release
        "--preset", dest="old_preset", choices=_RECIPES, default=None, help=argparse.SUPPRESS
    )
    train.add_argument(
        "--weights",
        default=None,
        metavar="PATH",
        help="for the inception preset: Inception-V3 weights, 'imagenet' (downloaded once, "
        "the default), a local weights file PATH, or 'none' (random weights, for tests)",
    )
    train.add_argument(
        "--seeds",
        type=_positive_int,
        default=None,
        metavar="N",
        help="classifiers with different seeds to average (default: the recipe's)",
    )
    train.add_argument(
        "--target",
        default="folder",
        choices=("folder", "subtype"),
        help="classes: 'folder' (one per sub-folder) or 'subtype' (NORMAL, BACTERIA and VIRUS "
        "from the NORMAL/ and PNEUMONIA/ folders of the public data set, the subtype read "
        "from each pneumonia file name)",
    )

    evaluate = command(
        "evaluate",
        "score a saved model on a folder tree, with 95%% confidence intervals",
        "Score a saved model on DATA_DIR (one sub-folder per class) with bootstrap 95% "
        "confidence intervals, and plot ROC, precision-recall, calibration and confusion "
        "matrix.",
    )
    _model(evaluate)
    evaluate.add_argument(
        "data_dir", metavar="DATA_DIR", help="folder with one sub-folder of images per class"
    )
    _threshold(evaluate)
    evaluate.add_argument(
        "--bootstrap", type=_positive_int, default=1000, metavar="N", help="resamples"
    )
    evaluate.add_argument("--out", default="skxray-evaluation", metavar="DIR", help="output folder")
    evaluate.add_argument(
        "--card",
        action="store_true",
        help="also write MODEL_CARD.md (intended use, training data, these scores, limits)",
    )

    predict = command(
        "predict",
        "write the probability of pneumonia of each image to a CSV file",
        "Predict images, given as files and folders (searched recursively), and write "
        "path, probability_pneumonia, label and threshold of each to a CSV file (a "
        "three-class model: path, one probability per class and label).",
    )
    _optional_model(predict)
    predict.add_argument("inputs", nargs="+", metavar="PATH", help="image files and folders")
    predict.add_argument(
        "--out", default="predictions.csv", metavar="FILE", help="CSV file to write"
    )
    _threshold(predict)
    predict.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unreadable images (listed on stderr) instead of stopping at the first",
    )

    explain = command(
        "explain",
        "draw class-activation heatmaps, one PNG per image, and an index.html",
        "Draw where the network looked for PNEUMONIA in each image (a class-activation "
        "heatmap over it, with the probability and predicted label), one PNG per image, "
        "and an index.html showing them all. For a three-class model, the heatmap is the "
        "evidence for the predicted class.",
    )
    _optional_model(explain)
    explain.add_argument("images", nargs="+", metavar="IMAGE", help="image files and folders")
    explain.add_argument("--out", default="skxray-explain", metavar="DIR", help="output folder")
    explain.add_argument(
        "--method",
        default="gradcam",
        choices=_CAM_METHODS,
        help="heatmap method: gradcam (any network), gradcam++, or cam (a network with "
        "global average pooling)",
    )
    _threshold(explain)
    explain.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unreadable images (listed on stderr) instead of stopping at the first",
    )
    calibrate = command(
        "calibrate",
        "recalibrate a model's input check on chest X-rays it never saw",
        "Recalibrate the input check of a model (the warning column of predict) on chest "
        "X-rays it never saw, such as a site's own; no labels are needed. New X-rays like "
        "them are then flagged as unlike the training images with probability at most "
        "--alpha (split-conformal calibration). Writes the recalibrated model to --out.",
    )
    _optional_model(calibrate)
    calibrate.add_argument(
        "inputs", nargs="+", metavar="PATH", help="X-ray files and folders the model never saw"
    )
    calibrate.add_argument(
        "--out", default="skxray-calibrated.skxray", metavar="FILE", help="model file to write"
    )
    calibrate.add_argument(
        "--alpha",
        type=_probability,
        default=0.01,
        metavar="RATE",
        help="false-flag rate to guarantee, 0.01 unless given (needs 1/RATE - 1 images)",
    )
    calibrate.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip unreadable images (listed on stderr) instead of stopping at the first",
    )
    calibrate.set_defaults(threshold=None)
    command(
        "models",
        "list the models that ship with skxray",
        "List the fitted models that ship with skxray (usable offline with predict and "
        "explain --model NAME): their names, classes, file sizes and training data.",
    )
    return parser
