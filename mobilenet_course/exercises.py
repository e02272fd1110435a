"""Exercise checks: tell a student whether an answer is right, and if not, what is wrong and a hint.

Every exercise of the book is registered here with its check, one answer that passes and one that fails (the tests
run both). A check accepts any correct answer, not one spelling: model names in any accepted form, numbers within the
precision the exercise asks for, functions tested on several inputs. Use it from a notebook, Colab or plain Python:

>>> import mobilenet_course as mc
>>> print(mc.exercises.check("4.1", 0.7))
Correct! alpha = 0.7 costs 0.498 of the baseline; at 0.71 it would be over half.

Book: every chapter's "Exercises" section; the instructor's guide lists them all.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from . import costs, family
from .names import parse_name

__all__ = ["Feedback", "Exercise", "EXERCISES", "check", "exercise"]


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


@dataclass(frozen=True)
class Exercise:
    """An exercise of the book: where it is, what kind it is, its check, and answers for the tests."""

    id: str
    title: str
    kind: str  # "compute", "code", "widget" or "discussion"
    check: Callable[..., Feedback]
    solution: Callable[[], Any] = field(repr=False)
    wrong_answer: Callable[[], Any] = field(repr=False)

    @property
    def chapter(self) -> int:
        return int(self.id.split(".")[0])


EXERCISES: dict[str, Exercise] = {}
KINDS = ("compute", "code", "widget", "discussion")


def exercise(id: str, title: str, kind: str, solution: Callable[[], Any], wrong_answer: Callable[[], Any]):
    """Register a check function as exercise ``id`` (used as a decorator below)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")

    def register(fn: Callable[..., Feedback]) -> Callable[..., Feedback]:
        if id in EXERCISES:
            raise ValueError(f"exercise {id} is registered twice")
        EXERCISES[id] = Exercise(id, title, kind, fn, solution, wrong_answer)
        return fn

    return register


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check ``answer`` to exercise ``exercise_id`` ("4.1", ...) and return feedback.

    A stub left as ``...`` or None gets a reminder instead of a verdict; an answer of the wrong type is explained.
    """
    if exercise_id not in EXERCISES:
        raise ValueError(f"no exercise {exercise_id!r}; the exercises are {', '.join(EXERCISES)}")
    if answer is Ellipsis or answer is None:
        return wrong("the answer is still the placeholder `...`.", "replace `...` with your answer and run again")
    try:
        return EXERCISES[exercise_id].check(answer)
    except (TypeError, ValueError) as error:
        return wrong(f"the answer could not be checked ({error}).", "look at the form the exercise asks for")


def _number(answer: Any, what: str) -> float:
    if isinstance(answer, bool) or not isinstance(answer, (int, float, Fraction)):
        raise TypeError(f"{what} should be a number, got {type(answer).__name__}")
    return float(answer)


# ---------------------------------------------------------------------------------------------------------------
# Chapter 1: the cost of a standard convolution


def _pair(answer: Any, what: str) -> tuple[float, float]:
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        raise TypeError(f"the answer should be a pair {what}")
    return _number(answer[0], what.split(",")[0].strip("( ")), _number(answer[1], what.split(",")[1].strip(" )"))


@exercise("1.1", "Mult-adds of a layer", "compute",
          solution=lambda: (5 * 5 * 64 * 128, 5 * 5 * 64 * 128 * 56 * 56), wrong_answer=lambda: (204_800, 204_800 * 56))
def _check_1_1(answer: Any) -> Feedback:
    params, mult_adds = _pair(answer, "(params, mult_adds)")
    cost = costs.standard_conv(5, 64, 128, 56)
    if params != cost.params:
        return wrong(f"{params:,.0f} parameters is not right.", "one weight per (i, j, m, n): D_K * D_K * M * N")
    if mult_adds != cost.mult_adds:
        hint = ("each weight is used once per output position: D_G * D_G of them"
                if mult_adds in (cost.params * 56, cost.params) else "multiply the parameters by D_G * D_G")
        return wrong(f"{mult_adds:,.0f} mult-adds is not right.", hint)
    return right(f"{cost.params:,} parameters and {cost.mult_adds:,} mult-adds.")


def _conv_cost_solution() -> Callable[[int, int, int, int], tuple[int, int]]:
    return lambda d_k, m, n, d_f: (d_k * d_k * m * n, d_k * d_k * m * n * d_f * d_f)


def _check_function(answer: Any, cases: list[tuple], expected: Callable[..., Any], name: str, hint: str) -> Feedback:
    if not callable(answer):
        raise TypeError(f"the answer should be your function {name}")
    for case in cases:
        got, want = answer(*case), expected(*case)
        if tuple(got) != tuple(want):
            return wrong(f"{name}{case} returned {got}, expected {want}.", hint)
    return right(f"{name} is right on {len(cases)} layers.")


@exercise("1.2", "A cost function", "code", solution=_conv_cost_solution,
          wrong_answer=lambda: (lambda d_k, m, n, d_f: (d_k * m * n, d_k * m * n * d_f * d_f)))
def _check_1_2(answer: Any) -> Feedback:
    cases = [(3, 32, 64, 112), (1, 512, 512, 14), (5, 3, 8, 7), (7, 16, 16, 28)]

    def expected(d_k, m, n, d_f):
        cost = costs.standard_conv(d_k, m, n, d_f)
        return cost.params, cost.mult_adds

    return _check_function(answer, cases, expected, "conv_cost",
                           "the kernel is D_K x D_K: both spatial dimensions count, and so do both of D_F's")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 2: depthwise separable convolution


@exercise("2.1", "The reduction for a 5x5 kernel", "compute", solution=lambda: Fraction(281, 6400),
          wrong_answer=lambda: 1 / 25)
def _check_2_1(answer: Any) -> Feedback:
    value, exact = _number(answer, "the ratio"), costs.reduction_ratio(5, 256)
    if math.isclose(value, float(exact), rel_tol=1e-9):
        return right(f"1/256 + 1/25 = {exact} = {float(exact):.4f}: {1 / float(exact):.1f} times fewer mult-adds.")
    if math.isclose(value, 1 / 25):
        return wrong("1/25 is the floor, reached only as N grows without bound.", "add the 1/N term")
    if math.isclose(value, 1 / float(exact), rel_tol=1e-6):
        return wrong("that is the speed-up; the exercise asks for the ratio of costs.", "invert it")
    return wrong(f"{value:.4f} is not the ratio.", "the reduction derived in chapter 2: 1/N + 1/D_K^2")


def _separable_block_solution():
    from torch import nn

    class SeparableBlock(nn.Module):
        def __init__(self, m: int, n: int, stride: int = 1) -> None:
            super().__init__()
            self.depthwise = nn.Conv2d(m, m, 3, stride, 1, groups=m, bias=False)
            self.pointwise = nn.Conv2d(m, n, 1, bias=False)

        def forward(self, x):
            return self.pointwise(self.depthwise(x))

    return SeparableBlock


@exercise("2.2", "A depthwise separable block", "code", solution=_separable_block_solution,
          wrong_answer=lambda: (lambda m, n, stride=1: __import__("torch").nn.Conv2d(m, n, 3, stride, 1, bias=False)))
def _check_2_2(answer: Any) -> Feedback:
    import torch
    from torch import nn

    if not callable(answer):
        raise TypeError("the answer should be your class SeparableBlock")
    for m, n, stride, d_f in [(32, 64, 1, 16), (64, 128, 2, 16), (8, 8, 1, 5)]:
        block = answer(m, n, stride)
        if not isinstance(block, nn.Module):
            raise TypeError("SeparableBlock(m, n, stride) should build an nn.Module")
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


# ---------------------------------------------------------------------------------------------------------------
# Chapter 3: the architecture


@exercise("3.1", "Read the table", "compute", solution=lambda: 4, wrong_answer=lambda: 7)
def _check_3_1(answer: Any) -> Feedback:
    from .tables import table1
    from .model import MobileNetV1

    side = _number(answer, "the side")
    last = [r for r in table1(MobileNetV1(resolution=128)).rows if r[0].startswith("Conv")][-1]
    expected = int(last[2].split(" x ")[0])
    if side == expected:
        return right(f"{expected} x {expected}: five halvings of 128 px.")
    if side == 7:
        return wrong("7 x 7 is the side at 224 px.", "the network halves 128 px five times")
    return wrong(f"{side:g} is not the side of the last pointwise layer's input.", "use mc.tables.table1")


def _fc_share() -> float:
    from .model import MobileNetV1

    return costs.profile(MobileNetV1(num_classes=10)).shares()["fc"][1]


@exercise("3.2", "The classifier's share", "compute", solution=_fc_share, wrong_answer=lambda: 0.2435)
def _check_3_2(answer: Any) -> Feedback:
    value, expected = _number(answer, "the share"), _fc_share()
    if math.isclose(value, 100 * expected, rel_tol=1e-3):
        return wrong(f"{value:.3f} looks like a percentage.", "give the share as a fraction, such as 0.5")
    if math.isclose(value, expected, rel_tol=1e-3):
        return right(f"{expected:.4f}: with 10 classes the classifier is a tiny part; with 1000 it is about a quarter.")
    return wrong(f"{value:.4f} is not the share.", "profile MobileNetV1(num_classes=10) and use shares()['fc']")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 4: the width multiplier


def _width_half_cost_alpha() -> float:
    """The largest slider alpha (step 0.01) at 224 px whose cost is at most half of 1.0-MobileNet-224's."""
    base = sum(c.mult_adds for c in family.family_costs(1.0, 224))
    best = 0.25
    for step in range(25, 101):
        alpha = step / 100
        if sum(c.mult_adds for c in family.family_costs(alpha, 224)) <= base / 2:
            best = alpha
    return best


