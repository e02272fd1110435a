"""Issue 13, bad inputs: every argument of the models, names, widgets, training, benchmark and command line is
checked by one set of rules (mobilenet_course.checks), and every mistake is a clear error, never a silent result,
a hang or a traceback."""

import os
import re
import time

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mobilenet_course as mc
from mobilenet_course import bench, checks, cli, family
from mobilenet_course.model import check_arguments
from mobilenet_course.names import parse_name
from mobilenet_course.widgets import BudgetPicker, CostExplorer

# -- the rules themselves ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (np.float32(0.5), 0.5), (np.float32(0.3), 0.3), (np.float64(0.75), 0.75), (np.int64(1), 1.0), (1, 1.0),
])
def test_numpy_scalars_are_numbers(value, expected):
    result = checks.number(value, "x", low=0, high=2)
    assert type(result) is float and result == expected  # np.float32(0.3) means 0.3, not 0.30000001192092896


@pytest.mark.parametrize("value", [True, np.bool_(False), "0.5", None, float("inf"), float("nan"), -0.1, 2.5, 10**400,
                                   [0.5], 1j])
def test_what_is_not_a_number_in_range(value):
    with pytest.raises(checks.ArgumentError, match=r"^x must be a number in \[0, 2\], got "):
        checks.number(value, "x", low=0, high=2)


@pytest.mark.parametrize("value", [True, 224.0, np.float64(224), "224", None, 0, 10**30])
def test_what_is_not_a_whole_number_in_range(value):
    with pytest.raises(ValueError, match=r"^n must be a whole number in \[1, 1024\], got "):
        checks.whole(value, "n", low=1, high=1024)
    assert checks.whole(np.int64(224), "n", low=1, high=1024) == 224


def test_argument_error_is_a_value_error_and_a_type_error():
    with pytest.raises(TypeError):
        checks.flag("no", "small_input")
    with pytest.raises(ValueError, match="small_input must be True or False, got 'no'"):
        checks.flag("no", "small_input")
    assert checks.flag(np.bool_(True), "small_input") is True


# -- item 13 and 19: model arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    ({"small_input": "no"}, "small_input must be True or False, got 'no'"),  # meant True
    ({"small_input": 1}, "small_input must be True or False"),
    ({"in_channels": True}, r"in_channels must be a whole number in \[1, 512\], got True"),  # was accepted
    ({"num_classes": True}, "num_classes must be a whole number"),
    ({"dropout": "0.1"}, r"dropout must be a number in \[0, 1\), got '0.1'"),
    ({"dropout": float("nan")}, "dropout must be"),
    ({"rho": float("inf")}, "rho must be a positive, finite number, got inf"),
    ({"rho": float("nan")}, "rho must be a positive, finite number, got nan"),  # was "cannot convert float NaN"
    ({"rho": float("nan"), "resolution": 224}, "rho must be a positive, finite number, got nan"),
    ({"rho": "x"}, "rho must be a positive, finite number or None, got 'x'"),
    ({"rho": 1e308}, "rho must be at most 1024/224"),  # was an OverflowError
    ({"alpha": 1e-9}, r"alpha must be a number in \[0.01, 1.5\], got 1e-09"),  # named itself 1e-09.0-MobileNet-32
    ({"alpha": "1.0"}, "alpha must be a number"),
    ({"alpha": True}, "alpha must be a number"),
    ({"resolution": 100_000}, r"resolution must be a whole number in \[1, 1024\]"),  # allocator RuntimeError
    ({"resolution": 10**4000}, r"resolution must be a whole number in \[1, 1024\], got 1000000.*\(4001 characters\)"),
    ({"num_classes": 100_000_000_000}, r"num_classes must be a whole number in \[1, 100000\]"),
    ({"activation": None}, "activation must be one of 'relu', 'relu6', got None"),
])
@pytest.mark.parametrize("cls", [mc.MobileNetV1, mc.ConvMobileNet, mc.ShallowMobileNet])
def test_model_refuses_bad_arguments_before_allocating(cls, kwargs, message):
    began = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)
    assert time.perf_counter() - began < 0.5, "refused by its range, not by running out of memory"


