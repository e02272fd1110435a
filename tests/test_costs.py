"""The cost model: closed forms against real layers, and profile against two independent counters."""

from fractions import Fraction

import pytest
import torch
import torchinfo
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import mobilenet_course as mc
from mobilenet_course import costs, reference

MODELS = [(n, mc.from_name) for n in mc.paper_grid()] + [("ConvMobileNet", None), ("ShallowMobileNet", None)]


def build(name):
    return getattr(mc, name)() if name in ("ConvMobileNet", "ShallowMobileNet") else mc.from_name(name)


def measured(layer: nn.Module, d_f: int, m: int) -> tuple[int, int]:
    """Mult-adds and params of a real layer, counted by torch's FLOP counter (FLOPs = 2 x mult-adds)."""
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(1, m, d_f, d_f))
    return counter.get_total_flops() // 2, sum(p.numel() for p in layer.parameters())


sizes = dict(d_k=st.sampled_from([1, 3, 5, 7]), m=st.integers(1, 24), n=st.integers(1, 24),
             d_f=st.integers(7, 20), stride=st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(**sizes)
def test_standard_conv_formula_equals_real_layer(d_k, m, n, d_f, stride):
    cost = costs.standard_conv(d_k, m, n, d_f, stride=stride)
    assert (cost.mult_adds, cost.params) == measured(nn.Conv2d(m, n, d_k, stride, d_k // 2, bias=False), d_f, m)


@settings(max_examples=40, deadline=None)
@given(**sizes)
def test_depthwise_separable_formula_equals_real_layers(d_k, m, n, d_f, stride):
    cost = costs.depthwise_separable(d_k, m, n, d_f, stride=stride)
    layers = nn.Sequential(nn.Conv2d(m, m, d_k, stride, d_k // 2, groups=m, bias=False),
                           nn.Conv2d(m, n, 1, bias=False))
    assert (cost.mult_adds, cost.params) == measured(layers, d_f, m)
    assert cost.mult_adds == cost.depthwise.mult_adds + cost.pointwise.mult_adds


@settings(max_examples=60, deadline=None)
@given(**sizes)
def test_reduction_ratio_is_exact_for_any_stride(d_k, m, n, d_f, stride):
    ratio = Fraction(costs.depthwise_separable(d_k, m, n, d_f, stride=stride).mult_adds,
                     costs.standard_conv(d_k, m, n, d_f, stride=stride).mult_adds)
    assert ratio == costs.reduction_ratio(d_k, n) == Fraction(1, n) + Fraction(1, d_k**2)


def test_reduction_ratio_values():
    assert costs.reduction_ratio(3, 512) == Fraction(521, 4608)
    assert float(costs.reduction_ratio(3, 10**9)) == pytest.approx(1 / 9)
    with pytest.raises(ValueError, match="n must be a positive whole number"):
        costs.reduction_ratio(3, 0)


def separable_flops(m: int, n: int, d_f: int) -> int:
    """Mult-adds of a real 3x3 depthwise + 1x1 pointwise pair, counted by torch's FLOP counter (2 FLOPs each)."""
    block = torch.nn.Sequential(torch.nn.Conv2d(m, m, 3, padding=1, groups=m, bias=False),
                                torch.nn.Conv2d(m, n, 1, bias=False))
    with FlopCounterMode(display=False) as counter:
        block(torch.zeros(1, m, d_f, d_f))
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("alpha, rho", [(0.5, 1.0), (0.25, 1.0), (1.0, 0.5), (0.75, 0.5)])
def test_multiplier_ratio_equals_thinner_smaller_layers_counted_by_torch(alpha, rho):
    # The depthwise term scales as alpha, the pointwise term as alpha^2, both as rho^2: a layer built with
    # alpha * 512 channels on a rho * 14 map, counted by torch, costs that fraction of the full one.
    thin = separable_flops(int(alpha * 512), int(alpha * 512), int(rho * 14))
    assert costs.multiplier_ratio(3, 512, 512, 14, alpha=alpha, rho=rho) == pytest.approx(
        thin / separable_flops(512, 512, 14))


def test_output_size_errors():
    assert costs.output_size(7, 3, 2) == 4
    with pytest.raises(ValueError, match="does not fit"):
        costs.output_size(2, 7, 1, padding=0)


@pytest.mark.parametrize("name", [n for n, _ in MODELS])
def test_profile_agrees_with_flop_counter(name):
    model = build(name).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, model.resolution, model.resolution))
    assert counter.get_total_flops() == 2 * costs.profile(model).mult_adds


@pytest.mark.parametrize("name", [n for n, _ in MODELS])
def test_profile_agrees_with_torchinfo(name):
    model = build(name)
    p = costs.profile(model)
    info = torchinfo.summary(model, input_size=(1, 3, model.resolution, model.resolution), verbose=0)
    convs = [layer for layer in info.summary_list if layer.class_name == "Conv2d"]
    bns = [layer for layer in info.summary_list if layer.class_name == "BatchNorm2d"]
    fc = [layer for layer in info.summary_list if layer.class_name == "Linear"]
    # Layer by layer, conv mult-adds are identical.
    assert [layer.macs for layer in convs] == [r.mult_adds for r in p.layers if r.kind != "fc"]
    # By design torchinfo adds the FC bias to the FC's mult-adds, and counts one "mult-add" per batch norm
    # parameter (scale and shift); the paper's convention counts neither.
    assert fc[0].macs == p.layers[-1].mult_adds + model.num_classes
    bn_params = sum(m.weight.numel() + m.bias.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert sum(layer.macs for layer in bns) == bn_params
    assert info.total_mult_adds == p.mult_adds + model.num_classes + bn_params
    assert info.trainable_params == p.trainable_params == p.params + bn_params


def test_profile_rows_kinds_and_shares():
    p = costs.profile(mc.MobileNetV1())
    assert [r.kind for r in p.layers] == ["conv"] + ["depthwise", "pointwise"] * 13 + ["fc"]
    shares = p.shares()
    for kind, (paper_mult_adds, paper_params) in reference.TABLE2.items():
        if kind == "conv":  # printed 1.19%: the digits of the computed share swapped
            computed = f"{100 * shares[kind][0]:.2f}"
            assert computed != f"{paper_mult_adds:.2f}" and sorted(computed) == sorted(f"{paper_mult_adds:.2f}")
        else:
            assert round(100 * shares[kind][0], 2) == paper_mult_adds
        assert abs(100 * shares[kind][1] - paper_params) < 0.03
    assert sum(m for m, _ in shares.values()) == pytest.approx(1)
    text, page = p.to_text(), p._repr_html_()
    assert "features.13.pointwise.0" in text and "568.7 million mult-adds" in text
    assert page.count("<tr>") == 29


def test_profile_of_a_plain_network_needs_input_size():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 4 * 4, 2))
    with pytest.raises(ValueError, match="input_size"):
        costs.profile(net)
    p = costs.profile(net, input_size=(3, 4, 4))
    assert p.mult_adds == 9 * 3 * 8 * 16 + 128 * 2 and p.params == 9 * 3 * 8 + 8 + 128 * 2 + 2
