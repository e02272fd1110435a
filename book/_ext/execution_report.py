"""Say how long each notebook took to execute, and turn a cell time-out into advice.

A Sphinx extension for the book: at the end of every build it prints one line per notebook (executed in this build,
or taken from Jupyter Book's execution cache, with the seconds its last execution took). When a cell runs past
``execute: timeout`` it prints which notebook and cell, and what to do, instead of leaving the reader with
nbclient's traceback.
"""

from __future__ import annotations

import re
import time

from sphinx.application import Sphinx

STARTED = time.time()  # this build's start: executions stamped later ran in it

ADVICE = (
    "Every cell of the book is sized by work to finish within a few minutes on one core of a laptop, so a time-out "
    "usually means the machine was busy or much slower. To build anyway, raise `execute: timeout` (seconds per cell; "
    "-1 for none) in _config.yml and run `make book` again: the notebooks that already ran come from the execution "
    "cache (_build/.jupyter_cache) and are not run again."
)


def _timeout_report(message: str) -> str:
    """The notebook and the start of the cell named in a failed-execution warning, and what to do."""
    notebook = re.search(r"([\w./-]+\.ipynb)", message)
    preview = re.search(r"preview of the cell contents:\s*-+\s*(.*?)\s*-+", message, re.S)
    lines = ["", "A notebook cell ran past the execution time limit.",
             f"  notebook: {notebook.group(1) if notebook else '(see the warning above)'}"]
    if preview:
        lines.append("  cell:")
        lines += [f"    {line}" for line in preview.group(1).splitlines()[:8]]
    lines += ["", ADVICE, ""]
    return "\n".join(lines)


def report(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None:
        if "CellTimeoutError" in str(exception):
            print(_timeout_report(f"{getattr(exception, 'location', '')} {exception}"), flush=True)
        return
    data = getattr(app.env, "nb_metadata", {})
    rows = [(docname, meta["exec_data"]) for docname, meta in sorted(data.items()) if meta.get("exec_data")]
    if not rows:
        return
    print("\nNotebook execution (seconds):")
    for docname, exec_data in rows:
        seconds = exec_data.get("runtime")
        now = (exec_data.get("mtime") or 0) >= STARTED
        how = "executed in this build" if now else "from the execution cache"
        print(f"  {docname:40} {seconds if seconds is None else round(seconds, 1):>7}  {how}")
        if "CellTimeoutError" in str(exec_data.get("error")):
            print(_timeout_report(f"{docname}.ipynb {exec_data.get('traceback')}"))
    total = sum(e.get("runtime") or 0 for _, e in rows)
    print(f"  {'all notebooks, as last executed':40} {total:7.1f}\n", flush=True)


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", report)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
