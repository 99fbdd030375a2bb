"""Check every page of the built HTML docs, in a real headless browser.

    python maint_tools/check_docs.py [docs/_build/html] [--out docs/_build/screenshots]

Every HTML page of the build (all but the theme's own files under ``_static/``) is
loaded at 1280 x 1400 px in headless Chromium (Debian's ``chromium`` package), one page
after another in a frame of a single browser run, so that all pages take seconds. On each
page it checks that:

* every ``<img>`` points to an existing, non-empty file, and the browser could decode it;
* no reST role or directive was left unrendered (``:func:`...```, ``.. note::``);
* no heading of the text, and no entry of the navigation sidebars or the breadcrumbs, is
  cut at the edge of its column (a long API name must wrap, not run out of sight);
* no table is wider than the text column (so that it would need a horizontal scroll bar),
  and no value cell of a ``table.small`` wraps onto a second line;
* no printed output of an example is wider than its column (a column of a printed table
  would be hidden);
* no code block is empty (what sphinx-gallery makes of a cell holding only
  ``# sphinx_gallery_...`` comments);
* no estimator's HTML repr is shown (an example's cell that ends in ``clf.fit(...)``);
* the "Section Navigation" sidebar, where there is one, is not empty;
* the page has text.

On the gallery index it also checks that every example has a thumbnail, that no two
examples share one, and that none is sphinx-gallery's placeholder (an executed
``plot_*`` example draws its own; one that is not run names a picture with
``# sphinx_gallery_thumbnail_path``). The placeholder check is skipped, with a note, for a
build that did not execute the gallery (``-D plot_gallery=0``), where every ``plot_*``
example shows it.

The index, the gallery index, one example and the two result pages are also saved as
screenshots under ``--out``, and each must not be blank.

Exits non-zero with one line per problem.
"""

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from PIL import Image

SCREENSHOT_PAGES = (
    "index.html",
    "auto_examples/index.html",
    "auto_examples/plot_optimized_cnn.html",
    "table5.html",
    "recipe.html",
)
WIDTH, HEIGHT = 1280, 1400
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
]
HARNESS = "_check_docs_harness.html"

# Loads each page in turn into a WIDTH x HEIGHT frame and runs CHECK_PAGE on its document
# (the frame's documents are readable with --allow-file-access-from-files); the problems of
# all pages end up in an attribute of <body>, which --dump-dom prints.
HARNESS_HTML = """<!DOCTYPE html>
<html><body style="margin: 0">
<iframe id="frame" style="width: %(width)dpx; height: %(height)dpx; border: 0"></iframe>
<script>
const PAGES = %(pages)s;
const frame = document.getElementById("frame");
const found = {};
%(check_page)s
let next = 0;
function done() { document.body.setAttribute("data-skxray-problems", JSON.stringify(found)); }
function load() {
  if (next >= PAGES.length) { done(); return; }
  const page = PAGES[next++];
  let measured = false;
  const measure = () => {
    if (measured) return;
    measured = true;
    try {
      found[page] = checkPage(frame.contentDocument, frame.contentWindow);
    } catch (error) {
      found[page] = ["could not be measured: " + error];
    }
    load();
  };
  // Let the theme's scripts run (scroll spy, sidebar state) before measuring.
  frame.onload = () => setTimeout(measure, 300);
  setTimeout(() => { if (!measured) { found[page] = ["did not load"]; measured = true; load(); } },
             20000);
  frame.src = page;
}
load();
</script>
</body></html>
"""

