"""Shared helpers for the book tests: build the site from the notebooks' stored outputs, and serve it locally."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"


def toc_pages() -> list[str]:
    """Every file named in _toc.yml (root first), without its extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            pages.append(chapter["file"])
            pages += [section["file"] for section in chapter.get("sections", [])]
    return pages


def stored_outputs_config(tmp: Path) -> Path:
    """_config.yml with notebook execution off (the outputs nbval checks are used as they are), and the Colab
    edition checked, not written (book/_ext/colab_edition.py).

    Paths in the config are made absolute, since Jupyter Book resolves some of them against the config's folder.
    """
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    # the build checks the committed Colab edition instead of rewriting it (which would hide a stale colab/)
    config["sphinx"].setdefault("config", {})["colab_edition_mode"] = "check"
    config["sphinx"]["local_extensions"] = {
        name: str(ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()
    }
    path = tmp / "_config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def build_site(tmp: Path) -> subprocess.CompletedProcess:
    """Run ``jupyter-book build`` with warnings as errors, from stored outputs, into ``_build/html``."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(stored_outputs_config(tmp)), "-W", "--all"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    )


def serve(directory: Path, *, isolated: bool = False) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``directory`` on 127.0.0.1 on a free port, as a host without special headers serves it (GitHub Pages);
    ``isolated`` adds the cross-origin isolation headers. Returns the server and its base URL."""
    from mobilenet_course.browser import serve as serve_site

    return serve_site(directory, isolated=isolated)
