"""The skxray command line: start-up, quiet output, errors, predict and explain."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import joblib
import numpy as np
import pytest
from _tiny import TINY_CNN
from PIL import Image
from sklearn.pipeline import make_pipeline

import skxray
from skxray import (
    RECIPES,
    HistogramEqualizer,
    ImageDirLoader,
    ScratchCNNClassifier,
    __version__,
    check_inputs,
    load,
    load_image_folder,
    load_metadata,
    pretrained_path,
    save,
)
from skxray.cli import main
from skxray.cli._inputs_outputs import CommandError
from skxray.cli._parser import _CAM_METHODS as CLI_CAM_METHODS
from skxray.cli._parser import _DEFAULT_RECIPE as CLI_DEFAULT_RECIPE
from skxray.cli._parser import _RECIPES as CLI_RECIPES
from skxray.datasets import get_sample_xrays_path, load_sample_xrays
from skxray.explain._cam import CAM_METHODS
from skxray.models._recipe import DEFAULT_RECIPE
from skxray.utils._estimators import members

pytestmark = pytest.mark.eager

HEAVY = ("tensorflow", "keras", "sklearn")
# `python -m skxray.cli` runs skxray/__init__.py first: until it imports its modules lazily
# (PEP 562 __getattr__), TensorFlow loads, and logs, before the CLI's first line runs.
EAGER_INIT = "def __getattr__" not in Path(skxray.__file__).read_text(encoding="utf-8")
needs_lazy_init = pytest.mark.xfail(
    EAGER_INIT, reason="skxray/__init__.py imports TensorFlow eagerly", strict=True
)
NATIVE_LOG = re.compile(r"^(I0000|W0000|E0000|WARNING: All log messages)")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny path model, an array model, a small class tree and bad files (read-only)."""
    root = tmp_path_factory.mktemp("cli")
    data = load_image_folder(get_sample_xrays_path())
    model = make_pipeline(ImageDirLoader(32), ScratchCNNClassifier(**TINY_CNN))
    save(
        model.fit(data.paths, data.target),
        root / "model.skxray",
        target_names=list(data.target_names),
    )
    subtypes = load_image_folder(get_sample_xrays_path(), target="subtype")
    three = make_pipeline(ImageDirLoader(24), ScratchCNNClassifier(**TINY_CNN))
    save(
        three.fit(subtypes.paths, subtypes.target),
        root / "subtype.skxray",
        target_names=subtypes.target_names,
    )
    arrays = load_sample_xrays(image_size=24)
    bare = ScratchCNNClassifier(**TINY_CNN).fit(arrays.images, arrays.target)
    save(bare, root / "arrays.skxray", target_names=list(arrays.target_names))

    tree = root / "tree"  # 3 images a class
    for label, name in enumerate(data.target_names):
        (tree / name).mkdir(parents=True)
        for path in data.paths[data.target == label][:3]:
            shutil.copy(path, tree / name)

    bad = root / "bad"
    bad.mkdir()
    raw = Path(data.paths[0]).read_bytes()
    (bad / "text.jpeg").write_text("not an image\n")
    (bad / "truncated.jpeg").write_bytes(raw[: len(raw) // 2])
    buffer = io.BytesIO()
    Image.open(data.paths[0]).convert("L").resize((64, 64)).save(buffer, "PNG")
    png = bytearray(buffer.getvalue())
    start = png.index(b"IDAT") + 24
    png[start : start + 30] = bytes(30)  # damage the compressed pixels
    (bad / "corrupt.png").write_bytes(bytes(png))
    # CIELAB: a mode Pillow reads but cannot convert to grayscale or RGB
    Image.open(data.paths[0]).convert("RGB").resize((16, 16)).convert("LAB").save(bad / "lab.tiff")
    (bad / "empty").mkdir()
    (root / "file.txt").write_text("a file, not a folder\n")

    model_bytes = (root / "model.skxray").read_bytes()
    (root / "truncated.skxray").write_bytes(model_bytes[: len(model_bytes) // 2])
    (root / "random.skxray").write_bytes(np.random.default_rng(0).bytes(4096))
    (root / "notes.skxray").write_text("a text file\n")
    joblib.dump(HistogramEqualizer(), root / "equalizer.joblib")  # a pickle, not a model file
    with zipfile.ZipFile(root / "model.skxray") as archive:  # from another skxray version
        members = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(members["metadata.json"])
    metadata["versions"]["skxray"] = "99.0.0"
    members["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(root / "future.skxray", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return root


def run(capsys, *argv):
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def check_error(capsys, argv, *fragments):
    """The command fails with exit status 2 and one line that names the culprit."""
    status, out, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert status == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith("skxray: error: "), err
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]


def test_literal_names_match_the_registries():
    assert CLI_RECIPES == tuple(sorted(RECIPES))
    assert CLI_DEFAULT_RECIPE == DEFAULT_RECIPE
    assert sorted(CLI_CAM_METHODS) == sorted(CAM_METHODS)


def _run_python(args, env=None, cwd=None):
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )
    return done, time.perf_counter() - start


@needs_lazy_init
@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_start_fast_without_tensorflow(flag, tmp_path):
    done, seconds = _run_python(["-X", "importtime", "-m", "skxray.cli", flag], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    heavy = sorted(name for name in imported if name.split(".")[0] in HEAVY)
    assert not heavy, (
        f"skxray {flag} imported {heavy[:5]}... in {seconds:.2f} s: skxray/__init__.py must "
        "import its modules lazily"
    )
    assert seconds < 1.5, f"python -m skxray.cli {flag} took {seconds:.2f} s"


def test_version_and_plain_help(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"skxray {__version__}"
    for command in ("demo", "train", "evaluate", "predict", "explain", "calibrate"):
        status, out, _ = run(capsys, command, "--help")
        assert status == 0 and "``" not in out and "--quiet" in out
    assert "(default: predictions.csv)" in run(capsys, "predict", "--help")[1]
    help_text = " ".join(run(capsys, "train", "--help")[1].split())
    assert "--weights PATH for the inception preset" in help_text
    assert f"(default: {DEFAULT_RECIPE})" in help_text
    status, out, _ = run(capsys, "--help")
    assert status == 0 and all(c in out for c in ("predict", "explain", "exit status"))


@needs_lazy_init
@pytest.mark.slow  # starts TensorFlow in a new process
def test_commands_print_no_tensorflow_logs(files, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "ABSL"))}
    args = ["-m", "skxray.cli", "evaluate", files / "model.skxray", files / "tree"]
    done, _ = _run_python([*args, "--bootstrap", "10", "--out", "ev"], env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    noise = [line for line in done.stderr.splitlines() if NATIVE_LOG.match(line)]
    assert not noise, "\n".join(noise[:5])
    assert "6 images" in done.stdout


def test_predict_writes_one_row_per_image(files, tmp_path, capsys):
    out = tmp_path / "results" / "predictions.csv"  # the folder is created
    status, stdout, err = run(
        capsys, "predict", files / "model.skxray", files / "tree", "--out", out
    )
    assert status == 0, err
    assert "decoding 6 images..." in stdout and f"wrote {out}" in stdout
    assert "decoding images: 6/6 in " in stdout  # one clean progress line in a log
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["path", "probability_pneumonia", "label", "threshold", "warning"]
    paths = [row["path"] for row in rows]
    assert len(paths) == 6 and {Path(p).parent.name for p in paths} == {"NORMAL", "PNEUMONIA"}
    model = load(files / "model.skxray")
    expected = model.predict_proba(paths)[:, 1]
    proba = np.array([float(row["probability_pneumonia"]) for row in rows])
    np.testing.assert_allclose(proba, expected, atol=1e-5)
    threshold = round(float(np.median(proba)), 4)
    status, stdout, _ = run(
        capsys, "--quiet", "predict", files / "model.skxray", *paths[3:], files / "tree" / "NORMAL",
        "--out", out, "--threshold", threshold,
    )  # fmt: skip
    assert status == 0 and "decoding" not in stdout and "Predicted 6 images" in stdout
    rows = list(csv.DictReader(out.open()))
    for row in rows:
        expected = "PNEUMONIA" if float(row["probability_pneumonia"]) >= threshold else "NORMAL"
        assert row["label"] == expected and float(row["threshold"]) == pytest.approx(threshold)


def test_three_class_predict_and_explain(files, tmp_path, capsys):
    model = files / "subtype.skxray"
    out = tmp_path / "p.csv"
    status, stdout, err = run(capsys, "predict", model, files / "tree", "--out", out)
    assert status == 0, err
    assert "by the most probable class" in stdout
    rows = list(csv.DictReader(out.open()))
    names = ["NORMAL", "BACTERIA", "VIRUS"]
    columns = [f"probability_{name.lower()}" for name in names]
    assert list(rows[0]) == ["path", *columns, "label", "warning"]
    proba = np.array([[float(row[c]) for c in columns] for row in rows])
    expected = load(model).predict_proba([row["path"] for row in rows])
    np.testing.assert_allclose(proba, expected, atol=1e-5)
    assert [row["label"] for row in rows] == [names[k] for k in expected.argmax(axis=1)]
    check_error(capsys, ["predict", model, files / "tree", "--threshold", "0.3"], "--threshold")
    heatmaps = tmp_path / "heatmaps"
    status, stdout, err = run(
        capsys, "explain", model, files / "tree" / "NORMAL", "--out", heatmaps
    )
    assert status == 0, err
    parser = _Images()
    parser.feed((heatmaps / "index.html").read_text(encoding="utf-8"))
    predicted = [names[k] for k in expected[:3].argmax(axis=1)]  # the NORMAL images come first
    alts = sorted(image["alt"] for image in parser.images)
    assert len(alts) == 3
    for alt, label in zip(alts, sorted(predicted), strict=True):  # the predicted class's map
        assert re.search(rf"P\({label}\) [0-9.]+, predicted {label}$", alt), alt


def test_predict_skips_bad_images_when_asked(files, tmp_path, capsys):
    out = tmp_path / "p.csv"
    args = ["predict", files / "model.skxray", files / "tree", files / "bad" / "text.jpeg"]
    status, stdout, err = run(capsys, *args, "--out", out, "--skip-bad")
    assert status == 0 and "skipped 1 unreadable file" in stdout
    assert "text.jpeg" in err and len(list(csv.DictReader(out.open()))) == 6
    check_error(capsys, [*args, "--out", out], "text.jpeg", "not a recognised image")


@pytest.fixture(scope="module")
def odd_files(files, tmp_path_factory):
    """Readable images users have: an RGBA X-ray with a white corner, a matplotlib chart
    (RGBA, white), a file name that is not UTF-8, and three plain X-rays."""
    from matplotlib.figure import Figure

    folder = tmp_path_factory.mktemp("odd")
    plain = sorted((files / "tree" / "NORMAL").iterdir())
    for path in plain:
        shutil.copy(path, folder)
    rgba = np.asarray(Image.open(plain[0]).convert("RGBA")).copy()
    rgba[:20, :20, :3] = 255
    Image.fromarray(rgba).save(folder / "rgba.png")
    figure = Figure()
    figure.add_subplot().plot([0, 1, 0.3])
    figure.savefig(folder / "chart.png")
    shutil.copy(plain[1], os.path.join(os.fsencode(folder), b"caf\xe9.jpeg"))
    return folder


def test_odd_files_each_get_their_row(files, odd_files, tmp_path, capsys):
    # One RGBA chart used to sink the whole batch ("images other than uint8 must lie in
    # [0, 1]"), and a non-UTF-8 name left a header-only CSV.
    out = tmp_path / "p.csv"
    status, stdout, err = run(capsys, "predict", files / "model.skxray", odd_files, "--out", out)
    assert status == 0, err
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    names = sorted(Path(row["path"]).name for row in rows)
    plain = sorted(p.name for p in (files / "tree" / "NORMAL").iterdir())
    assert names == sorted(["caf\\xe9.jpeg", "chart.png", "rgba.png", *plain])
    assert all(0 <= float(row["probability_pneumonia"]) <= 1 for row in rows)
    assert not list(tmp_path.glob(".*partial"))
    status, stdout, err = run(
        capsys, "explain", files / "model.skxray", odd_files, "--out", tmp_path / "maps"
    )
    assert status == 0, err
    page = (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    assert ">caf\\xe9.jpeg<" in page and 'caf%E9.jpeg"' in page  # shown; linked by its bytes
    assert len(list((tmp_path / "maps").glob("*.png"))) == len(rows)


def test_odd_files_load_train_and_check(odd_files):
    from skxray import check_inputs

    paths = sorted(str(p) for p in odd_files.iterdir())
    images = ImageDirLoader(32).transform(paths)
    assert images.shape == (len(paths), 32, 32, 1) and images.max() <= 1.0
    target = np.arange(len(paths)) % 2
    model = make_pipeline(
        ImageDirLoader(32),
        ScratchCNNClassifier("vanilla", conv_filters=(4,), dense_units=8, epochs=1),
    ).fit(paths, target)
    assert model.predict_proba(paths).shape == (len(paths), 2)
    report = check_inputs(model[-1], images, paths=paths)
    assert len(report.reasons) == len(paths)


def test_predict_decodes_for_a_model_without_loader(files, tmp_path, capsys):
    out = tmp_path / "p.csv"
    status, _, err = run(capsys, "predict", files / "arrays.skxray", files / "tree", "--out", out)
    assert status == 0, err
    assert len(list(csv.DictReader(out.open()))) == 6


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "a":
            self.links.append(attrs["href"])


@pytest.fixture(scope="module")
def explained(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("explain") / "heatmaps"
    images = [files / "tree" / "NORMAL", *sorted((files / "tree" / "PNEUMONIA").iterdir())[:1]]
    status = main([str(p) for p in ["explain", files / "model.skxray", *images, "--out", out]])
    assert status == 0
    return out


def test_explain_writes_a_png_per_image_and_an_index(explained):
    pngs = sorted(explained.glob("*.png"))
    assert len(pngs) == 4
    with Image.open(pngs[0]) as image:
        assert image.size == (800, 460)
    parser = _Images()
    parser.feed((explained / "index.html").read_text(encoding="utf-8"))
    assert sorted(image["src"] for image in parser.images) == [p.name for p in pngs]
    for image in parser.images:
        assert "P(PNEUMONIA)" in image["alt"] and re.search(
            r"predicted (NORMAL|PNEUMONIA)", image["alt"]
        )
        assert (explained / image["src"]).stat().st_size > 0
    sources = [link for link in parser.links if not link.endswith(".png")]
    assert len(sources) == 4 and all((explained / link).is_file() for link in sources)


def test_explain_index_loads_in_chromium(explained, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium not installed")
    probe = explained / "probe.html"  # index.html plus a script that reports its images
    script = (
        "<script>window.addEventListener('load', () => {"
        "const ok = [...document.images].filter(i => i.complete && i.naturalWidth > 0);"
        "document.body.dataset.loaded = ok.length + '/' + document.images.length;});</script>"
    )
    page = (explained / "index.html").read_text(encoding="utf-8")
    probe.write_text(page.replace("</body>", script + "</body>"), encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as profile:
            done = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--virtual-time-budget=5000", f"--user-data-dir={profile}", "--dump-dom",
                 probe.as_uri()],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
    finally:
        probe.unlink()
    assert 'data-loaded="4/4"' in done.stdout, done.stdout[-1000:] + done.stderr[-1000:]


def test_explain_a_model_without_loader(files, tmp_path, capsys):
    args = ["explain", files / "arrays.skxray", files / "tree" / "NORMAL", "--out", tmp_path]
    status, stdout, err = run(capsys, *args, "--method", "gradcam++", "--quiet")
    assert status == 0, err
    assert "explaining" not in stdout and len(list(tmp_path.glob("*.png"))) == 3


def test_errors_about_inputs(files, capsys):
    model, bad, tree = files / "model.skxray", files / "bad", files / "tree"
    out = ["--out", files / "unused.csv"]
    check_error(capsys, ["predict", model, bad / "missing.jpeg", *out], "missing.jpeg", "no such")
    check_error(capsys, ["predict", model, bad / "empty", *out], bad / "empty", "no image files")
    for name, problem in [
        ("text.jpeg", "not a recognised image file"),
        ("corrupt.png", "corrupt"),
        ("truncated.jpeg", "truncated"),
        ("lab.tiff", "LAB"),
    ]:
        check_error(capsys, ["predict", model, tree, bad / name, *out], bad / name, problem)
    ev = ["--out", files / "unused"]
    check_error(capsys, ["evaluate", model, bad / "nowhere", *ev], bad / "nowhere", "not exist")
    check_error(capsys, ["evaluate", model, bad / "empty", *ev], bad / "empty", "class folder")
    flat = tree / "NORMAL"  # images, but no class sub-folders
    check_error(capsys, ["evaluate", model, flat, *ev], flat, "class folder")
    check_error(capsys, ["train", flat, "--out", files / "unused.skxray"], flat, "class folder")


@pytest.mark.parametrize(
    "name, problem",
    [
        ("missing.skxray", "does not exist"),
        ("random.skxray", "cannot read model file"),
        ("truncated.skxray", "truncated"),
        ("notes.skxray", "cannot read model file"),
        ("equalizer.joblib", "cannot read model file"),
        ("future.skxray", "99.0.0"),
    ],
)
def test_errors_about_model_files(files, capsys, name, problem):
    image = files / "tree" / "NORMAL"
    model = files / name
    check_error(capsys, ["predict", model, image, "--out", files / "x.csv"], model, problem)
    check_error(capsys, ["explain", model, image, "--out", files / "x"], model, problem)
    check_error(capsys, ["evaluate", model, files / "tree", "--out", files / "x"], model, problem)


def test_errors_about_options_and_outputs(files, capsys):
    model, tree = files / "model.skxray", files / "tree"
    for value in ("1.5", "0", "abc", "nan"):
        check_error(capsys, ["predict", model, tree, "--threshold", value], "--threshold", value)
    check_error(capsys, ["evaluate", model, tree, "--bootstrap", "0"], "--bootstrap")
    check_error(capsys, ["train", tree, "--recipe", "nope"], "--recipe", "nope")
    check_error(capsys, ["nope"], "invalid choice")
    check_error(capsys, ["explain", model, tree, "--method", "lime"], "--method")
    blocked = files / "file.txt" / "out"  # under a regular file
    for argv in (
        ["predict", model, tree, "--out", blocked / "p.csv"],
        ["explain", model, tree, "--out", blocked],
        ["evaluate", model, tree, "--out", blocked],
        ["train", tree, "--out", blocked / "model.skxray"],
    ):
        check_error(capsys, argv, files / "file.txt", "is a file")
    check_error(capsys, ["predict", model, tree, "--out", tree], tree, "is a folder")


def test_train_speaks_cli_about_weights(files, tmp_path, capsys, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", offline)
    train = ["train", files / "tree", "--out", tmp_path / "m.skxray"]
    message = check_error(capsys, [*train, "--recipe", "inception"], "--weights PATH", "no network")
    assert "weights=" not in message
    check_error(
        capsys, [*train, "--recipe", "inception", "--weights", tmp_path / "w.h5"], "w.h5", "exist"
    )
    check_error(capsys, [*train, "--weights", "none"], "--weights", "inception recipe")
    assert not (tmp_path / "m.skxray").exists()
    # the old spelling --preset still works for one release, with a warning
    status, _, err = run(capsys, *train, "--preset", "inception", "--weights", tmp_path / "w.h5")
    assert status == 2 and "--preset is deprecated; use --recipe" in err and "w.h5" in err


def test_debug_shows_the_traceback(files):
    argv = ["--debug", "predict", str(files / "missing.skxray"), str(files / "tree")]
    with pytest.raises(CommandError, match="missing.skxray"):
        main(argv)
    with pytest.raises(CommandError, match="missing.skxray"):
        main(argv[1:] + ["--debug"])  # after the command too


def test_cam_needs_a_global_pooling_network(files, capsys, tmp_path):
    argv = ["explain", files / "model.skxray", files / "tree" / "NORMAL", "--out", tmp_path]
    status, _, err = run(capsys, *argv, "--method", "cam")
    assert (
        status == 2
        and err.startswith("skxray: error: --method cam needs")
        and len(err.splitlines()) == 1
    )
    assert "--method gradcam" in err


def test_a_missing_path_fails_before_tensorflow_loads(tmp_path):
    code = (
        "import sys; from skxray.cli import main; "
        f"status = main(['predict', {str(tmp_path / 'nope.jpeg')!r}]); "
        "print(status, 'tensorflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "2 False", done.stderr
    assert "nope.jpeg: no such file or folder" in done.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["models"], None),
        (["predict", "{empty}"], "empty.jpeg: file is empty (0 bytes)"),
        (["predict", "{text}"], "text.jpeg: not a recognised image file"),
        (["explain", "{text}"], "text.jpeg: not a recognised image file"),
        (["predict", "--model", "pneumonia-v2", "{text}"], "shipped: pneumonia"),
    ],
)
def test_quick_answers_load_no_tensorflow(files, tmp_path, argv, message):
    # Listing the models, a file that is no image and an unknown model name are answered
    # before TensorFlow loads (it took 7-10 s and 780 MB to say so).
    (tmp_path / "empty.jpeg").write_bytes(b"")
    paths = {"empty": tmp_path / "empty.jpeg", "text": files / "bad" / "text.jpeg"}
    argv = [arg.format(**paths) for arg in argv]
    code = (
        "import sys; from skxray.cli import main; "
        f"status = main({argv!r}); print(status, 'tensorflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    status = done.stdout.strip().splitlines()[-1]
    if message is None:
        assert status == "0 False" and "pneumonia-subtype" in done.stdout, done.stderr
    else:
        assert status == "2 False", done.stderr
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_shipped_model_names_are_taken_everywhere(files, tmp_path, capsys):
    status, stdout, err = run(
        capsys, "-q", "evaluate", "pneumonia", files / "tree", "--out", tmp_path, "--bootstrap", 5
    )
    assert status == 0, err
    assert "Using the shipped model" not in stdout  # -q: results only
    check_error(capsys, ["evaluate", "pneumonia-v2", files / "tree"], "pneumonia-subtype")
    status, stdout, err = run(capsys, "-q", "predict", files / "tree", "--out", tmp_path / "p.csv")
    assert status == 0 and "Using the shipped model" not in stdout, err
    status, stdout, err = run(capsys, "predict", files / "tree", "--out", tmp_path / "p.csv")
    assert "Using the shipped model 'pneumonia'" in stdout


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_errors_say_what_is_wrong_with_a_path(tmp_path, capsys):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "broken.jpeg").symlink_to(tmp_path / "gone.jpeg")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "readme.txt").write_text("no images here\n")
    check_error(capsys, ["predict", tmp_path / "a"], "a: a loop of symbolic links")
    check_error(capsys, ["predict", tmp_path / "broken.jpeg"], "gone.jpeg, which does not exist")
    check_error(capsys, ["predict", notes], "holds no image files", "skipped 1:", "readme.txt")


def test_a_failed_command_leaves_no_empty_output_folder(files, tmp_path, capsys):
    out = tmp_path / "new" / "heatmaps"
    argv = ["explain", files / "model.skxray", files / "bad" / "text.jpeg", "--out", out]
    check_error(capsys, argv, "text.jpeg")
    assert not out.exists()


def test_help_says_what_no_progress_does(capsys):
    assert main(["demo", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps "(default:\n True)"
    assert "(default: True)" not in text and "shown unless given" in text
    assert "(default: False)" not in text


def test_train_takes_epochs_and_skips_bad_files(files, tmp_path, capsys):
    tree = tmp_path / "tree"
    shutil.copytree(files / "tree", tree)
    (tree / "NORMAL" / "broken.jpeg").write_bytes(b"not an image")
    out = tmp_path / "m.skxray"
    argv = ["--quiet", "train", tree, "--epochs", "1", "--out", out]
    check_error(capsys, argv, "broken.jpeg")
    status, stdout, err = run(capsys, *argv, "--skip-bad")
    assert status == 0, err
    assert "broken.jpeg" in err and "skipped 1 unreadable file" in stdout
    model = load(out)
    networks = members(model)  # the default recipe is a 3-seed ensemble: --epochs sets each
    assert len(networks) == RECIPES[DEFAULT_RECIPE]["n_seeds"]
    assert all(m.epochs == 1 and m.n_epochs_ == 1 for m in networks)


def test_explain_shows_the_input_warning_that_predict_gives(tmp_path, capsys):
    # A portrait photo got a heatmap titled "predicted PNEUMONIA" with no warning.
    import matplotlib.cbook

    photo = tmp_path / "portrait.jpeg"
    shutil.copy(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), photo)
    xray = tmp_path / "xray.jpeg"
    shutil.copy(load_sample_xrays().paths[0], xray)
    status, _, err = run(capsys, "predict", photo, xray, "--out", tmp_path / "p.csv")
    assert status == 0, err
    flags = {Path(r["path"]).name: r["warning"] for r in csv.DictReader(open(tmp_path / "p.csv"))}
    assert flags["portrait.jpeg"] and not flags["xray.jpeg"]
    status, stdout, err = run(capsys, "explain", photo, xray, "--out", tmp_path / "maps")
    assert status == 0, err
    assert "1 image flagged as probably not a chest X-ray" in stdout
    parser = _Images()
    parser.feed((tmp_path / "maps" / "index.html").read_text(encoding="utf-8"))
    alts = {image["alt"].split(": ")[0].split()[-1]: image["alt"] for image in parser.images}
    assert f"warning: {flags['portrait.jpeg']}" in alts["portrait.jpeg"]
    assert "warning" not in alts["xray.jpeg"]


def test_calibrate_recalibrates_the_input_check_and_keeps_the_metadata(files, tmp_path, capsys):
    # Issue 31, item 6: a site recalibrates a model's input check on its own X-rays.
    out = tmp_path / "calibrated.skxray"
    sample = get_sample_xrays_path()
    status, stdout, _ = run(capsys, "calibrate", "--model", files / "model.skxray", sample,
                            "--alpha", "0.05", "--out", out)  # fmt: skip
    assert status == 0 and "on 200 images at alpha 0.05" in stdout and str(out) in stdout
    calibrated, original = load(out), load(files / "model.skxray")
    stats = members(calibrated[-1])[0].input_stats_
    assert stats["calibration"] == "conformal on 200 held-out images, alpha 0.05"
    assert stats["threshold"] != members(original[-1])[0].input_stats_["threshold"]
    metadata = load_metadata(out)
    assert metadata["class_names"] == load_metadata(files / "model.skxray")["class_names"]
    assert metadata["provenance"]["input_check"] == {"calibrated_on": 200, "alpha": 0.05}
    flagged = check_inputs(calibrated, list(load_image_folder(sample).paths)).reasons
    assert sum("unlike the training images" in r for r in flagged) <= 0.05 * 200
    # a shipped model by name: its training-data fingerprint is kept
    shipped = tmp_path / "shipped.skxray"
    tree = files / "tree"
    assert run(capsys, "calibrate", "--model", "pneumonia", tree, "--alpha", "0.2",
               "--out", shipped)[0] == 0  # fmt: skip
    assert (
        load_metadata(shipped)["training_data"]
        == load_metadata(pretrained_path("pneumonia"))["training_data"]
    )


def test_calibrate_needs_enough_images_for_its_alpha(files, capsys):
    check_error(capsys, ["calibrate", "--model", files / "model.skxray", files / "tree"],
                "alpha=0.01 needs at least 99 images, got 6")  # fmt: skip
    status, _, err = run(capsys, "calibrate", files / "tree", "--alpha", "2")
    assert status == 2 and "is not between 0 and 1" in err