@exercise("4.1", "Half the cost", "widget", solution=_width_half_cost_alpha, wrong_answer=lambda: 0.5)
def _check_4_1(answer: Any) -> Feedback:
    alpha = _number(answer, "alpha")
    if not 0.25 <= alpha <= 1.0:
        return wrong(f"alpha = {alpha:g} is outside the slider's range [0.25, 1].")
    base = sum(c.mult_adds for c in family.family_costs(1.0, 224))
    ratio = sum(c.mult_adds for c in family.family_costs(alpha, 224)) / base
    best = _width_half_cost_alpha()
    if ratio > 0.5:
        return wrong(f"at alpha = {alpha:g} the model costs {ratio:.3f} of the baseline, more than half.",
                     "move the alpha slider left until the ratio is at most 0.5")
    if alpha < best - 1e-9:
        return wrong(f"alpha = {alpha:g} costs {ratio:.3f} of the baseline: within budget, but a wider model also "
                     "fits.", "the cost falls about as alpha squared, so half the cost is near alpha = 0.7, not 0.5")
    return right(f"alpha = {alpha:g} costs {ratio:.3f} of the baseline; at {best + 0.01:.2f} it would be over half.")


def _width_ratio_solution() -> Callable[[int, int, float], float]:
    return lambda d_k, n, alpha: (d_k**2 * alpha + alpha**2 * n) / (d_k**2 + n)


