"""The MobileNet family against the paper: Table 1, Tables 4-7, parameter counts, names and errors."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import mobilenet_course as mc
from mobilenet_course import reference
from mobilenet_course.tables import table1


def millions(x):
    return x / 1e6


@pytest.mark.parametrize("alpha, row", list(zip(mc.PAPER_ALPHAS, reference.TABLE6)))
def test_table6_width_multiplier(alpha, row):
    p = mc.costs.profile(mc.MobileNetV1(alpha=alpha))
    # The paper rounds to whole millions of mult-adds and to 0.1 million parameters.
    assert round(millions(p.mult_adds)) == row.million_mult_adds, p
    assert round(millions(p.params), 1) == row.million_params, p


@pytest.mark.parametrize("resolution, row", list(zip(mc.PAPER_RESOLUTIONS, reference.TABLE7)))
def test_table7_resolution_multiplier(resolution, row):
    p = mc.costs.profile(mc.MobileNetV1(resolution=resolution))
    # 160 px is 290.7 million: the paper prints 290 (cut off, where its other entries are rounded).
    assert int(millions(p.mult_adds)) == row.million_mult_adds or round(millions(p.mult_adds)) == row.million_mult_adds
    assert round(millions(p.params), 1) == 4.2


def test_table7_160px_is_cut_off_not_rounded():
    # Counted independently of the package's cost model: torch's FLOP counter, 2 FLOPs per mult-add.
    with FlopCounterMode(display=False) as counter:
        mc.MobileNetV1(resolution=160)(torch.zeros(1, 3, 160, 160))
    counted = millions(counter.get_total_flops() / 2)
    printed = reference.TABLE7[mc.PAPER_RESOLUTIONS.index(160)].million_mult_adds
    assert int(counted) == printed and round(counted) == printed + 1, (counted, printed)


def test_parameters_equal_reference_implementations():
    # Keras / TF-slim MobileNet 1.0, 1000 classes: 4,231,976 trainable parameters (batch norm scale and shift in).
    model = mc.MobileNetV1()
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 4_231_976
    assert mc.costs.profile(model).trainable_params == 4_231_976


def test_table1_rebuilt_with_last_depthwise_stride_one():
    rows = table1().rows
    layers = [r for r in rows if r[0].startswith("Conv")]
    assert len(layers) + 1 == 28, "28 layers: 27 convs (depthwise and pointwise counted apart) and the FC"
    assert rows[0] == ("Conv / s2", "3 x 3 x 3 x 32", "224 x 224 x 3")
    last_dw = [r for r in rows if r[0].startswith("Conv dw")][-1]
    # The paper prints "Conv dw / s2" here; the input of this layer and of the next are both 7x7.
    assert last_dw == ("Conv dw / s1", "3 x 3 x 1024 dw", "7 x 7 x 1024")
    assert rows[-3:] == [("Avg Pool / s1", "Pool 7 x 7", "7 x 7 x 1024"), ("FC / s1", "1024 x 1000", "1 x 1 x 1024"),
                         ("Softmax / s1", "Classifier", "1 x 1 x 1000")]
    assert sum(r[0] == "Conv dw / s1" and "512 dw" in r[1] for r in rows) == 5


def test_variants_against_tables_4_and_5():
    conv = mc.costs.profile(mc.ConvMobileNet())
    shallow = mc.costs.profile(mc.ShallowMobileNet())
    assert round(millions(conv.params), 1) == 29.3
    # The paper's 4866 leaves the FC layer (1.024 million) out; with it the net costs 4867.3 million.
    assert round(millions(conv.mult_adds - 1024 * 1000)) == 4866
    assert round(millions(shallow.mult_adds)) == 307 and round(millions(shallow.params), 1) == 2.9
    assert len(shallow) == 28 - 10 and len(conv) == 1 + 13 + 1
    assert {r.kind for r in conv.layers} == {"conv", "fc"}


def test_width_rule_applies_to_first_conv_and_has_floor_of_eight():
    model = mc.MobileNetV1(alpha=0.25)
    assert model.features[0][0].out_channels == 8
    assert mc.MobileNetV1(alpha=0.1).features[0][0].out_channels == 8
    assert mc.MobileNetV1(alpha=1.5).num_features == 1536


def test_rho_and_resolution_are_the_same_knob():
    a = mc.MobileNetV1(rho=128 / 224)
    b = mc.MobileNetV1(resolution=128)
    assert a.resolution == b.resolution == 128 and a.rho == pytest.approx(4 / 7)
    with pytest.raises(ValueError, match="disagree"):
        mc.MobileNetV1(resolution=160, rho=0.5)


@pytest.mark.parametrize("name, alpha, resolution, cls", [
    ("0.75-MobileNet-128", 0.75, 128, mc.MobileNetV1),
    ("1.0 MobileNet-224", 1.0, 224, mc.MobileNetV1),
    ("0.75_MobileNet_128", 0.75, 128, mc.MobileNetV1),
    ("0.5_MobileNet_small", 0.5, 160, mc.MobileNetV1),
    ("0.25_MobileNet_tiny", 0.25, 128, mc.MobileNetV1),
    ("1.0_mobilenet_baseline", 1.0, 224, mc.MobileNetV1),
    ("1.0-ConvMobileNet-224", 1.0, 224, mc.ConvMobileNet),
    ("1.0-ShallowMobileNet-224", 1.0, 224, mc.ShallowMobileNet),
])
def test_from_name(name, alpha, resolution, cls):
    model = mc.from_name(name, num_classes=10)
    assert type(model) is cls and model.alpha == alpha and model.resolution == resolution
    assert model.classifier.out_features == 10


def test_name_round_trip_and_grid():
    grid = list(mc.paper_grid())
    assert len(grid) == 16 and grid[0] == "1.0-MobileNet-224" and grid[-1] == "0.25-MobileNet-128"
    assert [mc.from_name(n).name for n in grid] == grid


@pytest.mark.parametrize("bad", ["MobileNet-224", "0.75-MobileNet", "0.75-ResNet-128", "0.75-MobileNet-huge", 7])
def test_malformed_name_says_what_is_allowed(bad):
    with pytest.raises(ValueError, match="ALPHA-MobileNet-RESOLUTION|a model name is a string"):
        mc.from_name(bad)


@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": 0}, r"alpha must be a number in \[0.01, 1.5\]"),
    ({"alpha": 1.6}, r"alpha must be a number in \[0.01, 1.5\]"),
    ({"resolution": 31}, "at least 32 px"),
    ({"resolution": 15, "small_input": True}, "at least 16 px"),
    ({"resolution": 224.0}, r"resolution must be a whole number in \[1, 1024\] or None, got 224.0 \(pixels"),
    ({"rho": -1}, "rho must be a positive, finite number"),
    ({"activation": "gelu"}, "activation must be one of 'relu', 'relu6'"),
    ({"num_classes": 0}, r"num_classes must be a whole number in \[1, 100000\]"),
    ({"padding": "same"}, "padding must be one of 'symmetric', 'keras'"),
    ({"bn_eps": 0}, "bn_eps must be .*Keras' 1e-3"),
    ({"rounding": "round"}, "rounding must be one of 'tf-slim', 'keras', 'timm'"),
    ({"alpha": 0.02, "rounding": "keras"}, r"no channel with rounding='keras' \(int\(32 \* alpha\) = 0\)"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mc.MobileNetV1(**kwargs)


def test_bad_input_tensor_says_expected_shape():
    model = mc.MobileNetV1(alpha=0.25, resolution=64, num_classes=10)
    with pytest.raises(ValueError, match=r"\(N, 3, 64, 64\).*resolution=32"):
        model(torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match="in_channels=1"):
        model(torch.zeros(1, 1, 64, 64))
    assert model(torch.zeros(2, 3, 64, 64)).shape == (2, 10)


def test_small_input_option_keeps_body_and_quadruples_cost():
    base = mc.MobileNetV1(alpha=0.5, resolution=32, num_classes=10, in_channels=1)
    small = mc.MobileNetV1(alpha=0.5, resolution=32, num_classes=10, in_channels=1, small_input=True)
    pb, ps = mc.costs.profile(base), mc.costs.profile(small)
    assert pb.params == ps.params and len(pb) == len(ps)
    assert ps.layers[0].stride == 1 and ps.layers[-2].output_size == 2 and pb.layers[-2].output_size == 1
    convs = lambda p: sum(r.mult_adds for r in p.layers if r.kind != "fc")  # noqa: E731
    assert convs(ps) == 4 * convs(pb)


@pytest.mark.parametrize("alpha, rounding, stem, block2, block4", [
    (0.1, "tf-slim", 8, 12, 25), (0.1, "keras", 3, 12, 25), (0.1, "timm", 8, 16, 24),
    (0.35, "tf-slim", 11, 44, 89), (0.35, "keras", 11, 44, 89), (0.35, "timm", 16, 48, 88),
])
def test_each_librarys_channel_rounding(alpha, rounding, stem, block2, block4):
    """TF-slim: max(8, int(c a)); Keras: int(c a); timm: the nearest multiple of 8, up one where that loses > 10 %."""
    model = mc.MobileNetV1(alpha, 64, rounding=rounding)
    assert model.features[0][0].out_channels == stem
    assert model.features[2].pointwise[0].out_channels == block2  # 128 channels in Table 1
    assert model.features[4].pointwise[0].out_channels == block4  # 256
    for paper_alpha in (*mc.PAPER_ALPHAS, 1.25):
        assert len({tuple(mc.model.scaled_channels(c, paper_alpha, r) for c in (32, 64, 128, 256, 512, 1024))
                    for r in mc.model.CHANNEL_ROUNDING}) == 1, f"the rules disagree at alpha {paper_alpha}"


def test_keras_padding_moves_the_stride_two_grid_and_halves_odd_sides_downwards():
    symmetric = mc.MobileNetV1(0.25, 200)
    keras = mc.MobileNetV1(0.25, 200, padding="keras")
    sides = lambda model: [row.output_size for row in mc.costs.profile(model).layers if row.kind == "depthwise"]  # noqa: E731
    # 200 px: 100 after the stem, 50 after block 2, 25 after block 4; then Keras 12, PyTorch 13
    assert sides(symmetric)[5] == 13 and sides(keras)[5] == 12
    strided = [m for m in keras.modules() if isinstance(m, torch.nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) == 5 and all(isinstance(m, mc.model.PaddedConv2d) and m.pad == (0, 1, 0, 1) for m in strided)
    # the weights have the same names, and with them the outputs differ everywhere, not only at the border
    keras.load_state_dict(symmetric.state_dict())
    x = torch.randn(1, 3, 8, 8)
    conv = keras.features[0][0]
    shifted, centred = conv(x), torch.nn.functional.conv2d(x, conv.weight, stride=2, padding=1)
    assert shifted.shape == centred.shape == (1, 8, 4, 4)
    assert (shifted - centred).abs().amin() > 0
    # an odd side: TensorFlow's "SAME" pads the stem by one on every side, as PyTorch does
    assert type(mc.MobileNetV1(0.25, 225, padding="keras").features[0][0]) is torch.nn.Conv2d
    assert mc.MobileNetV1(0.25, 64, bn_eps=1e-3).features[0][1].eps == 1e-3


def test_keras_padding_survives_batch_norm_folding():
    model = mc.MobileNetV1(0.25, 64, padding="keras", activation="relu6", bn_eps=1e-3).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(mc.inference.fold_batch_norm(model)(x), model(x), atol=1e-5)
    assert "padding='keras'" in repr(model) and "bn_eps=0.001" in repr(model)


def test_relu6_option():
    model = mc.MobileNetV1(alpha=0.25, resolution=32, activation="relu6")
    assert any(isinstance(m, torch.nn.ReLU6) for m in model.modules())
    assert not any(type(m) is torch.nn.ReLU for m in model.modules())


@pytest.mark.parametrize("mult_adds, params, matches", [
    (290_700_000, 4_210_088, True),    # 290.7 cut off to 290; 4.21 rounded to 4.2
    (290_400_000, 4_210_088, True),    # rounded
    (289_500_000, 4_250_000, True),    # exactly half a unit away: rounds to the printed figure one way
    (290_999_999, 4_299_999, True),    # cut off: 290 and 4.2
    (289_499_999, 4_210_088, False),   # rounds to 289, cuts off to 289: under a million away, yet another figure
    (291_000_000, 4_210_088, False),
    (290_000_000, 4_149_999, False),   # 4.1 either way
    (290_000_000, 4_300_000, False),
])
def test_comparison_matches_only_a_rounded_or_cut_off_figure(mult_adds, params, matches):
    row = reference.PaperRow("1.0 MobileNet-160", 67.2, 290, 4.2)
    assert mc.tables.Comparison("1.0-MobileNet-160", row, mult_adds, params).matches is matches


def test_every_table_row_matches_the_paper_except_conv_mobilenet():
    """The paper's Conv MobileNet figure, 4866, leaves the classifier out (see above); every other row agrees."""
    rows = [row for table in (*mc.tables.multiplier_tables(), *mc.tables.variant_tables()) for row in table.rows]
    assert [row[0] for row in rows if row[-1] != "yes"] == ["1.0-ConvMobileNet-224"]
