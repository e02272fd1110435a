"""Set-up shared by every chapter notebook: determinism, thread count, plot style, Colab detection."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

from .checks import usable_cpus

__all__ = ["setup", "in_colab", "glue"]


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def _kernel_shell():
    """The IPython shell when running in a Jupyter kernel, else None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def setup(seed: int = 0, threads: int | None = 2) -> None:
    """Make a notebook deterministic: seed Python, NumPy and torch, fix the CPU thread count, set the plot style
    (:data:`mobilenet_course.plots.STYLE`) and show figures as SVG.

    Parameters
    ----------
    seed : int
        Seed for every random number generator.
    threads : int or None
        Intra-op CPU threads for torch (the course's reference machines have 2 cores), capped at the CPUs this
        process may use (:func:`mobilenet_course.checks.usable_cpus`): more threads than CPUs make OpenMP's threads
        wait on each other, and a cell then runs many times slower. None leaves torch's default.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads is not None:
        torch.set_num_threads(max(1, min(threads, usable_cpus())))
    torch.use_deterministic_algorithms(True, warn_only=True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import matplotlib

    from .plots import STYLE

    shell = _kernel_shell()
    if shell is not None:
        # Figures show inline in Jupyter whatever MPLBACKEND the environment sets (a headless CI may set Agg), as SVG:
        # text stays text and the figure stays sharp at any width (the book scales it to a phone's column). No date
        # in the file, so that a re-run writes the same figure.
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        shell.run_line_magic("matplotlib", "inline")
        set_matplotlib_formats("svg", metadata={"Date": None})
    matplotlib.rcParams.update(STYLE)


def glue(name: str, value: object) -> None:
    """Hand a computed value to the book's prose, where ``{glue:text}`name``` prints it.

    In the book build this is myst-nb's ``glue``; where myst-nb is not installed (Colab) it does nothing.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=False)
