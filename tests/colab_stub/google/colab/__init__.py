"""A stand-in for Google Colab's `google.colab` module, for running the notebooks as Colab would (tests only).

Colab imports it before any cell runs; the notebooks' first cell checks for it to decide whether to install the
course package. Only what Colab code commonly calls is here.
"""

from . import output  # noqa: F401