CHECK_PAGE = r"""
function checkPage(doc, win) {
  const problems = [];
  const style = (el) => win.getComputedStyle(el);
  const short = (el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".headerlink").forEach((link) => link.remove());
    return copy.textContent.replace(/\s+/g, " ").trim().slice(0, 60);
  };
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && style(el).visibility !== "hidden";
  };
  // The right edge of what the element may show: the window, or the padding box of the
  // nearest ancestor that clips or scrolls horizontally.
  const room = (el) => {
    let right = win.innerWidth;
    for (let a = el.parentElement; a && a !== doc.documentElement; a = a.parentElement) {
      if (style(a).overflowX !== "visible") {
        right = Math.min(right, a.getBoundingClientRect().left + a.clientLeft + a.clientWidth);
      }
    }
    return right;
  };
  // The right edge of the element's own text, leaving out a heading's "#" link.
  const textRight = (el) => {
    const walker = doc.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let right = -Infinity;
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (!node.textContent.trim() || node.parentElement.closest(".headerlink")) continue;
      const range = doc.createRange();
      range.selectNodeContents(node);
      for (const box of range.getClientRects()) right = Math.max(right, box.right);
    }
    return right;
  };

  const article = doc.querySelector("article.bd-article") || doc.querySelector("article");
  // The search page is filled in by its script from the query: without one it is empty.
  const search = doc.querySelector("#search-results");
  if (!search && !(article && article.textContent.trim())) problems.push("the page has no text");

  doc.querySelectorAll("img").forEach((img) => {
    if (visible(img) && (!img.complete || img.naturalWidth === 0)) {
      problems.push(`image ${img.getAttribute("src")} could not be shown`);
    }
  });

  const cut = "article h1, article h2, article h3, article h4, .bd-breadcrumbs li, " +
              ".bd-sidebar-primary nav a, .bd-sidebar-secondary nav a";
  doc.querySelectorAll(cut).forEach((el) => {
    if (!visible(el)) return;
    const over = textRight(el) - room(el);
    if (over > 1) {
      const px = Math.round(over);
      problems.push(`"${short(el)}" is cut: its last ${px} px lie outside its column`);
    }
  });

  if (article) {
    article.querySelectorAll("table").forEach((table, i) => {
      const box = table.closest(".pst-scrollable-table-container") || table.parentElement;
      const caption = table.querySelector("caption .caption-text");
      const name = caption ? caption.textContent.trim() : `table ${i + 1}`;
      const width = table.getBoundingClientRect().width;
      if (box.scrollWidth - box.clientWidth > 0 || width > box.clientWidth + 0.5) {
        problems.push(`table "${name}" is ${Math.round(width)} px wide, wider than its ` +
                      `${box.clientWidth} px column`);
      }
      if (!table.classList.contains("small")) return;
      const wrapped = [];
      table.querySelectorAll("tbody td:not(:first-child)").forEach((cell) => {
        const walker = doc.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        const lines = new Set();
        while (walker.nextNode()) {
          if (!walker.currentNode.textContent.trim()) continue;
          const range = doc.createRange();
          range.selectNodeContents(walker.currentNode);
          for (const box of range.getClientRects()) lines.add(Math.round(box.top));
        }
        if (lines.size > 1) wrapped.push(JSON.stringify(cell.textContent.trim()));
      });
      if (wrapped.length) {
        problems.push(`table "${name}": values wrap onto several lines: ` +
                      wrapped.slice(0, 5).join(", "));
      }
    });

    article.querySelectorAll(".sphx-glr-script-out pre").forEach((pre) => {
      if (pre.scrollWidth > pre.clientWidth + 1) {
        const line = pre.textContent.split("\n").reduce((a, b) => (b.length > a.length ? b : a));
        problems.push(`printed output is ${pre.scrollWidth} px wide, wider than its ` +
                      `${pre.clientWidth} px column, so its end is hidden: "${line.trim()}"`);
      }
    });

    article.querySelectorAll("div.highlight pre").forEach((pre) => {
      if (!pre.textContent.trim()) problems.push("an empty code block");
    });

    if (article.querySelector(".sk-top-container")) {
      problems.push("an estimator's HTML repr is shown (end the cell with an assignment)");
    }
  }

  const sidebar = doc.querySelector(".bd-sidebar-primary");
  const nav = sidebar && sidebar.querySelector("nav.bd-docs-nav");
  if (nav && visible(sidebar) && !nav.querySelector("a")) {
    problems.push('the "Section Navigation" sidebar is empty');
  }
  return problems;
}
"""


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


