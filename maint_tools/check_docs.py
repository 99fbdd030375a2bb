"""Check the built HTML docs in a real headless browser.

    python maint_tools/check_docs.py [docs/_build/html] [--out docs/_build/screenshots]

For the index page, the gallery index and one example page it:

* takes a screenshot with headless Chromium (Debian's ``chromium`` package) and checks
  that the page is not blank;
* checks that every ``<img>`` points to an existing, non-empty file;
* checks that every executed example (``plot_*``) has its own gallery thumbnail, not
  sphinx-gallery's placeholder;
* checks that no reST role or directive was left unrendered (``:func:`...```, ``.. note::``).

Exits non-zero with one line per problem.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from PIL import Image

PAGES = (
    "index.html",
    "auto_examples/index.html",
    "auto_examples/plot_optimized_cnn.html",
    "table5.html",
    "recipe.html",
)
UNRENDERED = re.compile(
    r":(?:func|class|meth|mod|doc|ref|data|attr|obj|term):`|^\s*\.\. \w+::", re.MULTILINE
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1400",
    "--virtual-time-budget=3000",
]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.text, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        if tag in ("script", "style", "pre", "code"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def check_page(root, page, shots, browser):
    problems = []
    path = root / page
    if not path.is_file():
        return [f"{page}: missing"]
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    for src in parser.images:
        if src.startswith(("http:", "https:", "data:")):
            continue
        target = (path.parent / src.split("#")[0].split("?")[0]).resolve()
        if not target.is_file() or target.stat().st_size == 0:
            problems.append(f"{page}: broken image {src}")
    match = UNRENDERED.search("".join(parser.text))
    if match:
        problems.append(f"{page}: unrendered markup {match.group(0).strip()!r}")
    if page == "auto_examples/index.html":
        # Examples that are shown but not run get sphinx-gallery's placeholder thumbnail;
        # an executed example showing the same bytes produced no figure.
        placeholders = {
            (path.parent / src).read_bytes()
            for src in parser.images
            if "_thumb" in src and "sphx_glr_plot_" not in src
        }
        executed = sorted(p.stem for p in (root / "_sources" / "auto_examples").glob("plot_*"))
        for name in executed:
            stem = name.replace(".rst", "")
            thumbs = [src for src in parser.images if f"sphx_glr_{stem}_thumb" in src]
            if not thumbs:
                problems.append(f"{page}: no thumbnail for {stem}")
            elif (path.parent / thumbs[0]).read_bytes() in placeholders:
                problems.append(f"{page}: {stem} shows the placeholder thumbnail (no figure)")
    shot = shots / (page.replace("/", "_").replace(".html", ".png"))
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                path.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    if pixels.std() < 5:
        problems.append(f"{page}: screenshot {shot} is blank")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="docs/_build/html")
    parser.add_argument("--out", default="docs/_build/screenshots")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium not found: apt-get install chromium")
    root, shots = Path(args.root), Path(args.out)
    shots.mkdir(parents=True, exist_ok=True)
    problems = [p for page in PAGES for p in check_page(root, page, shots, browser)]
    for problem in problems:
        print(problem)
    print(
        f"checked {len(PAGES)} pages in {browser}; screenshots in {shots}; "
        f"{len(problems)} problem(s)"
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
