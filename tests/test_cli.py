"""The command line: every option documented, results written and appended, clear errors."""

import argparse
import platform

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import mobilenet_course as mc
from mobilenet_course import bench, cli


def subparsers():
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_help_documents_every_option():
    commands = subparsers()
    assert {"profile", "tables", "bench", "train", "report", "make-student", "make-instructor"} <= set(commands)
    for name, parser in commands.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"`mobilenet-course {name}` option {action.option_strings or action.dest} has no help"
            shown = action.option_strings or [action.dest]
            assert any(option in parser.format_help() for option in shown), f"{shown} missing from `{name} --help`"


def test_bench_prints_and_appends_rows(tmp_path, capsys):
    out = tmp_path / "results.json"
    args = ["bench", "--model", "0.25-MobileNet-128", "--paths", "eager,channels_last", "--threads", "1",
            "--runs", "3", "--warmup", "1", "--min-time", "0", "--out", str(out)]
    assert cli.main(args) == 0
    assert cli.main(args) == 0
    rows = bench.read_results(out)
    assert [r["path"] for r in rows] == ["eager", "channels_last"] * 2
    assert all(r["threads"] == 1 and r["median_ms"] > 0 and r["p10_ms"] <= r["median_ms"] <= r["p90_ms"] for r in rows)
    assert rows[0]["machine"]["arch"] == platform.machine()
    assert rows[0]["mult_adds"] == mc.costs.profile(mc.from_name("0.25-MobileNet-128")).mult_adds
    printed = capsys.readouterr().out
    assert "0.25-MobileNet-128" in printed and "wrote 2 rows" in printed


def test_results_as_csv_round_trip(tmp_path):
    row = {"model": "m", "path": "eager", "batch": 1, "threads": 2, "median_ms": 1.5, "p10_ms": 1.0, "p90_ms": 2.0,
           "runs": 3, "mult_adds": 10, "params": 5, "machine": {"cpu": "x", "arch": "y"}}
    bench.write_results([row], tmp_path / "r.csv")
    bench.write_results([row], tmp_path / "r.csv")
    back = bench.read_results(tmp_path / "r.csv")
    assert back == [row, {**row}]
    with pytest.raises(ValueError, match=".json or .csv"):
        bench.write_results([row], tmp_path / "r.txt")


def test_report_plots_several_files(tmp_path):
    a = bench.bundled_results("grid-latency-amd-epyc-2-cores.json")
    assert cli.main(["report", a, a, "--out", str(tmp_path / "cmp.png")]) == 0
    assert (tmp_path / "cmp.png").stat().st_size > 10_000


@pytest.mark.parametrize("args, message", [
    (["bench", "--model", "2.0-MobileNet-999"], "alpha must be a number"),
    (["bench", "--model", "nonsense"], "cannot read model name"),
    (["bench", "--model", "0.5-MobileNet-160", "--paths", "tensorrt"], "unknown path 'tensorrt'"),
    (["bench"], "either --model NAME"),
    (["report", "/no/such/file.json"], "No such file"),
])
def test_errors_exit_2_with_a_message(args, message, capsys):
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def test_profile_and_tables(capsys):
    assert cli.main(["profile", "0.5-MobileNet-160"]) == 0
    # The total, counted independently: torch's FLOP counter counts 2 FLOPs per mult-add of conv and linear layers.
    with FlopCounterMode(display=False) as counter:
        mc.from_name("0.5-MobileNet-160")(torch.zeros(1, 3, 160, 160))
    assert f"{counter.get_total_flops() / 2 / 1e6:.1f} million mult-adds" in capsys.readouterr().out
    assert cli.main(["tables"]) == 0
    printed = capsys.readouterr().out
    assert "Table 6: width multiplier" in printed and "Conv dw / s1   3 x 3 x 1024 dw" in printed
