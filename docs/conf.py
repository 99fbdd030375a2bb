"""Sphinx configuration of the skxray documentation.

Build: ``pip install -e ".[docs]" && python -m sphinx -W -b html docs docs/_build/html``
"""

import os

import skxray

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

project = "skxray"
author = "skxray developers"
copyright = "2026, skxray developers"
release = version = skxray.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
]
html_theme = "pydata_sphinx_theme"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    # Pages of wide tables get the whole width: no "On this page" column. The API
    # reference's summary tables keep each signature on one line (Sphinx joins it with
    # non-breaking spaces), and its "Section Navigation" sidebar lists every entry anyway.
    # The examples' code (100 columns, as ruff formats it) and printed output (80 columns
    # for scikit-learn's CV lines) need the width too. ("*" matches top-level pages only.)
    "secondary_sidebar_items": {
        "*": ["page-toc"],
        "generated/*": ["page-toc"],
        "table5": [],
        "recipe": [],
        "api": [],
        "auto_examples/*": [],
    },
}
# "Section Navigation" lists a page's sub-pages. Only the API reference and the gallery have
# any, so every other top-level page ("*" does not match "generated/..." or "auto_examples/
# ...") gets no primary sidebar rather than an empty one; maint_tools/check_docs.py checks.
html_sidebars = {"*": [], "api": ["sidebar-collapse", "sidebar-nav-bs"]}
html_static_path = ["_static"]
html_css_files = ["skxray.css"]
html_title = f"skxray {release}"

# Offline builds are the norm here: intersphinx inventories are optional.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
}
intersphinx_timeout = 5
suppress_warnings = ["intersphinx.external", "config.cache"]
if os.environ.get("SKXRAY_DOCS_OFFLINE", "1") == "1":
    intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # others are shown, not run (they need real data)
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib", "seaborn"),
    "abort_on_example_error": True,
}