@exercise("4.2", "The width ratio of one layer", "code", solution=_width_ratio_solution,
          wrong_answer=lambda: (lambda d_k, n, alpha: alpha**2))
def _check_4_2(answer: Any) -> Feedback:
    if not callable(answer):
        raise TypeError("the answer should be your function width_ratio(d_k, n, alpha)")
    for d_k, n, alpha in [(3, 64, 0.5), (3, 1024, 0.75), (5, 32, 0.25), (1, 8, 0.9), (3, 9, 0.5)]:
        expected = costs.multiplier_ratio(d_k, 1, n, 1, alpha)
        got = answer(d_k, n, alpha)
        if not math.isclose(float(got), expected, rel_tol=1e-9):
            hint = ("alpha squared is only the pointwise term's factor: the depthwise term scales as alpha"
                    if math.isclose(float(got), alpha**2) else "divide the width cost of chapter 4 at alpha by the same at 1")
            return wrong(f"width_ratio({d_k}, {n}, {alpha}) returned {got}, expected {expected:.6f}.", hint)
    return right("your function matches the width ratio of chapter 4 on five layers.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 5: the resolution multiplier


def _quarter_cost_most_params() -> tuple[float, int]:
    base = sum(c.mult_adds for c in family.family_costs(1.0, 224))
    fits = [r for r in range(32, 321) if sum(c.mult_adds for c in family.family_costs(1.0, r)) <= base / 4]
    return 1.0, max(fits)


@exercise("5.1", "A quarter of the cost, the most parameters", "widget", solution=_quarter_cost_most_params,
          wrong_answer=lambda: (0.5, 224))
def _check_5_1(answer: Any) -> Feedback:
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        raise TypeError("the answer should be a pair (alpha, resolution)")
    alpha, resolution = _number(answer[0], "alpha"), answer[1]
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 32 <= resolution <= 320:
        return wrong(f"resolution {resolution!r} should be a whole number of pixels from 32 to 320.")
    if not 0.25 <= alpha <= 1.0:
        return wrong(f"alpha = {alpha:g} is outside the slider's range [0.25, 1].")
    base = sum(c.mult_adds for c in family.family_costs(1.0, 224))
    ratio = sum(c.mult_adds for c in family.family_costs(alpha, resolution)) / base
    if ratio > 0.25:
        return wrong(f"alpha = {alpha:g} at {resolution} px costs {ratio:.3f} of the baseline, more than a quarter.",
                     "cost falls as alpha squared times rho squared: lower the resolution or alpha")
    if alpha < 1.0:
        return wrong(f"alpha = {alpha:g} at {resolution} px fits the budget ({ratio:.3f}), but has fewer parameters "
                     "than necessary.", "parameters depend on alpha only: which knob costs no parameters?")
    return right(f"1.0-MobileNet-{resolution} costs {ratio:.3f} of the baseline and keeps all the parameters; "
                 "the resolution multiplier cuts cost without touching parameters.")


@exercise("5.2", "What does not scale with resolution", "compute", solution=lambda: {"fc"},
          wrong_answer=lambda: {"depthwise"})
def _check_5_2(answer: Any) -> Feedback:
    kinds = {answer} if isinstance(answer, str) else set(answer)
    unknown = kinds - set(costs.KINDS)
    if unknown:
        return wrong(f"{sorted(unknown)} are not kinds of layer; the kinds are {', '.join(costs.KINDS)}.")
    if kinds != {"fc"}:
        return wrong(f"{sorted(kinds)} is not it.", "which layer sees a 1 x 1 input whatever the image size?")
    return right("the fully connected layer sees the pooled 1 x 1 x 1024 vector at every resolution, so its cost "
                 "stays put while every convolution scales as rho squared.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 6: the model family


def _budget_solution() -> str:
    return family.pick(family.grid(), max_mult_adds=100e6, max_size_mb=6.0).name


@exercise("6.1", "A model for a budget", "widget", solution=_budget_solution, wrong_answer=lambda: "0.5-MobileNet-128")
def _check_6_1(answer: Any) -> Feedback:
    alpha, resolution, _ = parse_name(answer)
    models = {(m.alpha, m.resolution): m for m in family.grid()}
    if (alpha, resolution) not in models:
        return wrong(f"{answer} is not one of the paper's 16 models.", "pick from the grid the budget picker shows")
    chosen, best = models[(alpha, resolution)], family.pick(family.grid(), max_mult_adds=100e6, max_size_mb=6.0)
    if chosen.mult_adds > 100e6 or chosen.size_mb > 6.0:
        return wrong(f"{chosen.name} needs {chosen.mult_adds / 1e6:.0f} million mult-adds and {chosen.size_mb:.1f} MB: "
                     "over budget.")
    if chosen.name != best.name:
        return wrong(f"{chosen.name} fits ({chosen.top1}% top-1), but another model in budget is more accurate.",
                     "among the models that fit, compare top-1")
    return right(f"{best.name}: {best.top1}% top-1 with {best.mult_adds / 1e6:.0f} million mult-adds and "
                 f"{best.size_mb:.1f} MB.")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 7: training


def _small_stem_factor() -> float:
    from .costs import profile
    from .model import MobileNetV1

    small = profile(MobileNetV1(0.5, 32, 10, in_channels=1, small_input=True)).mult_adds
    return small / profile(MobileNetV1(0.5, 32, 10, in_channels=1)).mult_adds


@exercise("7.1", "The cost of the small stem", "compute", solution=_small_stem_factor, wrong_answer=lambda: 4.0)
def _check_7_1(answer: Any) -> Feedback:
    value, expected = _number(answer, "the ratio"), _small_stem_factor()
    if math.isclose(value, expected, rel_tol=1e-3):
        return right(f"{expected:.3f}: almost four, since every layer after the stem sees four times as many "
                     "positions; the classifier is the part that does not grow.")
    if math.isclose(value, 4.0, rel_tol=1e-9):
        return wrong("4 is the estimate, not the measured ratio.", "profile both models and divide")
    if math.isclose(value, 1 / expected, rel_tol=1e-3):
        return wrong(f"{value:.3f} is the ratio the other way round.", "small_input over the paper's stem")
    return wrong(f"{value:.3f} is not the ratio of the two models' mult-adds.",
                 "mc.costs.profile(model).mult_adds for each; one channel, ten classes, 32 px")


# ---------------------------------------------------------------------------------------------------------------
# Chapter 8: benchmarking


def _floor_ms() -> float:
    from .model import MobileNetV1

    return 2 * costs.profile(MobileNetV1(0.5, 160)).mult_adds / 100e9 * 1e3


@exercise("8.1", "The compute floor", "compute", solution=_floor_ms, wrong_answer=lambda: _floor_ms() / 2)
def _check_8_1(answer: Any) -> Feedback:
    value, expected = _number(answer, "the floor in ms"), _floor_ms()
    if math.isclose(value, expected, rel_tol=0.01):
        return right(f"{expected:.2f} ms: those mult-adds at that matrix-product rate; a real run takes longer, and only "
                     "an algorithm with fewer multiplications (Winograd's, say) could go below it.")
    if math.isclose(value, expected / 2, rel_tol=0.01):
        return wrong(f"{value:.2f} ms counts one FLOP per mult-add.", "a mult-add is two FLOPs: a multiply and an add")
    if math.isclose(value, expected / 1e3, rel_tol=0.01):
        return wrong(f"{value:.5f} looks like seconds.", "give milliseconds")
    return wrong(f"{value:.3f} ms is not the floor.", "2 x mult-adds / (100e9 FLOP/s), in milliseconds")
