"""Sphinx extension: serve the book's front-end files from the site itself, never from a CDN.

MathJax, require.js, the ipywidgets HTML manager and anywidget come from npm (`npm ci` installs them into
node_modules, as pinned by package.json and package-lock.json). After the HTML is written, this copies the files the
pages load into ``_static/offline/``; ``_config.yml`` points ``mathjax_path`` and ``nb_ipywidgets_js`` there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

# (what node_modules holds, where it goes under _static/vendor)
ASSETS = [
    ("mathjax/es5", "mathjax"),
    ("requirejs/require.js", "require.js"),
    ("@jupyter-widgets/html-manager/dist", "html-manager"),
    ("anywidget/dist/index.js", "anywidget/index.js"),
]


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
    source, target = node_modules(app), Path(app.outdir) / "_static" / "offline"
    for name, dest in ASSETS:
        src, dst = source / name, target / dest
        if not src.exists():
            raise ExtensionError(f"{src} is missing: run `npm ci` in the repository root")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Remove sphinx-thebe's scripts, which Jupyter Book always adds.

    The book launches notebooks in Colab, not thebe; thebe's launcher would fetch its code from unpkg, and
    sphinx-thebe 0.3 declares ``THEBE_JS_URL`` twice on every page, a console error.
    """
    def is_thebe(script) -> bool:
        return "sphinx-thebe" in str(script.filename or "") or "THEBE_JS_URL" in script.attributes.get("body", "")

    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not is_thebe(s)]


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", copy_assets)
    app.connect("html-page-context", drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