def test_numpy_scalars_build_the_same_model():
    model = mc.MobileNetV1(np.float32(0.25), np.int64(32), np.int64(10), in_channels=np.int32(1),
                           small_input=np.bool_(True), dropout=np.float32(0.1))
    assert (model.alpha, model.resolution, model.num_classes, model.in_channels, model.small_input) == \
        (0.25, 32, 10, 1, True)
    assert type(model.resolution) is int and type(model.alpha) is float and model.dropout.p == pytest.approx(0.1)
    assert mc.MobileNetV1(rho=np.float32(0.5)).resolution == 112
    assert mc.model_name(np.float32(0.75), np.int64(128)) == "0.75-MobileNet-128"


@pytest.mark.parametrize("alpha", [0.01, 0.1 + 0.2, 0.123456789, 1 / 3, 0.62, 1.5, np.float32(0.3)])
def test_every_alpha_names_a_model_that_reads_back(alpha):
    config = check_arguments(alpha, 64)
    name = mc.model_name(config["alpha"], 64)
    assert parse_name(name) == (config["alpha"], 64, mc.MobileNetV1), name


def test_paper_names_keep_their_spelling():
    assert [mc.model_name(a, 224) for a in mc.PAPER_ALPHAS] == [f"{a}-MobileNet-224" for a in ("1.0", "0.75", "0.5",
                                                                                              "0.25")]
    assert mc.MobileNetV1(1, 32).name == "1.0-MobileNet-32"
    with pytest.raises(ValueError, match="family must be one of"):
        mc.model_name(0.5, 128, "ResNet")


# -- item 16: names are read in linear time --------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "0.5" + " " * 8_000 + "MobileNet-224",  # 5.3 s before
    " " * 131_072,  # a 128 KiB argument: about 20 minutes before
    "1" + " " * 60 + "mobilenet" + " " * 30 + "x",  # under the length cap: the pattern itself must be linear
])
def test_long_names_are_refused_in_milliseconds(name):
    began = time.perf_counter()
    with pytest.raises(ValueError, match="at most 100 characters|cannot read model name"):
        mc.from_name(name)
    assert time.perf_counter() - began < 0.05


def test_the_name_pattern_is_linear_in_runs_of_spaces():
    from mobilenet_course.names import _NAME

    began = time.perf_counter()
    assert _NAME.fullmatch("1" + " " * 20_000 + "mobilenet" + " " * 20_000 + "x") is None
    assert time.perf_counter() - began < 0.2  # the old pattern took about 30 s on 20,000 spaces
    assert parse_name("0.75 - MobileNet _ 128") == (0.75, 128, mc.MobileNetV1)


# -- the fuzz test: every input builds a model whose name reads back, or is a ValueError naming the argument ----------

ALPHA_TEXT = st.one_of(st.sampled_from(["1.0", "0.75", ".5", "0", "00.25", "1.5", "1.50001", "0.01", "0.0099"]),
                       st.from_regex(r"0?\.[0-4]\d{0,15}", fullmatch=True),
                       st.from_regex(r"\d{1,3}(\.\d{1,12})?", fullmatch=True))
RESOLUTION_TEXT = st.one_of(st.sampled_from(["224", "small", "TINY", "0", "15", "16", "32", "1024", "1025"]),
                            st.from_regex(r"[1-9]\d{1,2}", fullmatch=True),
                            st.from_regex(r"\d{1,6}", fullmatch=True))
SEPARATOR = st.sampled_from(["-", "_", " ", " - ", "  ", "\t_", "--", ""])
FAMILY = st.sampled_from(["MobileNet", "mobilenet", "ConvMobileNet", "shallowmobilenet", "ResNet", "Mobile Net"])
NAMES = st.one_of(
    st.builds("".join, st.tuples(ALPHA_TEXT, SEPARATOR, FAMILY, SEPARATOR, RESOLUTION_TEXT)),
    st.builds("".join, st.tuples(ALPHA_TEXT, SEPARATOR, FAMILY, SEPARATOR, RESOLUTION_TEXT)),
    st.text(max_size=40),
    st.text(alphabet=" -_0123456789.MobileNt", max_size=300),
)


def cheap(config):
    """Small enough to build in some milliseconds (building does not depend on the resolution)."""
    return config["alpha"] <= 0.5 and config["num_classes"] <= 1000


