"""Sphinx extension: serve the book's front-end files from the site itself, never from a CDN.

MathJax, require.js, the ipywidgets HTML manager, anywidget and ONNX Runtime Web come from npm (`npm ci` installs
them into node_modules, as pinned by package.json and package-lock.json). After the HTML is written, this copies the
files the pages load into ``_static/offline/``; ``_config.yml`` points ``mathjax_path`` and ``nb_ipywidgets_js``
there. For chapter 8's "measure on this device" it also writes the browser's models (``mobilenet_course.browser``,
exported once into the package's cache and copied from there) into ``_static/models/``, and coi-serviceworker at the
site's root, where its scope covers every page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from mobilenet_course import browser
from mobilenet_course.data import cache_dir

# (what node_modules holds, where it goes under _static/vendor)
ASSETS = [
    ("mathjax/es5", "mathjax"),
    ("requirejs/require.js", "require.js"),
    ("@jupyter-widgets/html-manager/dist", "html-manager"),
    ("anywidget/dist/index.js", "anywidget/index.js"),
    # ONNX Runtime Web's WebAssembly build only (its WebGPU builds add 18-30 MB): the module, its threaded loader, wasm
    ("onnxruntime-web/dist/ort.wasm.min.mjs", "onnxruntime-web/ort.wasm.min.mjs"),
    ("onnxruntime-web/dist/ort-wasm-simd-threaded.mjs", "onnxruntime-web/ort-wasm-simd-threaded.mjs"),
    ("onnxruntime-web/dist/ort-wasm-simd-threaded.wasm", "onnxruntime-web/ort-wasm-simd-threaded.wasm"),
]
# (what node_modules holds, where it goes at the site's root)
ROOT_ASSETS = [("coi-serviceworker/coi-serviceworker.min.js", "coi-serviceworker.js")]


def node_modules(app: Sphinx) -> Path:
    # Above the book being built, then above this file (a student copy elsewhere uses this repository's extension).
    here = Path(__file__).resolve()
    for folder in (Path(app.confdir), *Path(app.confdir).parents, *here.parents):
        if (folder / "node_modules").is_dir():
            return folder / "node_modules"
    raise ExtensionError("node_modules not found: run `npm ci` in the repository root (or `make book`), which "
                         "installs MathJax, require.js and the widget manager that the book serves itself")


def copy_assets(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, outdir = node_modules(app), Path(app.outdir)
    target = outdir / "_static" / "offline"
    copies = [(name, target / dest) for name, dest in ASSETS] + [(name, outdir / dest) for name, dest in ROOT_ASSETS]
    for name, dst in copies:
        src = source / name
        if not src.exists():
            raise ExtensionError(f"{src} is missing: run `npm ci` in the repository root")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    write_browser_models(outdir / browser.MODELS_DIR)


def write_browser_models(folder: Path) -> None:
    """The ONNX files of ``mobilenet_course.browser``, exported into the package's cache when missing or stale (about
    20 s, once), then copied with their manifest."""
    cache = cache_dir() / "browser-models"
    manifest = browser.write_site_models(cache)
    folder.mkdir(parents=True, exist_ok=True)
    for entry in manifest:
        shutil.copy2(cache / entry["file"], folder / entry["file"])
    shutil.copy2(cache / browser.MANIFEST, folder / browser.MANIFEST)


def drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Remove sphinx-thebe's scripts, which Jupyter Book always adds.

    The book launches notebooks in Colab, not thebe; thebe's launcher would fetch its code from unpkg, and
    sphinx-thebe 0.3 declares ``THEBE_JS_URL`` twice on every page, a console error.
    """
    def is_thebe(script) -> bool:
        return "sphinx-thebe" in str(script.filename or "") or "THEBE_JS_URL" in script.attributes.get("body", "")

    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not is_thebe(s)]


# What the built HTML of a page holds where it shows a widget, or maths: myst-nb writes each widget view as a
# ``<script type="application/vnd.jupyter.widget-view+json">``; Sphinx's MathJax renderer wraps every expression (and
# myst-nb every LaTeX output) in an element of class ``math``.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATH = re.compile(r'class="math[ "]')


def page_uses(body: str) -> dict[str, bool]:
    """Which of the heavy front-end files a page's HTML body needs: the widget manager, MathJax."""
    return {"widgets": WIDGET_VIEW in body, "math": MATH.search(body) is not None}


def drop_unused_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Load the widget manager only on pages that show a widget, and MathJax only on pages with maths.

    myst-nb adds the widget manager (``nb_ipywidgets_js``: require.js, mc-widgets-config.js, embed-amd.js, 3.6 MB)
    to every notebook with saved widget state, even one whose widgets are all left out of the page (chapter 7);
    Sphinx adds MathJax to a page when it or any page in its toctree has maths, so the book's front page loads it
    for the chapters it lists. Scripts are matched by file name against ``nb_ipywidgets_js`` and ``mathjax_path``;
    the saved widget state and MathJax's configuration go with them.
    """
    if "script_files" not in context or "body" not in context:
        return
    uses = page_uses(context["body"])
    widget_files = set(app.config.nb_ipywidgets_js or {})

    def unused(script) -> bool:
        filename = str(script.filename or "").removeprefix("_static/")  # where the builder puts a local file
        attributes = script.attributes
        if not uses["widgets"] and (filename in widget_files or attributes.get("type") == WIDGET_STATE):
            return True
        if not uses["math"] and (filename == app.config.mathjax_path
                                 or attributes.get("body", "").startswith("window.MathJax =")):
            return True
        return False

    context["script_files"] = [s for s in context["script_files"] if not unused(s)]


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", copy_assets)
    app.connect("html-page-context", drop_thebe)
    # after Sphinx's MathJax (priority 500) and myst-nb's per-page widget scripts have been added
    app.connect("html-page-context", drop_unused_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
