"""Exercise checks: tell a student whether an answer is right, and if not, what is wrong and a hint.

Each auto-checked exercise of the book has a check here, registered under its id ("4.1"); the exercise itself (its
text and its one solution, from which the student's stub is made) lives in its chapter notebook
(:mod:`mobilenet_course.exercise_source`). A check accepts any correct answer, not one spelling: model names in any
accepted form, numbers within the precision the exercise asks for, functions tested on several inputs, widgets read
as the student left them. It holds no solution to hand out: it tests what the student gives it. Use it from a
notebook, Colab or plain Python:

>>> import mobilenet_course as mc
>>> print(mc.exercises.check("1.1", (204_800, 642_252_800)))
Correct! 204,800 parameters and 642,252,800 mult-adds.

An answer still holding the stub's placeholder ``...`` gets a reminder, so "Run all" runs through a notebook of
stubs. An exception raised by the student's own code (a function or class under test) is not caught: it shows with
its traceback, where the mistake is. Grading is the instructor's side (:mod:`mobilenet_course.grading`): it runs
these checks from a fresh copy of the package, which nothing in a submitted notebook can replace.

Book: every chapter's "Exercises" section; the instructor's guide lists them all.
"""

from __future__ import annotations

import html
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from . import costs, family
from .names import parse_name

__all__ = ["Feedback", "Exercise", "EXERCISES", "AnswerFormError", "check"]