def assert_reads_back(model_or_config, cls):
    alpha, resolution = model_or_config["alpha"], model_or_config["resolution"]
    name = mc.model_name(alpha, resolution, cls.__name__.removesuffix("V1"))
    assert parse_name(name) == (alpha, resolution, cls), name
    return name


@settings(deadline=1000, max_examples=1000, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)  # the same examples in every CI run; explore with --hypothesis-seed=N
@given(NAMES)
def test_fuzz_model_names(name):
    try:
        alpha, resolution, cls = parse_name(name)
    except ValueError as error:
        assert "model name" in str(error), error
        return
    try:
        config = check_arguments(alpha, resolution, blocks=cls.blocks)
    except ValueError as error:
        assert str(error).startswith(("alpha ", "resolution ")), error
        return
    assert (config["alpha"], config["resolution"]) == (alpha, resolution)
    built = assert_reads_back(config, cls)
    if cheap(config):
        model = mc.from_name(name, num_classes=10)
        assert type(model) is cls and model.name == built and mc.from_name(model.name).name == model.name


def numbers_and_junk(*good):
    junk = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-10, max_value=3000),
        st.integers(),
        st.booleans(),
        st.none(),
        st.text(max_size=5),
        st.floats(min_value=0, max_value=2).map(np.float32),
        st.integers(min_value=-5, max_value=2000).map(np.int64),
        st.sampled_from([np.bool_(True), float("nan"), float("inf"), -float("inf"), np.float64("nan")]),
    )
    # one draw in four is junk, so that a fair share of the argument sets is valid and builds a model
    return st.integers(0, 3).flatmap(lambda i: junk if i == 0 else st.sampled_from(good))


ARGUMENTS = st.fixed_dictionaries({}, optional={
    "alpha": numbers_and_junk(0.25, 0.5, 0.3, 1e-9, 0.01, 0.1 + 0.2, np.float32(0.35), 1 / 3),
    "resolution": numbers_and_junk(16, 32, 33, 64, 224, 1024, np.int64(40)),
    "rho": numbers_and_junk(0.25, 1 / 7, 0.5),
    "num_classes": numbers_and_junk(10, 1, 100_000),
    "in_channels": numbers_and_junk(1, 3),
    "small_input": st.one_of(st.booleans(), st.booleans(), st.sampled_from(["no", 0, 1, None, np.bool_(False)])),
    "dropout": numbers_and_junk(0.0, 0.5, 0.999),
    "activation": st.sampled_from(["relu", "relu6", "relu", "relu6", "gelu", None, 1]),
    "padding": st.sampled_from(["symmetric", "keras", "keras", "same", None, 1]),
    "bn_eps": numbers_and_junk(1e-5, 1e-3, 0.5),
    "rounding": st.sampled_from(["tf-slim", "keras", "timm", "timm", "round", None]),
})


@settings(deadline=1000, max_examples=1000, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)  # the same examples in every CI run; explore with --hypothesis-seed=N
@given(st.sampled_from([mc.MobileNetV1, mc.ConvMobileNet, mc.ShallowMobileNet]), ARGUMENTS)
def test_fuzz_constructor_arguments(cls, kwargs):
    try:
        config = check_arguments(**kwargs, blocks=cls.blocks)
    except ValueError as error:
        message = str(error)
        assert any(message.startswith(key) or f"{key}=" in message for key in kwargs), (kwargs, message)
        assert "\n" not in message and len(message) < 400
        with pytest.raises(ValueError, match="^" + re.escape(message.split(" ")[0])):
            cls(**kwargs)  # the constructor refuses it the same way, before allocating
        return
    assert_reads_back(config, cls)
    if cheap(config) and config["in_channels"] <= 16:
        model = cls(**kwargs)
        # The name carries alpha and resolution; the stem (small_input) is an argument, as in from_name's docstring.
        assert mc.from_name(model.name, small_input=model.small_input).name == model.name
        assert {k: getattr(model, k) for k in ("alpha", "resolution", "num_classes", "in_channels", "small_input",
                                               "activation", "padding", "bn_eps", "rounding")} == \
            {k: v for k, v in config.items() if k != "dropout"}


