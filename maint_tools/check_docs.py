"""Check the built HTML docs in a real headless browser.

    python maint_tools/check_docs.py [docs/_build/html] [--out docs/_build/screenshots]

For the index page, the gallery index and one example page it:

* takes a screenshot with headless Chromium (Debian's ``chromium`` package) and checks
  that the page is not blank;
* checks that every ``<img>`` points to an existing, non-empty file;
* checks that every example has a gallery thumbnail that is not sphinx-gallery's
  placeholder (an executed ``plot_*`` example draws its own; one that is not run names a
  picture with ``# sphinx_gallery_thumbnail_path``);
* checks that no reST role or directive was left unrendered (``:func:`...```, ``.. note::``);
* on the result pages (``TABLE_PAGES``), measures every table in the browser: none may be
  wider than the text column (so that it would need a horizontal scroll bar), and no value
  cell of a ``table.small`` may wrap onto a second line.

Exits non-zero with one line per problem.
"""

import argparse
import html
import json
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
TABLE_PAGES = ("table5.html", "recipe.html")
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


# Run in the page once it has loaded: each table's width against the column that holds it
# (pydata-sphinx-theme wraps tables in a horizontally scrolling container), and the value
# cells of table.small (every column but the first) that take more than one line.
MEASURE_TABLES = """<script>
window.addEventListener("load", () => {
  const found = [];
  document.querySelectorAll("article table").forEach((table, i) => {
    const box = table.closest(".pst-scrollable-table-container") || table.parentElement;
    const wrapped = [];
    if (table.classList.contains("small")) {
      table.querySelectorAll("tbody td:not(:first-child)").forEach((cell) => {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        const lines = new Set();
        while (walker.nextNode()) {
          if (!walker.currentNode.textContent.trim()) continue;
          const range = document.createRange();
          range.selectNodeContents(walker.currentNode);
          for (const rect of range.getClientRects()) lines.add(Math.round(rect.top));
        }
        if (lines.size > 1) wrapped.push(cell.textContent.trim());
      });
    }
    const caption = table.querySelector("caption .caption-text");
    found.push({
      name: caption ? caption.textContent.trim() : `table ${i + 1}`,
      width: table.getBoundingClientRect().width,
      room: box.clientWidth,
      overflow: box.scrollWidth - box.clientWidth,
      wrapped: wrapped,
    });
  });
  document.body.setAttribute("data-skxray-tables", JSON.stringify(found));
});
</script>"""


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


def _placeholder_pixels():
    """sphinx-gallery's placeholder thumbnail, scaled as it scales it (None if unknown)."""
    try:
        from sphinx_gallery.utils import scale_image
    except ImportError:
        return None
    import sphinx_gallery

    source = Path(sphinx_gallery.__file__).parent / "_static" / "no_image.png"
    with tempfile.TemporaryDirectory() as tmp:
        scaled = Path(tmp) / "placeholder.png"
        scale_image(source, scaled, 400, 280)  # sphinx-gallery's default thumbnail_size
        return np.asarray(Image.open(scaled).convert("RGB"))


def _is_placeholder(path, placeholder):
    pixels = np.asarray(Image.open(path).convert("RGB"))
    return (
        placeholder is not None
        and pixels.shape == placeholder.shape
        and (np.abs(pixels.astype(int) - placeholder).mean() < 1)
    )


def check_tables(root, page, browser):
    """Measure the tables of ``page`` in the browser (see ``MEASURE_TABLES``)."""
    path = root / page
    probe = path.with_name(f"_check_tables_{path.name}")
    source = path.read_text(encoding="utf-8")
    probe.write_text(source.replace("</body>", MEASURE_TABLES + "</body>"), encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run(
                [
                    browser,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    "--dump-dom",
                    probe.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
    finally:
        probe.unlink()
    match = re.search(r'data-skxray-tables="([^"]*)"', dom)
    if match is None:
        return [f"{page}: the tables could not be measured"]
    problems = []
    for table in json.loads(html.unescape(match.group(1))):
        if table["overflow"] > 0 or table["width"] > table["room"] + 0.5:
            problems.append(
                f"{page}: table {table['name']!r} is {table['width']:.0f} px wide, wider than "
                f"its {table['room']} px column"
            )
        if table["wrapped"]:
            problems.append(
                f"{page}: table {table['name']!r}: values wrap onto several lines: "
                + ", ".join(repr(v) for v in table["wrapped"][:5])
            )
    return problems


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
        # sphinx-gallery shows its placeholder for an example that drew no figure, and for
        # one that is not run and names no picture (sphinx_gallery_thumbnail_path).
        placeholder = _placeholder_pixels()
        if placeholder is None:
            problems.append(f"{page}: sphinx_gallery not importable, thumbnails not checked")
        sources = sorted((root / "_sources" / "auto_examples").glob("*.rst.txt"))
        stems = [p.name.removesuffix(".rst.txt") for p in sources]
        for stem in (s for s in stems if s not in ("index", "sg_execution_times")):
            thumbs = [src for src in parser.images if f"sphx_glr_{stem}_thumb" in src]
            if not thumbs:
                problems.append(f"{page}: no thumbnail for {stem}")
            elif _is_placeholder(path.parent / thumbs[0], placeholder):
                problems.append(f"{page}: {stem} shows the placeholder thumbnail")
    if page in TABLE_PAGES:
        problems += check_tables(root, page, browser)
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