@dataclass(frozen=True)
class Feedback:
    """The result of a check: truthy when correct, with a message (and a hint when not)."""

    correct: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        if self.correct:
            return f"Correct! {self.message}"
        return f"Not yet: {self.message}" + (f"\nHint: {self.hint}" if self.hint else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = "#2e7d32" if self.correct else "#c62828"
        text = html.escape(str(self)).replace("\n", "<br>")
        return f"<div style='border-left:4px solid {colour};padding:4px 8px'>{text}</div>"


def right(message: str) -> Feedback:
    return Feedback(True, message)


def wrong(message: str, hint: str = "") -> Feedback:
    return Feedback(False, message, hint)


class AnswerFormError(TypeError):
    """The answer is not of the form the exercise asks for (a pair, a number, a function...)."""


class _Placeholder(Exception):
    """The answer, or what the student's function returned, still holds the stub's ``...``."""


@dataclass(frozen=True)
class Exercise:
    """An auto-checked exercise: its id, what kind of answer it takes and its check."""

    id: str
    kind: str  # "compute" (a value), "code" (a function or class) or "widget" (a widget the student moved)
    check: Callable[[Any], Feedback]

    @property
    def chapter(self) -> int:
        return int(self.id.split(".")[0])


EXERCISES: dict[str, Exercise] = {}
KINDS = ("compute", "code", "widget")
PLACEHOLDER = wrong("the answer still holds the placeholder `...` (or is None: a function without `return`).",
                    "replace each `...` in the exercise's cell with your code, return the answer, and run the cell "
                    "again")


def exercise(id: str, kind: str):
    """Register a check function as exercise ``id`` (used as a decorator below)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")

    def register(fn: Callable[[Any], Feedback]) -> Callable[[Any], Feedback]:
        if id in EXERCISES:
            raise ValueError(f"exercise {id} is registered twice")
        EXERCISES[id] = Exercise(id, kind, fn)
        return fn

    return register


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check ``answer`` to exercise ``exercise_id`` ("4.1", ...) and return feedback.

    An answer (or a result of the student's function) still holding the placeholder ``...`` gets a reminder; an
    answer of the wrong form is explained; an exception raised inside the student's own code propagates.
    """
    if exercise_id not in EXERCISES:
        raise ValueError(f"no exercise {exercise_id!r}; the exercises are {', '.join(EXERCISES)}")
    try:
        _no_placeholder(answer)
        return EXERCISES[exercise_id].check(answer)
    except _Placeholder:
        return PLACEHOLDER
    except AnswerFormError as error:
        return wrong(f"the answer is not of the form the exercise asks for: {error}.",
                     "look at the form the exercise asks for")


def _no_placeholder(value: Any) -> Any:
    """``value``, after making sure it is not, and does not contain, the stub's ``...`` (or None)."""
    if value is Ellipsis or value is None:
        raise _Placeholder
    if isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            _no_placeholder(item)
    return value


def _number(answer: Any, what: str) -> float:
    _no_placeholder(answer)
    if isinstance(answer, bool) or not isinstance(answer, (int, float, Fraction)) and not _is_numpy_number(answer):
        raise AnswerFormError(f"{what} should be a number, got {type(answer).__name__}")
    return float(answer)


def _is_numpy_number(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0


def _whole(answer: Any, what: str) -> int:
    value = _number(answer, what)
    if value != int(value):
        raise AnswerFormError(f"{what} should be a whole number, got {answer}")
    return int(value)


def _pair(answer: Any, first: str, second: str) -> tuple[Any, Any]:
    _no_placeholder(answer)
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        raise AnswerFormError(f"the answer should be a pair ({first}, {second})")
    return answer[0], answer[1]


def _callable(answer: Any, name: str) -> Callable:
    if not callable(answer):
        raise AnswerFormError(f"the answer should be your {name}, got {type(answer).__name__}")
    return answer


def _grid_cost(alpha: float, resolution: int) -> int:
    return sum(c.mult_adds for c in family.family_costs(alpha, resolution))


def _grid_params(alpha: float) -> int:
    return sum(c.params for c in family.family_costs(alpha, 224))


def _explorer_state(answer: Any) -> tuple[float, int]:
    from .widgets import CostExplorer

    if not isinstance(answer, CostExplorer):
        raise AnswerFormError(f"the answer should be the cost explorer you moved, got {type(answer).__name__}")
    return float(answer.alpha), int(answer.resolution)


def _picker(answer: Any):
    from .widgets import BudgetPicker

    if not isinstance(answer, BudgetPicker):
        raise AnswerFormError(f"the answer should be the budget picker you moved, got {type(answer).__name__}")
    return answer


def _keep_for_grading(settings: str) -> str:
    return (f" To keep it when the notebook is run again from the top (as the grader runs it), set it in code "
            f"too: {settings}.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 1: the cost of a standard convolution


@exercise("1.1", "compute")
def _check_1_1(answer: Any) -> Feedback:
    params, mult_adds = _pair(answer, "params", "mult_adds")
    params, mult_adds = _number(params, "params"), _number(mult_adds, "mult_adds")
    cost = costs.standard_conv(5, 64, 128, 56)
    if params != cost.params:
        return wrong(f"{params:,.0f} parameters is not right.", "one weight per (i, j, m, n): D_K * D_K * M * N")
    if mult_adds != cost.mult_adds:
        hint = ("each weight is used once per output position: D_G * D_G of them"
                if mult_adds in (cost.params * 56, cost.params) else "multiply the parameters by D_G * D_G")
        return wrong(f"{mult_adds:,.0f} mult-adds is not right.", hint)
    return right(f"{cost.params:,} parameters and {cost.mult_adds:,} mult-adds.")


@exercise("1.2", "code")
def _check_1_2(answer: Any) -> Feedback:
    conv_cost = _callable(answer, "function conv_cost(d_k, m, n, d_f)")
    for case in [(3, 32, 64, 112), (1, 512, 512, 14), (5, 3, 8, 7), (7, 16, 16, 28)]:
        got = conv_cost(*case)
        params, mult_adds = _pair(got, "params", "mult_adds")
        cost = costs.standard_conv(*case)
        if (params, mult_adds) != (cost.params, cost.mult_adds):
            return wrong(f"conv_cost{case} returned {got}, expected {(cost.params, cost.mult_adds)}.",
                         "the kernel is D_K x D_K: both spatial dimensions count, and so do both of D_F's")
    return right("conv_cost is right on 4 layers.")


@exercise("1.3", "code")
def _check_1_3(answer: Any) -> Feedback:
    output_side = _callable(answer, "function output_side(d_f, d_k, stride, padding)")
    cases = [(224, 3, 2, 1), (112, 3, 1, 1), (7, 7, 1, 0), (28, 5, 3, 2), (15, 3, 2, 0), (9, 1, 2, 0)]
    for d_f, d_k, stride, padding in cases:
        got = _no_placeholder(output_side(d_f, d_k, stride, padding))
        expected = costs.output_size(d_f, d_k, stride, padding)
        if got != expected:
            hint = ("round down: the window only counts where it fits, so use // (floor division)"
                    if isinstance(got, float) and math.isclose(got, (d_f + 2 * padding - d_k) / stride + 1)
                    else "padding adds p pixels on each side: D_F + 2p, then the window's D_K, then the stride")
            return wrong(f"output_side({d_f}, {d_k}, {stride}, {padding}) returned {got!r}, expected {expected}.",
                         hint)
    return right(f"output_side is right on {len(cases)} layers, strided and padded ones among them.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 2: depthwise separable convolution


@exercise("2.1", "compute")
def _check_2_1(answer: Any) -> Feedback:
    value, exact = _number(answer, "the ratio"), costs.reduction_ratio(5, 256)
    if math.isclose(value, float(exact), rel_tol=1e-9):
        return right(f"1/256 + 1/25 = {exact} = {float(exact):.4f}: {1 / float(exact):.1f} times fewer mult-adds.")
    if math.isclose(value, 1 / 25):
        return wrong("1/25 is the floor, reached only as N grows without bound.", "add the 1/N term")
    if math.isclose(value, 1 / float(exact), rel_tol=1e-6):
        return wrong("that is the speed-up; the exercise asks for the ratio of costs.", "invert it")
    return wrong(f"{value:.4f} is not the ratio.", "the reduction derived in chapter 2: 1/N + 1/D_K^2")


@exercise("2.2", "code")
def _check_2_2(answer: Any) -> Feedback:
    import torch
    from torch import nn

    separable_block = _callable(answer, "class SeparableBlock")
    for m, n, stride, d_f in [(32, 64, 1, 16), (64, 128, 2, 16), (8, 8, 1, 5)]:
        block = separable_block(m, n, stride)
        if not isinstance(block, nn.Module):
            raise AnswerFormError("SeparableBlock(m, n, stride) should build an nn.Module")
        if any(value is Ellipsis for name, value in vars(block).items() if not name.startswith("_")):
            raise _Placeholder
        if any(isinstance(c, nn.Conv2d) and c.bias is not None for c in block.modules()):
            return wrong("a convolution of the block has a bias.", "bias=False: batch norm follows each convolution "
                         "in MobileNet, so a bias would be redundant")
        out = block(torch.zeros(1, m, d_f, d_f))
        d_g = costs.output_size(d_f, 3, stride)
        if tuple(out.shape) != (1, n, d_g, d_g):
            return wrong(f"SeparableBlock({m}, {n}, {stride}) gives shape {tuple(out.shape)} for a {d_f}x{d_f} input, "
                         f"expected {(1, n, d_g, d_g)}.", "the depthwise step carries the stride and padding 1")
        expected = costs.depthwise_separable(3, m, n, d_f, stride=stride)
        measured = costs.counted_mult_adds(block, torch.zeros(1, m, d_f, d_f))
        if measured != expected.mult_adds:
            grouped = any(isinstance(c, nn.Conv2d) and c.groups == c.in_channels > 1 for c in block.modules())
            return wrong(f"the block costs {measured:,} mult-adds; a depthwise separable one costs "
                         f"{expected.mult_adds:,}.", "use groups=m in the 3x3 convolution, then a 1x1 convolution"
                         if not grouped else "a 3x3 depthwise step and a 1x1 pointwise step, without biases")
    return right("the block has the separable cost and the right shapes, with stride too.")


@exercise("2.3", "compute")
def _check_2_3(answer: Any) -> Feedback:
    n = _whole(answer, "N")
    fits = lambda channels: costs.reduction_ratio(3, channels) <= Fraction(1, 7)
    if not fits(n):
        return wrong(f"with N = {n} a 3x3 separable layer needs {1 / float(costs.reduction_ratio(3, n)):.2f} times "
                     "fewer mult-adds: not yet 7.", "solve 1/N + 1/9 <= 1/7 for N")
    if n > 1 and fits(n - 1):
        return wrong(f"N = {n} gives at least 7 times fewer mult-adds, but so does a smaller N.",
                     "the smallest whole N with 1/N + 1/9 <= 1/7")
    return right(f"N = {n}: 1/{n} + 1/9 = {costs.reduction_ratio(3, n)}, so {1 / float(costs.reduction_ratio(3, n)):.2f} "
                 "times fewer mult-adds; every wider layer saves more, and no layer saves 9 times.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 3: the architecture


@exercise("3.1", "compute")
def _check_3_1(answer: Any) -> Feedback:
    from .model import MobileNetV1
    from .tables import table1

    side = _number(answer, "the side")
    last = [r for r in table1(MobileNetV1(resolution=128)).rows if r[0].startswith("Conv")][-1]
    expected = int(last[2].split(" x ")[0])
    if side == expected:
        return right(f"{expected} x {expected}: five halvings of 128 px.")
    if side == 7:
        return wrong("7 x 7 is the side at 224 px.", "the network halves 128 px five times")
    return wrong(f"{side:g} is not the side of the last pointwise layer's input.", "use mc.tables.table1")


def _shares(model_kwargs: dict) -> dict[str, tuple[float, float]]:
    from .model import MobileNetV1

    return costs.profile(MobileNetV1(**model_kwargs)).shares()


@exercise("3.2", "compute")
def _check_3_2(answer: Any) -> Feedback:
    value, expected = _number(answer, "the share"), _shares({"num_classes": 10})["fc"][1]
    if math.isclose(value, 100 * expected, rel_tol=1e-3):
        return wrong(f"{value:.3f} looks like a percentage.", "give the share as a fraction, such as 0.5")
    if math.isclose(value, expected, rel_tol=1e-3):
        return right(f"{expected:.4f}: with 10 classes the classifier is a tiny part; with 1000 it is about a quarter.")
    return wrong(f"{value:.4f} is not the share.", "profile MobileNetV1(num_classes=10) and use shares()['fc']")


@exercise("3.3", "compute")
def _check_3_3(answer: Any) -> Feedback:
    value, shares = _number(answer, "the share"), _shares({})
    mult_adds, params = shares["pointwise"]
    if math.isclose(value, 100 * params, rel_tol=1e-3):
        return wrong(f"{value:.2f} looks like a percentage.", "give the share as a fraction, such as 0.5")
    if math.isclose(value, mult_adds, rel_tol=1e-3):
        return wrong(f"{value:.4f} is the pointwise layers' share of the mult-adds, not of the parameters.",
                     "shares() gives (mult-adds, parameters) for each kind: take the second")
    if math.isclose(value, params, rel_tol=1e-3):
        return right(f"{params:.4f} of the parameters (and {mult_adds:.4f} of the mult-adds) sit in the 1x1 "
                     "layers: the paper's Table 2 prints 74.59% and 94.86%.")
    return wrong(f"{value:.4f} is not the pointwise layers' share of the parameters.",
                 "mc.costs.profile(mc.MobileNetV1()).shares()['pointwise']")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 4: the width multiplier


@exercise("4.1", "widget")
def _check_4_1(answer: Any) -> Feedback:
    alpha, resolution = _explorer_state(answer)
    if resolution != 224:
        return wrong(f"the explorer is at {resolution} px; the exercise keeps 224 px.", "set the resolution to 224")
    ratio = _grid_cost(alpha, 224) / _grid_cost(1.0, 224)
    if ratio > 0.5:
        return wrong(f"at alpha = {alpha:g} the model costs {ratio:.3f} of the baseline, more than half.",
                     "move the alpha slider left until the ratio is at most 0.5")
    wider = round(alpha + 0.01, 2)
    if wider <= 1.0 and _grid_cost(wider, 224) <= _grid_cost(1.0, 224) / 2:
        return wrong(f"alpha = {alpha:g} costs {ratio:.3f} of the baseline: within budget, but a wider model also "
                     "fits.", "the cost falls about as alpha squared, not as alpha: move the slider right while the ratio stays "
                     "at most 0.5")
    return right(f"alpha = {alpha:g} costs {ratio:.3f} of the baseline; at {wider:.2f} it would be over half."
                 + _keep_for_grading(f"explorer.alpha = {alpha:g}"))


@exercise("4.2", "code")
def _check_4_2(answer: Any) -> Feedback:
    width_ratio = _callable(answer, "function width_ratio(d_k, n, alpha)")
    for d_k, n, alpha in [(3, 64, 0.5), (3, 1024, 0.75), (5, 32, 0.25), (1, 8, 0.9), (3, 9, 0.5)]:
        expected = costs.multiplier_ratio(d_k, 1, n, 1, alpha)
        got = _number(width_ratio(d_k, n, alpha), "width_ratio's result")
        if not math.isclose(got, expected, rel_tol=1e-9):
            hint = ("alpha squared is only the pointwise term's factor: the depthwise term scales as alpha"
                    if math.isclose(got, alpha**2) else "divide the width cost of chapter 4 at alpha by the same at 1")
            return wrong(f"width_ratio({d_k}, {n}, {alpha}) returned {got}, expected {expected:.6f}.", hint)
    return right("your function matches the width ratio of chapter 4 on five layers.")


@exercise("4.3", "compute")
def _check_4_3(answer: Any) -> Feedback:
    from .model import MobileNetV1

    value = _whole(answer, "the parameter count")
    trained = lambda alpha: sum(p.numel() for p in MobileNetV1(alpha).parameters() if p.requires_grad)
    expected = trained(0.75)
    if value == expected:
        return right(f"{expected:,} parameters: {expected / trained(1.0):.3f} of the full width's, between 0.75 "
                     "and 0.75 squared: the pointwise layers, which hold most of them, shrink as alpha squared, the "
                     "classifier only as alpha.")
    if value == _grid_params(0.75):
        return wrong(f"{value:,} counts the convolutions and the classifier, not batch norm's scales and shifts.",
                     "count what the model trains: sum(p.numel() for p in model.parameters())")
    return wrong(f"{value:,} is not the number of trainable parameters of 0.75-MobileNet-224.",
                 "build mc.MobileNetV1(0.75) and sum p.numel() over its parameters")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 5: the resolution multiplier


@exercise("5.1", "widget")
def _check_5_1(answer: Any) -> Feedback:
    alpha, resolution = _explorer_state(answer)
    ratio = _grid_cost(alpha, resolution) / _grid_cost(1.0, 224)
    if ratio > 0.25:
        return wrong(f"alpha = {alpha:g} at {resolution} px costs {ratio:.3f} of the baseline, more than a quarter.",
                     "cost falls as alpha squared times rho squared: lower the resolution or alpha")
    if alpha < 1.0:
        return wrong(f"alpha = {alpha:g} at {resolution} px fits the budget ({ratio:.3f}), but has fewer parameters "
                     "than necessary.", "parameters depend on alpha only: which knob costs no parameters?")
    largest = max(r for r in range(32, 321) if _grid_cost(1.0, r) <= _grid_cost(1.0, 224) / 4)
    return right(f"1.0-MobileNet-{resolution} costs {ratio:.3f} of the baseline and keeps all the parameters; "
                 "the resolution multiplier cuts cost without touching parameters"
                 + (f" (any input up to {largest} px does)." if resolution < largest else ".")
                 + _keep_for_grading(f"explorer.alpha, explorer.resolution = {alpha:g}, {resolution}"))


@exercise("5.2", "compute")
def _check_5_2(answer: Any) -> Feedback:
    _no_placeholder(answer)
    if not isinstance(answer, (str, set, frozenset, list, tuple)):
        raise AnswerFormError(f"the answer should be a set of kinds such as {{'depthwise'}}, got "
                              f"{type(answer).__name__}")
    kinds = {answer} if isinstance(answer, str) else set(answer)
    unknown = kinds - set(costs.KINDS)
    if unknown:
        return wrong(f"{sorted(unknown)} are not kinds of layer; the kinds are {', '.join(costs.KINDS)}.")
    if kinds != {"fc"}:
        return wrong(f"{sorted(kinds)} is not it.", "which layer sees a 1 x 1 input whatever the image size?")
    return right("the fully connected layer sees the pooled 1 x 1 x 1024 vector at every resolution, so its cost "
                 "stays put while every convolution scales as rho squared.")


@exercise("5.3", "compute")
def _check_5_3(answer: Any) -> Feedback:
    resolution = _whole(answer, "the resolution")
    if resolution % 32:
        return wrong(f"{resolution} px is not a multiple of 32.", "the exercise keeps to multiples of 32")
    cost = _grid_cost(1.0, resolution)
    if cost > 300e6:
        return wrong(f"1.0-MobileNet-{resolution} costs {cost / 1e6:.0f} million mult-adds, over 300 million.",
                     "lower the resolution")
    if _grid_cost(1.0, resolution + 32) <= 300e6:
        return wrong(f"1.0-MobileNet-{resolution} fits ({cost / 1e6:.0f} million), but so does "
                     f"1.0-MobileNet-{resolution + 32}.", "the largest multiple of 32 that fits")
    return right(f"1.0-MobileNet-{resolution}: {cost / 1e6:.0f} million mult-adds; "
                 f"{resolution + 32} px would cost {_grid_cost(1.0, resolution + 32) / 1e6:.0f} million.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 6: the model family


@exercise("6.1", "widget")
def _check_6_1(answer: Any) -> Feedback:
    mult_adds, size = _picker(answer).max_mult_adds_m, answer.max_size_mb
    if mult_adds is None or not math.isclose(mult_adds, 100):
        return wrong(f"the picker's mult-adds budget is {mult_adds} million; the application allows 100 million.",
                     "set the mult-adds budget to 100")
    if size is None or not math.isclose(size, 6):
        return wrong(f"the picker's size budget is {size} MB; the application allows 6 MB.",
                     "set the size budget to 6")
    if answer.max_latency_ms is not None:
        return wrong("the application sets no latency budget.", "clear the latency budget")
    best = answer.best()
    return right(f"the picker shows {best.name}: {best.top1}% top-1 with {best.mult_adds / 1e6:.0f} million "
                 f"mult-adds and {best.size_mb:.1f} MB."
                 + _keep_for_grading("picker.max_mult_adds_m, picker.max_size_mb = 100, 6"))


@exercise("6.2", "compute")
def _check_6_2(answer: Any) -> Feedback:
    from .model import ConvMobileNet, MobileNetV1

    value = _number(answer, "the ratio")
    conv, separable = costs.profile(ConvMobileNet()).mult_adds, costs.profile(MobileNetV1()).mult_adds
    expected = conv / separable
    if math.isclose(value, 1 / expected, rel_tol=1e-3):
        return wrong(f"{value:.4f} is the ratio the other way round.", "the full-convolution network over MobileNet")
    if math.isclose(value, expected, rel_tol=1e-3):
        return right(f"{expected:.2f} times the mult-adds for 1.1 points of top-1 on ImageNet (Table 4).")
    return wrong(f"{value:.3f} is not the ratio of the two networks' mult-adds.",
                 "mc.costs.profile(model).mult_adds for mc.ConvMobileNet() and mc.MobileNetV1()")


@exercise("6.3", "compute")
def _check_6_3(answer: Any) -> Feedback:
    _no_placeholder(answer)
    if not isinstance(answer, str):
        raise AnswerFormError(f"the answer should be a model's name such as '0.5-MobileNet-128', got "
                              f"{type(answer).__name__}")
    try:
        alpha, resolution, _ = parse_name(answer)
    except ValueError as error:
        raise AnswerFormError(f"{answer!r} is not a model name ({error})") from None
    models = {(m.alpha, m.resolution): m for m in family.grid()}
    if (alpha, resolution) not in models:
        return wrong(f"{answer} is not one of the paper's 16 models.", "pick from mc.family.grid()")
    chosen = models[(alpha, resolution)]
    if chosen.top1 < 65:
        return wrong(f"{chosen.name} reaches {chosen.top1}% top-1, under 65%.", "filter the grid on top1 >= 65")
    cheaper = [m for m in models.values() if m.top1 >= 65 and m.mult_adds < chosen.mult_adds]
    if cheaper:
        return wrong(f"{chosen.name} reaches {chosen.top1}% with {chosen.mult_adds / 1e6:.0f} million mult-adds, "
                     "but a cheaper model also reaches 65%.", "among the models at 65% or more, the fewest mult-adds")
    return right(f"{chosen.name}: {chosen.top1}% top-1 for {chosen.mult_adds / 1e6:.0f} million mult-adds.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 7: training


def _fashion_cost(alpha: float, resolution: int, small_input: bool = True) -> int:
    from .model import MobileNetV1

    model = MobileNetV1(alpha, resolution, 10, in_channels=1, small_input=small_input)
    return costs.profile(model).mult_adds


@exercise("7.1", "compute")
def _check_7_1(answer: Any) -> Feedback:
    value = _number(answer, "the ratio")
    expected = _fashion_cost(0.5, 32) / _fashion_cost(0.5, 32, small_input=False)
    if math.isclose(value, expected, rel_tol=1e-3):
        return right(f"{expected:.3f}: almost four, since every layer after the stem sees four times as many "
                     "positions; the classifier is the part that does not grow.")
    if math.isclose(value, 4.0, rel_tol=1e-9):
        return wrong("4 is the estimate, not the measured ratio.", "profile both models and divide")
    if math.isclose(value, 1 / expected, rel_tol=1e-3):
        return wrong(f"{value:.3f} is the ratio the other way round.", "small_input over the paper's stem")
    return wrong(f"{value:.3f} is not the ratio of the two models' mult-adds.",
                 "mc.costs.profile(model).mult_adds for each; one channel, ten classes, 32 px")


@exercise("7.2", "widget")
def _check_7_2(answer: Any) -> Feedback:
    controls = getattr(answer, "controls", None)
    if not isinstance(controls, dict) or not {"alpha", "resolution"} <= set(controls):
        raise AnswerFormError(f"the answer should be the training panel you set, got {type(answer).__name__}")
    alpha, resolution = round(float(controls["alpha"].value), 2), int(controls["resolution"].value)
    cost = _fashion_cost(alpha, resolution)
    budget = 25e6
    if cost > budget:
        return wrong(f"{alpha:g}-MobileNet-{resolution} costs {cost / 1e6:.1f} million mult-adds per image, over 25 "
                     "million.", "a narrower model or a smaller input")
    wider = [a / 100 for a in range(int(alpha * 100) + 5, 101, 5)
             if _fashion_cost(a / 100, resolution) <= budget]
    if wider:
        return wrong(f"{alpha:g}-MobileNet-{resolution} fits ({cost / 1e6:.1f} million), but a wider model fits too "
                     f"at {resolution} px.", "the widest alpha within the budget at that resolution")
    if resolution != 28:
        return wrong(f"{alpha:g}-MobileNet-{resolution} is the widest at {resolution} px, but {resolution} px "
                     "resizes Fashion-MNIST's 28 px images.", "keep the images' own resolution, 28 px")
    return right(f"{alpha:g}-MobileNet-28: {cost / 1e6:.1f} million mult-adds per image."
                 + _keep_for_grading(f"panel.controls['alpha'].value = {alpha:g}"))


@exercise("7.3", "compute")
def _check_7_3(answer: Any) -> Feedback:
    value = _number(answer, "the mult-adds")
    per_image = _fashion_cost(0.5, 28)
    expected = per_image * 60_000
    if math.isclose(value, expected, rel_tol=1e-6):
        return right(f"{expected / 1e12:.2f} million million mult-adds for one pass over the training images; the "
                     "backward pass costs about twice that again.")
    if math.isclose(value, per_image, rel_tol=1e-6):
        return wrong("that is one image's forward pass.", "an epoch sees each of the 60,000 training images once")
    if math.isclose(value, per_image * 10_000, rel_tol=1e-6):
        return wrong("10,000 is the test set (or the chapter's subset).", "the full training set has 60,000 images")
    return wrong(f"{value:.4g} is not the forward mult-adds of one epoch.",
                 "the default model's mult-adds per image times the 60,000 training images")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 8: benchmarking


def _floor_ms(name: str, peak_flops: float) -> float:
    from .names import from_name

    return 2 * costs.profile(from_name(name)).mult_adds / peak_flops * 1e3


@exercise("8.1", "compute")
def _check_8_1(answer: Any) -> Feedback:
    value, expected = _number(answer, "the floor in ms"), _floor_ms("0.5-MobileNet-160", 100e9)
    if math.isclose(value, expected, rel_tol=0.01):
        return right(f"{expected:.2f} ms: those mult-adds at that matrix-product rate; a real run takes longer, and only "
                     "an algorithm with fewer multiplications (Winograd's, say) could go below it.")
    if math.isclose(value, expected / 2, rel_tol=0.01):
        return wrong(f"{value:.2f} ms counts one FLOP per mult-add.", "a mult-add is two FLOPs: a multiply and an add")
    if math.isclose(value, expected / 1e3, rel_tol=0.01):
        return wrong(f"{value:.5f} looks like seconds.", "give milliseconds")
    return wrong(f"{value:.3f} ms is not the floor.", "2 x mult-adds / (100e9 FLOP/s), in milliseconds")


FLOOR_MS = 1.0  # exercise 8.2's budget on the compute floor at 100 GFLOP/s


@exercise("8.2", "widget")
def _check_8_2(answer: Any) -> Feedback:
    from .names import model_name

    controls = getattr(answer, "controls", None)
    if not isinstance(controls, dict) or not {"alpha", "resolution"} <= set(controls):
        raise AnswerFormError(f"the answer should be the benchmark panel you set, got {type(answer).__name__}")
    name = model_name(controls["alpha"].value, controls["resolution"].value)
    floor = _floor_ms(name, 100e9)
    options = [model_name(a, r) for a in controls["alpha"].options for r in controls["resolution"].options]
    fits = {n: _floor_ms(n, 100e9) for n in options if _floor_ms(n, 100e9) <= FLOOR_MS}
    if floor > FLOOR_MS:
        return wrong(f"{name}'s compute floor at 100 GFLOP/s is {floor:.2f} ms, over 1 ms.",
                     "2 x mult-adds / 100e9, in ms: a narrower model or a smaller input")
    best = max(fits, key=fits.get)
    if name != best:
        return wrong(f"{name} has a floor of {floor:.2f} ms, within 1 ms, but {len(fits) - 1} other setting(s) fit "
                     "too, and one of them does more work.", "the model with the most mult-adds whose floor is "
                     "at most 1 ms")
    return right(f"{name}: a floor of {floor:.2f} ms, the most work within 1 ms at 100 GFLOP/s. Press Measure to see "
                 "how far above the floor this machine runs it."
                 + _keep_for_grading(f"panel.controls['alpha'].value, panel.controls['resolution'].value = "
                                     f"{controls['alpha'].value}, {controls['resolution'].value}"))


@exercise("8.3", "code")
def _check_8_3(answer: Any) -> Feedback:
    speedup = _callable(answer, "function speedup(slow_ms, fast_ms)")
    cases = [([10.0, 11.0, 30.0], [5.0, 5.5, 5.0]), ([4.0, 4.2, 4.1, 90.0], [2.0, 2.1, 50.0, 2.05]),
             ([1.0], [0.5]), ([3.0, 3.0, 2.0, 2.0, 40.0], [1.0, 1.5, 1.0, 1.0, 1.0])]
    for slow, fast in cases:
        got = _number(speedup(list(slow), list(fast)), "speedup's result")
        expected = statistics.median(slow) / statistics.median(fast)
        if not math.isclose(got, expected, rel_tol=1e-9):
            hint = ("the mean is pulled by the slow outliers: use the median" if
                    math.isclose(got, statistics.mean(slow) / statistics.mean(fast)) else
                    "the slow path's median time over the fast path's (statistics.median)")
            return wrong(f"speedup({slow}, {fast}) returned {got:.4f}, expected {expected:.4f}.", hint)
    return right(f"speedup is right on {len(cases)} pairs of timings, outliers and even counts among them.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 9: the paper's experiments in miniature


@exercise("9.1", "widget")
def _check_9_1(answer: Any) -> Feedback:
    if _picker(answer).max_mult_adds_m is None or not math.isclose(answer.max_mult_adds_m, 330):
        return wrong(f"the picker's mult-adds budget is {answer.max_mult_adds_m} million; Table 5's cost is about "
                     "330 million.", "set the mult-adds budget to 330")
    if answer.max_size_mb is not None or answer.max_latency_ms is not None:
        return wrong("the question sets no size or latency budget.", "clear the size and latency budgets")
    best = answer.best()
    rival = next(m for m in family.grid() if m.name == "1.0-MobileNet-160")
    return right(f"the picker shows {best.name} at {best.top1}% top-1, ahead of the full-width {rival.name} at "
                 f"{rival.top1}%, which costs less: at this cost ImageNet prefers a thinner network at a larger input."
                 + _keep_for_grading("picker.max_mult_adds_m = 330"))


@exercise("9.2", "code")
def _check_9_2(answer: Any) -> Feedback:
    from . import experiments

    slope = _callable(answer, "function loglinear_slope(costs, accuracies)")
    cases = [([1e6, 2e6, 4e6, 8e6], [60.0, 63.0, 66.0, 69.0]), ([41e6, 149e6, 325e6, 569e6], [50.6, 63.7, 68.4, 70.6]),
             ([3e5, 9e5, 2.7e6, 1e7, 4e7], [70.0, 74.5, 76.0, 80.5, 81.0])]
    for xs, ys in cases:
        expected = experiments.loglinear(xs, ys).slope
        got = _number(slope(list(xs), list(ys)), "loglinear_slope's result")
        if not math.isclose(got, expected, rel_tol=1e-6):
            hint = ("that is the slope against the natural logarithm: use math.log2, so that one step is a doubling"
                    if math.isclose(got, expected / math.log(2), rel_tol=1e-6) else
                    "the least-squares slope of the accuracies against log2 of the costs" +
                    (" (base 10 gives a step per tenfold)" if math.isclose(got, expected / math.log10(2), rel_tol=1e-6)
                     else ""))
            return wrong(f"loglinear_slope({xs}, {ys}) returned {got:.4f}, expected {expected:.4f}.", hint)
    return right(f"loglinear_slope is right on {len(cases)} sets of points: the accuracy that each doubling of the "
                 "cost buys.")


@exercise("9.3", "compute")
def _check_9_3(answer: Any) -> Feedback:
    from . import experiments

    value = _number(answer, "the difference in points")
    summary = experiments.summarise(experiments.load())
    conv = summary["ConvMobileNet", experiments.CONV_ALPHA, experiments.CONV_RESOLUTION]
    separable = summary["MobileNet", experiments.CONV_ALPHA, experiments.CONV_RESOLUTION]
    expected = conv.mean - separable.mean
    if not math.isclose(expected, 0, abs_tol=0.005) and math.isclose(value, -expected, abs_tol=0.005):
        return wrong(f"{value:.2f} is the difference the other way round.",
                     "the full-convolution network's mean minus the separable one's")
    if math.isclose(value, expected / 100, abs_tol=5e-5):
        return wrong(f"{value:.4f} is the difference as a fraction.", "give it in percentage points")
    if math.isclose(value, expected, abs_tol=0.005):
        return right(f"{expected:+.2f} points for {conv.mult_adds / separable.mult_adds:.1f} times the mult-adds; "
                     f"across their seeds the two spread over {conv.high - conv.low:.2f} and "
                     f"{separable.high - separable.low:.2f} points.")
    return wrong(f"{value:.2f} is not the difference of the two configurations' mean accuracies.",
                 "mc.experiments.summarise(mc.experiments.load()), the keys ('ConvMobileNet', 0.5, 20) and "
                 "('MobileNet', 0.5, 20), their .mean")
