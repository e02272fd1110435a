"""Widget logic in Python: what the cost explorer and the budget picker show for given settings."""

import itertools
import json
import shutil
import subprocess

import pytest
import traitlets

import mobilenet_course as mc
from mobilenet_course import family
from mobilenet_course.widgets import BudgetPicker, CostExplorer


@pytest.mark.parametrize("alpha, resolution", list(itertools.product([0.25, 0.5, 0.62, 0.75, 1.0], [32, 128, 161, 224, 320])))
def test_explorer_values_equal_profile(alpha, resolution):
    explorer = CostExplorer(alpha=alpha, resolution=resolution)
    p = mc.costs.profile(mc.MobileNetV1(alpha=alpha, resolution=resolution))
    values = explorer.values()
    assert values["mult_adds"] == p.mult_adds and values["params"] == p.params
    assert values["layer_mult_adds"] == [row.mult_adds for row in p.layers]
    assert values["mult_adds_by_kind"] == {k: c.mult_adds for k, c in p.by_kind().items()}
    assert values["ratio"] == p.mult_adds / mc.costs.profile(mc.MobileNetV1()).mult_adds
    assert values["alpha2_rho2"] == pytest.approx(alpha**2 * (resolution / 224) ** 2)
    assert values["size_mb"] == pytest.approx(4 * p.params / 1e6)


def test_explorer_follows_slider_changes():
    explorer = CostExplorer()
    explorer.alpha = 0.5
    assert explorer.values()["mult_adds"] == mc.costs.profile(mc.MobileNetV1(alpha=0.5)).mult_adds
    explorer.resolution = 128
    assert explorer.values()["mult_adds"] == mc.costs.profile(mc.MobileNetV1(alpha=0.5, resolution=128)).mult_adds


@pytest.mark.parametrize("kwargs, message", [({"alpha": 0.2}, r"alpha must be a number in \[0.25, 1\]"),
                                             ({"resolution": 16}, r"resolution must be a whole number in \[32, 320\]")])
def test_explorer_rejects_values_off_the_sliders(kwargs, message):
    with pytest.raises(traitlets.TraitError, match=message):
        CostExplorer(**kwargs)


def test_widget_reprs_are_stable_for_stored_outputs():
    assert repr(CostExplorer(alpha=0.5, resolution=160)) == "CostExplorer(alpha=0.5, resolution=160)"
    assert "0x" not in repr(BudgetPicker(max_size_mb=5))


def test_explorer_hands_the_browser_the_layer_table():
    explorer = CostExplorer(num_classes=10)
    state = explorer.get_state()
    assert state["layers"] == family.layer_table(10) and len(state["layers"]) == 28
    assert "export function familyCosts" in state["_esm"]


BUDGETS = [dict(max_mult_adds_m=100, max_size_mb=6), dict(max_mult_adds_m=300), dict(max_size_mb=2), dict(),
           dict(max_mult_adds_m=200, max_size_mb=3)]


def best_by_hand(models, max_mult_adds_m=None, max_size_mb=None, max_latency_ms=None):
    """The rule the picker claims, written out independently: highest top-1 within every budget, ties to the cheaper."""
    best = None
    for m in models:
        if max_mult_adds_m is not None and m.mult_adds > max_mult_adds_m * 1e6:
            continue
        if max_size_mb is not None and m.params * 4 / 1e6 > max_size_mb:
            continue
        if max_latency_ms is not None and m.latency_ms > max_latency_ms:
            continue
        if best is None or m.top1 > best.top1 or (m.top1 == best.top1 and m.mult_adds < best.mult_adds):
            best = m
    return best


@pytest.mark.parametrize("budget", BUDGETS)
def test_budget_picker_shows_the_best_model(budget):
    picker = BudgetPicker(**budget)
    assert picker.best() == best_by_hand(family.grid(), **budget)
    if not budget:
        assert picker.best().name == "1.0-MobileNet-224"
    if budget == dict(max_size_mb=2):  # 2 MB of fp32 weights: at most 500,000 parameters
        assert picker.best().params * 4 <= 2e6


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (make setup installs it)")
def test_budget_picker_javascript_picks_what_python_picks(tmp_path):
    # The static book runs the JavaScript pick, not Python's: both must choose the same model for every budget.
    picker = BudgetPicker()
    (tmp_path / "picker.mjs").write_text(picker._esm)
    budgets = BUDGETS + [dict(max_mult_adds_m=1)]
    script = f"""
import {{ pick }} from "./picker.mjs";
const models = {json.dumps(picker.models)};
const budgets = {json.dumps(budgets)};
const names = budgets.map((b) => {{
  const r = pick(models, b.max_mult_adds_m == null ? null : b.max_mult_adds_m * 1e6, b.max_size_mb ?? null, null);
  return r.best ? r.best.name : null;
}});
console.log(JSON.stringify(names));
"""
    (tmp_path / "run.mjs").write_text(script)
    result = subprocess.run(["node", "run.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    expected = [getattr(best_by_hand(family.grid(), **b), "name", None) for b in budgets]
    assert json.loads(result.stdout) == expected
    assert expected[-1] is None, "a 1 million mult-adds budget fits nothing"


def test_budget_picker_with_latency_table():
    latencies = {m.name: m.mult_adds / 20e6 for m in family.grid()}  # a made-up machine: 20 M mult-adds per ms
    picker = BudgetPicker(max_latency_ms=10, max_size_mb=5, latencies=latencies)
    best = picker.best()
    assert best.latency_ms <= 10 and best.size_mb <= 5
    assert best == best_by_hand(family.grid(latencies), max_latency_ms=10, max_size_mb=5)
    with pytest.raises(ValueError, match="needs a latency table"):
        BudgetPicker(max_latency_ms=10)


def test_pick_explains_an_impossible_budget():
    with pytest.raises(ValueError, match="no model meets the budget.*0.25-MobileNet-128"):
        family.pick(family.grid(), max_mult_adds=1e6)
    with pytest.raises(ValueError, match="max_size_mb must be a positive, finite number"):
        family.pick(family.grid(), max_size_mb=-1)
