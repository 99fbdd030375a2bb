"""The package layout: public names, lazy imports, Keras-free input, no import cycles."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import skxray

PACKAGE = Path(skxray.__file__).parent


def test_every_public_name_comes_from_its_subpackage():
    for name in skxray.__all__:
        if name == "__version__":
            continue
        value = getattr(skxray, name)
        package = importlib.import_module(f"skxray.{skxray._LAZY[name]}")
        assert name in package.__all__, (name, package.__name__)
        assert getattr(package, name) is value
    for sub in skxray.SUBPACKAGES:
        package = importlib.import_module(f"skxray.{sub}")
        for name in getattr(package, "__all__", ()):
            if sub not in ("cli", "datasets"):
                assert name in skxray.__all__, (sub, name)


def test_one_list_of_public_names():
    """``_LAZY`` is the list: ``__all__`` is derived from it, and the ``TYPE_CHECKING``
    imports that linters and IDEs read name exactly its names, each from its subpackage."""
    assert skxray.__all__ == [*skxray._LAZY, "__version__"]
    assert len(set(skxray.__all__)) == len(skxray.__all__)
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    (block,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    ]
    imported = {
        alias.asname or alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names
    }
    assert imported == skxray._LAZY


@pytest.mark.parametrize(
    "statement",
    [
        "import skxray",
        "from skxray import ImageDirLoader, load_image_folder",
        "from skxray import HistogramEqualizer, BorderCrop",
        "import skxray.io, skxray.preprocessing, skxray.cli",
        "from skxray.io import decode_image, ImageStream",
    ],
)
def test_reading_images_needs_neither_keras_nor_tensorflow(statement):
    code = (
        f"import sys; {statement}; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('keras', 'tensorflow', 'scikeras', 'jax', 'torch')); print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Modules of skxray that ``path`` imports, at module level or inside functions (a
    deferred import that points back is a cycle too), outside ``if TYPE_CHECKING:``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            found.add(target)
            for alias in node.names:  # `from . import module`
                found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("skxray"):
            found.add(node.module)
    return found


def test_no_import_cycles_inside_skxray():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {m: {t for t in _imports(p) if t in modules and t != m} for m, p in modules.items()}
    # a package's __init__ importing its own modules is how re-exports work, not a cycle
    for m in graph:
        graph[m] = {t for t in graph[m] if not t.startswith(m + ".")}
    for m in [m for m in graph if m != "skxray"]:
        graph[m] = {t for t in graph[m] if not (m.startswith(t + ".") and t != m)}
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_models_keeps_the_networks_and_recipes_at_its_top_level():
    """At most 10 modules in skxray/models/; the training machinery is ``models/_training/``."""
    top = sorted(p.stem for p in (PACKAGE / "models").glob("*.py") if p.stem != "__init__")
    assert len(top) <= 10, top
    assert (PACKAGE / "models" / "_training" / "_base.py").is_file()


def test_moved_public_names_stay_importable_where_they_were():
    import skxray.evaluation
    import skxray.models

    for name in ("check_inputs", "InputCheck"):
        assert getattr(skxray.models, name) is getattr(skxray.evaluation, name)
        assert getattr(skxray, name) is getattr(skxray.evaluation, name)


def test_private_modules_stay_small():
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert max(sizes.values()) < 500, max(sizes.items(), key=lambda item: item[1])


def test_first_use_of_an_estimator_is_quiet():
    """No TensorFlow C++ log lines (CUDA, oneDNN, absl; tf.data's at the first fit) on
    stderr, unless asked for."""
    code = (
        "import skxray; from skxray.datasets import make_synthetic_xrays; "
        "d = make_synthetic_xrays(40, 32, random_state=0); "
        "skxray.ScratchCNNClassifier('vanilla', epochs=1, random_state=0).fit(d.images, d.target); "
        "print('ok')"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    for native in ("I0000", "E0000", "W0000", "absl::InitializeLog"):  # start-up and fit
        assert native not in done.stderr, done.stderr
    loud = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**env, "SKXRAY_VERBOSE": "1"})  # fmt: skip
    assert loud.returncode == 0
