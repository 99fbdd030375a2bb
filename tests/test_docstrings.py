"""Every public name has a numpydoc docstring with an Examples section."""

import inspect

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc

import skxray
import skxray.datasets

PUBLIC = [
    (module, name)
    for module in (skxray, skxray.datasets)
    for name in module.__all__
    if not name.isupper() and not name.startswith("__")
]


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m.__name__}.{n}" for m, n in PUBLIC])
def test_public_docstring(module, name):
    obj = getattr(module, name)
    doc = ClassDoc(obj) if inspect.isclass(obj) else FunctionDoc(obj)
    assert doc["Summary"], f"{name}: no summary line"
    assert doc["Examples"], f"{name}: no Examples section"
    assert ">>>" in "\n".join(doc["Examples"]), f"{name}: Examples has no runnable code"
    if inspect.isfunction(obj):
        params = [
            p
            for p in inspect.signature(obj).parameters
            if p not in ("self",) and not p.startswith("_")
        ]
        documented = {n.strip() for entry in doc["Parameters"] for n in entry.name.split(",")}
        documented = {n.lstrip("*") for n in documented}
        missing = [p for p in params if p not in documented]
        assert not missing, f"{name}: parameters not documented: {missing}"


def test_lazy_public_names_resolve_to_their_modules():
    """``import skxray`` is lazy (PEP 562); every public name resolves, none is missing."""
    names = set(skxray.__all__) - {"__version__"}
    assert names == set(skxray._LAZY)
    for name in names:
        obj = getattr(skxray, name)
        module = getattr(obj, "__module__", None)
        if module is not None and module.startswith("skxray"):
            assert module.startswith(f"skxray.{skxray._LAZY[name]}."), name
