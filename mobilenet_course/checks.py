"""Checking arguments: one set of rules for the models, the widgets, training, benchmarking and the command line.

Every public function of the package that takes a number, a flag or a choice from a user checks it here, so that
the same mistake gets the same message everywhere: what was wrong, and what is allowed.

The rules:

* a number is an ``int``, a ``float`` or a NumPy scalar (``np.float32(0.5)``, ``np.int64(224)``); a string is not
  a number (``dropout="0.1"`` is refused) and neither is a bool (``in_channels=True`` is refused);
* a whole number (pixels, channels, classes, runs, threads) must be integral: ``224.0`` is refused;
* numbers are finite (``inf`` and ``nan`` are refused) and lie in a range that makes sense for the argument;
* a flag is ``True`` or ``False`` (or a NumPy bool): ``small_input="no"`` is refused.

A broken rule raises :class:`ArgumentError`, which is both a ``ValueError`` and a ``TypeError``, so that code
catching either keeps working; its message starts with the argument's name.
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["ArgumentError", "number", "whole", "flag", "choice", "usable_cpus", "max_threads", "threads",
           "cli_number", "cli_whole", "MAX_DIGITS"]

MAX_DIGITS = 30
"""Longest number the command line reads, in characters: a 4000-digit resolution is refused before parsing."""


class ArgumentError(ValueError, TypeError):
    """An argument of the wrong type or out of its range. A ``ValueError`` (and a ``TypeError``)."""


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool, kind: str) -> str:
    if low is None and high is None:
        return f"a finite {kind}"
    if high is None:
        if low == 0 and low_open:
            return f"a positive, finite {kind}" if kind == "number" else "a whole number >= 1"
        return f"a {kind} {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"a {kind} {'<' if high_open else '<='} {high:g}"
    return f"a {kind} in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def _fail(name: str | None, rule: str, value: object, hint: str = "") -> ArgumentError:
    text = repr(value)
    if len(text) > 60:
        text = text[:40] + f"... ({len(text)} characters)"
    return ArgumentError(f"{name + ' ' if name else ''}must be {rule}, got {text}{hint}")


def number(value: Any, name: str | None, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, allow_none: bool = False, hint: str = "") -> float | None:
    """``value`` as a finite float in the given range, or raise :class:`ArgumentError` naming ``name``.

    Accepts ``int``, ``float``, ``fractions.Fraction`` and NumPy scalars; refuses bools, strings and anything else.
    A NumPy ``float32`` (or ``float16``) becomes the shortest decimal that identifies it, ``np.float32(0.3)`` -> 0.3
    (not 0.30000001192092896), which is what was meant.

    Parameters
    ----------
    value
        The argument.
    name : str or None
        Its name in the message (None: the message starts with "must be", for the command line).
    low, high : float, optional
        The range; ``low_open`` and ``high_open`` exclude the ends.
    allow_none : bool
        Let None through (an optional argument).
    hint : str
        Appended to the message (for instance what the paper uses).
    """
    rule = _describe(low, high, low_open, high_open, "number")
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _fail(name, rule + (" or None" if allow_none else ""), value, hint)
    if isinstance(value, np.floating) and np.finfo(value.dtype).bits < 64:
        result = float(str(value))
    else:
        try:
            result = float(value)
        except OverflowError:  # an int too large for a float
            raise _fail(name, rule, value, hint) from None
    if not math.isfinite(result):
        raise _fail(name, rule, value, hint)
    if low is not None and (result < low or (low_open and result == low)):
        raise _fail(name, rule, value, hint)
    if high is not None and (result > high or (high_open and result == high)):
        raise _fail(name, rule, value, hint)
    return result


def whole(value: Any, name: str | None, *, low: int | None = None, high: int | None = None,
          allow_none: bool = False, hint: str = "") -> int | None:
    """``value`` as an ``int`` in ``[low, high]``, or raise :class:`ArgumentError` naming ``name``.

    Accepts ``int`` and NumPy integers; refuses bools, floats (``224.0`` too: a count is written as a whole number),
    strings and anything else.
    """
    rule = _describe(low, high, False, False, "whole number")
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise _fail(name, rule + (" or None" if allow_none else ""), value, hint)
    result = int(value)
    if (low is not None and result < low) or (high is not None and result > high):
        raise _fail(name, rule, value, hint)
    return result


def flag(value: Any, name: str | None) -> bool:
    """``value`` as a bool: ``True``, ``False`` or a NumPy bool; anything else (``"no"``, 0, None) is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise _fail(name, "True or False", value)
    return bool(value)


def choice(value: Any, name: str | None, options: Iterable[str]) -> str:
    """``value`` if it is one of the strings ``options``, else raise :class:`ArgumentError` listing them."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise _fail(name, "one of " + ", ".join(repr(o) for o in options), value)
    return value


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity mask
        return os.cpu_count() or 1


def max_threads() -> int:
    """The most torch threads that make sense here: 4 times the machine's CPUs (more only make it thrash).

    The machine's, not only those this process may use (:func:`usable_cpus`): chapter 8 times twice the machine's
    cores on purpose, to show what oversubscription costs, and must still run under ``taskset``.
    """
    return 4 * max(usable_cpus(), os.cpu_count() or 1)


def threads(value: Any, name: str | None = "threads", *, allow_none: bool = True) -> int | None:
    """A thread count: a whole number from 1 to :func:`max_threads`, or None (leave torch's choice)."""
    cap = max_threads()
    return whole(value, name, low=1, high=cap, allow_none=allow_none,
                 hint=f" (this machine has {cap // 4} CPUs, this process may use {usable_cpus()}; more than 4 "
                      "threads a CPU only slow it down)")


# -- the command line: argparse types built from the same rules ------------------------------------------------------


def _cli(parse: Callable[[str], object], check: Callable[..., object], kwargs: dict) -> Callable[[str], object]:
    def convert(text: str) -> object:
        if len(text) > MAX_DIGITS:
            raise argparse.ArgumentTypeError(f"must be a number of at most {MAX_DIGITS} characters, got "
                                             f"{len(text)} characters ({text[:20]!r}...)")
        try:
            value = parse(text)
        except ValueError:
            kind = "a whole number" if parse is int else "a number"
            raise argparse.ArgumentTypeError(f"must be {kind}, got {text!r}") from None
        try:
            return check(value, None, **kwargs)
        except ArgumentError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = check.__name__  # argparse names the type in some messages
    return convert


def cli_number(**kwargs: Any) -> Callable[[str], float]:
    """An argparse ``type``: a finite number checked by :func:`number` with ``kwargs`` (``low``, ``high``, ...)."""
    return _cli(float, number, kwargs)


def cli_whole(**kwargs: Any) -> Callable[[str], int]:
    """An argparse ``type``: a whole number checked by :func:`whole` with ``kwargs``."""
    return _cli(int, whole, kwargs)


def cli_threads(text: str) -> int:
    """An argparse ``type`` for ``--threads``: 1 to :func:`max_threads`."""
    return _cli(int, threads, {"allow_none": False})(text)