# -- item 12: the budget picker ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("latencies", [{}, {"1.0-MobileNet-224": 5.0}])
def test_budget_picker_refuses_a_partial_latency_table(latencies):
    # before: recommended 1.0-MobileNet-224 (best() only looked at the first grid model)
    with pytest.raises(ValueError, match=r"latency table misses 1[56] of the grid's 16 models: .*0.25-MobileNet-128"):
        BudgetPicker(max_latency_ms=10, latencies=latencies)


@pytest.mark.parametrize("budget", [float("inf"), -1, 0, float("nan"), "5", True])
@pytest.mark.parametrize("key", ["max_mult_adds_m", "max_size_mb", "max_latency_ms"])
def test_budget_picker_refuses_bad_budgets(key, budget):
    latencies = {m.name: m.mult_adds / 20e6 for m in family.grid()}
    with pytest.raises(ValueError, match=f"{key} must be a positive, finite number"):  # best() said None before
        BudgetPicker(**{key: budget}, latencies=latencies)
    picker = BudgetPicker(latencies=latencies)
    with pytest.raises(ValueError, match=f"{key} must be a positive, finite number"):
        setattr(picker, key, budget)


def test_budget_picker_answers_none_only_for_a_budget_nothing_meets():
    latencies = {m.name: m.mult_adds / 20e6 for m in family.grid()}
    picker = BudgetPicker(max_size_mb=np.float32(5), max_latency_ms=np.float64(10), latencies=latencies)
    assert picker.best().size_mb <= 5 and picker.best().latency_ms <= 10
    picker.max_latency_ms = 0.001
    assert picker.best() is None
    with pytest.raises(family.NoModelFits, match="no model meets the budget"):
        family.pick(family.grid(latencies), max_latency_ms=0.001)
    timeless = BudgetPicker()
    timeless.max_latency_ms = 10
    with pytest.raises(ValueError, match="needs a latency table"):
        timeless.best()
    with pytest.raises(ValueError, match=r"latencies\['1.0-MobileNet-224'\] must be a positive"):
        BudgetPicker(latencies={**latencies, "1.0-MobileNet-224": float("nan")})