def pages_of(root):
    """Every HTML page of the build, as paths relative to ``root`` with "/"."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.html")
        if not path.relative_to(root).parts[0].startswith("_")  # _static/, _sources/...
    )


def gallery_executed(root):
    """Whether the build ran the gallery: an executed plot_* page shows output or figures."""
    markers = ("sphx-glr-script-out", "sphx-glr-single-img", "sphx-glr-multi-img")
    pages = (root / "auto_examples").glob("plot_*.html")
    return any(m in page.read_text(encoding="utf-8") for page in pages for m in markers)


def check_thumbnails(root, page, images):
    """The gallery index: a thumbnail per example, none shared, none the placeholder."""
    problems, notes = [], []
    path = root / page
    executed = gallery_executed(root)
    placeholder = _placeholder_pixels()
    if placeholder is None:
        problems.append(f"{page}: sphinx_gallery not importable, thumbnails not checked")
    if not executed:
        notes.append(f"{page}: the gallery was not executed; placeholder thumbnails not checked")
    sources = sorted((root / "_sources" / "auto_examples").glob("*.rst.txt"))
    stems = [p.name.removesuffix(".rst.txt") for p in sources]
    seen = {}
    for stem in (s for s in stems if s not in ("index", "sg_execution_times")):
        thumbs = [src for src in images if f"sphx_glr_{stem}_thumb" in src]
        if not thumbs:
            problems.append(f"{page}: no thumbnail for {stem}")
            continue
        file = path.parent / thumbs[0]
        if not file.is_file():
            continue  # reported as a broken image
        if _is_placeholder(file, placeholder):
            if executed:
                problems.append(f"{page}: {stem} shows the placeholder thumbnail")
            continue
        digest = hashlib.sha256(np.asarray(Image.open(file).convert("RGB")).tobytes()).hexdigest()
        if digest in seen:
            problems.append(f"{page}: {stem} shows the same thumbnail as {seen[digest]}")
        seen.setdefault(digest, stem)
    return problems, notes


def check_source(root, page):
    """What the HTML file itself shows: broken images, unrendered markup."""
    problems = []
    path = root / page
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
    return problems, parser.images


def check_in_browser(root, pages, browser):
    """Load every page in one browser run and return its problems (see ``CHECK_PAGE``)."""
    harness = root / HARNESS
    harness.write_text(
        HARNESS_HTML
        % {"width": WIDTH, "height": HEIGHT, "pages": json.dumps(pages), "check_page": CHECK_PAGE},
        encoding="utf-8",
    )
    try:
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run(
                [
                    browser,
                    *CHROMIUM_FLAGS,
                    "--allow-file-access-from-files",
                    f"--window-size={WIDTH + 20},{HEIGHT + 20}",
                    # virtual time: waits inside the pages cost no real time
                    f"--virtual-time-budget={2000 + 1000 * len(pages)}",
                    f"--user-data-dir={profile}",
                    "--dump-dom",
                    harness.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=60 + 5 * len(pages),
            ).stdout
    finally:
        harness.unlink()
    match = re.search(r'data-skxray-problems="([^"]*)"', dom)
    if match is None:
        return [f"the pages could not be measured in {browser}"]
    found = json.loads(unescape(match.group(1)))
    problems = [
        f"{page}: not measured (the browser stopped first)" for page in pages if page not in found
    ]
    for page in pages:
        problems += [f"{page}: {problem}" for problem in found.get(page, [])]
    return problems


def screenshot(root, page, shots, browser):
    shot = shots / (page.replace("/", "_").replace(".html", ".png"))
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--window-size={WIDTH},{HEIGHT}",
                "--virtual-time-budget=3000",
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                (root / page).resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    return [f"{page}: screenshot {shot} is blank"] if pixels.std() < 5 else []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="docs/_build/html")
    parser.add_argument("--out", default="docs/_build/screenshots")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium not found: apt-get install chromium")
    root, shots = Path(args.root), Path(args.out)
    if not (root / "index.html").is_file():
        sys.exit(f"{root}: no index.html; build the docs first")
    shots.mkdir(parents=True, exist_ok=True)
    pages = pages_of(root)
    problems, notes = [], []
    for page in pages:
        found, images = check_source(root, page)
        problems += found
        if page == "auto_examples/index.html":
            found, notes = check_thumbnails(root, page, images)
            problems += found
    problems += check_in_browser(root, pages, browser)
    for page in SCREENSHOT_PAGES:
        problems += (
            screenshot(root, page, shots, browser)
            if (root / page).is_file()
            else [f"{page}: missing"]
        )
    for line in notes + problems:
        print(line)
    print(
        f"checked {len(pages)} pages in {browser}; screenshots in {shots}; "
        f"{len(problems)} problem(s)"
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