@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": "0.5"}, "alpha must be a number"), ({"alpha": True}, "alpha must be a number"),
    ({"resolution": 128.0}, "resolution must be a whole number"), ({"num_classes": True}, "num_classes must be"),
    ({"alpha": float("nan")}, "alpha must be a number"),
])
def test_cost_explorer_refuses_wrong_types(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CostExplorer(**kwargs)
    assert CostExplorer(alpha=np.float32(0.5), resolution=np.int64(128)).values()["mult_adds"] == \
        mc.costs.profile(mc.MobileNetV1(0.5, 128)).mult_adds


# -- items 11 and 15: the benchmark --------------------------------------------------------------------------------


def test_benchmark_caps_threads_and_refuses_endless_timing():
    model = mc.MobileNetV1(0.25, 32, 10)
    with pytest.raises(ValueError, match=r"threads must be a whole number in \[1, \d+\], got 10000"):
        bench.benchmark(model, threads=10_000)
    began = time.perf_counter()
    with pytest.raises(ValueError, match=r"min_time_s must be a number in \[0, 3600\], got inf"):
        bench.time_call(lambda: None, min_time_s=float("inf"))  # looped forever before
    with pytest.raises(ValueError, match="runs must be a whole number"):
        bench.time_call(lambda: None, runs=2.5)
    with pytest.raises(ValueError, match="warmup must be a whole number"):
        bench.time_interleaved({"a": lambda: None}, warmup=-1)
    with pytest.raises(ValueError, match="threads must be a whole number"):
        bench.matmul_peak(threads=0)
    assert time.perf_counter() - began < 0.5
    assert checks.max_threads() == 4 * max(checks.usable_cpus(), os.cpu_count())


# -- items 10, 11, 15, 17, 19, 20: one line from the command line, exit status 2 -------------------------------------


def one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    assert err and err[-1].startswith("mobilenet-course: error: "), err
    assert sum(line.startswith("mobilenet-course") for line in err) == 1, err
    return err[-1]


@pytest.mark.parametrize("args, message", [
    (["train", "--lr", "inf"], r"argument --lr: must be a number in \(0, 10\], got inf"),
    (["train", "--lr", "0"], r"argument --lr: must be a number in \(0, 10\], got 0"),
    (["train", "--threads", "0"], r"argument --threads: must be a whole number in \[1, \d+\], got 0"),
    (["train", "--threads", "-1"], "argument --threads: must be a whole number"),
    (["train", "--alpha", "nan"], r"argument --alpha: must be a number in \[0.01, 1.5\], got nan"),
    (["train", "--resolution", "9" * 4000], "argument --resolution: must be a number of at most 30 characters"),
    (["train", "--device", "meta"], "got 'meta'"),
    (["train", "--device", "cuda:7"], "device 'cuda:7'"),
    (["bench", "--model", "0.25-MobileNet-128", "--threads", "10000"], "argument --threads: must be a whole number"),
    (["bench", "--model", "0.25-MobileNet-128", "--min-time", "inf"], r"argument --min-time: .*\[0, 3600\], got inf"),
    (["bench", "--model", "0.25-MobileNet-128", "--runs", "0"], "argument --runs: must be a whole number"),
    (["profile", "1.0-MobileNet-100000"], r"resolution must be a whole number in \[1, 1024\]"),
    (["profile", "1.0-MobileNet-" + "9" * 4000], "a model name has at most 100 characters"),
    (["profile", "1.0-MobileNet-224", "--num-classes", "100000000000"], r"argument --num-classes: .*\[1, 100000\]"),
    (["profile", "1e-9-MobileNet-32"], "cannot read model name"),
    (["profile", "0.001-MobileNet-32"], r"alpha must be a number in \[0.01, 1.5\]"),
    (["nonsense"], "invalid choice: 'nonsense'"),
])
def test_cli_errors_are_one_line_with_status_2(args, message, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    began = time.perf_counter()
    assert cli.main(args) == 2
    assert time.perf_counter() - began < 2, "refused before any work"
    assert re.search(message, one_error_line(capsys))


def test_cli_cifar10_data_folder(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "cifar10", "--data", str(tmp_path)]) == 2
    line = one_error_line(capsys)
    assert f"{tmp_path} is a folder without cifar-10-python.tar.gz in it" in line and "does not exist" not in line


@pytest.mark.parametrize("error", [
    KeyError("model"), AttributeError("'list' object has no attribute 'get'"), IndexError("list index out of range"),
    RuntimeError("Error(s) in loading state_dict for MobileNetV1:\n\tsize mismatch for x: " + "y" * 5000),
    AssertionError("Torch not compiled with CUDA enabled"),
])
def test_cli_any_error_is_one_line_and_debug_shows_the_traceback(error, capsys, monkeypatch):
    # What resuming from a list, a dict without "model" or another alpha's checkpoint raised before (issue 13, 17):
    # whatever the checkpoint code raises, the command line prints one line.
    def fail(args):
        raise error

    monkeypatch.setattr(cli, "_tables", fail)  # build_parser reads it when main builds the parser
    assert cli.main(["tables"]) == 2
    line = one_error_line(capsys)
    assert len(line) < 1200
    if not isinstance(error, (ValueError, OSError, RuntimeError)):
        assert type(error).__name__ in line and "--debug" in line
    with pytest.raises(type(error)):
        cli.main(["--debug", "tables"])
    with pytest.raises(type(error)):
        cli.main(["tables", "--debug"])


def test_cli_resume_from_another_models_checkpoint_is_one_line(tmp_path, capsys, monkeypatch):
    from mobilenet_course import data

    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 255, (96, 1, 28, 28), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (96,), generator=g)
    monkeypatch.setattr(data, "load_fashion_mnist", lambda path=None, **kw: {"train": (images[:64], labels[:64]),
                                                                              "test": (images[64:], labels[64:])})
    ckpt = tmp_path / "ck.pt"
    common = ["train", "--epochs", "1", "--batch-size", "32", "--no-progress", "--threads", "1", "--device", "cpu",
              "--checkpoint", str(ckpt)]
    threads = torch.get_num_threads()
    try:
        assert cli.main(common + ["--alpha", "0.25"]) == 0
        capsys.readouterr()
        assert cli.main(common + ["--alpha", "0.5", "--resume"]) == 2
    finally:
        torch.set_num_threads(threads)
    one_error_line(capsys)
