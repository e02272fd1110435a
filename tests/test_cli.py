"""The command line: every option documented, results written and appended, clear errors."""

import argparse
import json
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
    assert {"profile", "tables", "bench", "train", "report", "make-student", "grade", "make-otter"} <= set(commands)
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


LATENCY_ROW = {"model": "0.25-MobileNet-128", "path": "eager", "batch": 1, "threads": 1, "median_ms": 1.5,
               "p10_ms": 1.0, "p90_ms": 2.0, "runs": 3, "mult_adds": 10, "params": 5,
               "machine": {"cpu": "x", "arch": "y"}}


@pytest.fixture
def no_timing(monkeypatch):
    """`bench` must refuse before timing anything: timing is an error here."""
    def benchmark(*args, **kwargs):
        raise AssertionError("timed before refusing the output file")
    monkeypatch.setattr(bench, "benchmark", benchmark)


MALFORMED = {  # name: (file content, what the error must say); issue 13 items 14, 18 and 20
    "numbers.json": ("[1, 2, 3]", "row 0 is a int (1)"),
    "strings.json": ('["a"]', "row 0 is a str"),
    "object.json": ('{"rows": []}', "holds a JSON list of rows, not a dict"),
    "no_path.json": (json.dumps([{k: v for k, v in LATENCY_ROW.items() if k != "path"}]), "row 0 has no path"),
    "no_p10.json": (json.dumps([{k: v for k, v in LATENCY_ROW.items() if k != "p10_ms"}]), "row 0 has no p10_ms"),
    "machine.json": (json.dumps([{**LATENCY_ROW, "machine": "laptop"}]), "row 0's machine is a str"),
    "nan.json": (json.dumps([{**LATENCY_ROW, "median_ms": "fast"}]), "median_ms is 'fast', not a finite number"),
    "empty.json": ("", "is empty"),
    "corrupt.json": ('[{"model": ', "is not valid JSON (Expecting value"),
    "binary.json": ("\x00\x01\x02", "is not text"),
    "columns.csv": ("model,median_ms\nm,1.5\n", "the CSV has no column path, p10_ms, p90_ms, mult_adds"),
    "number.csv": ("model,path,median_ms,p10_ms,p90_ms,mult_adds\nm,eager,abc,1,2,3\n",
                   "line 2: median_ms is 'abc', not a number"),
    "short.csv": ("model,path,median_ms,p10_ms,p90_ms,mult_adds\nm,eager,1\n", "line 2: not as many values"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_report_on_a_malformed_results_file_is_one_clear_error(tmp_path, capsys, name):
    content, message = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    assert cli.main(["report", str(path), "--out", str(tmp_path / "r.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mobilenet-course: error: {path}") and message in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r.png").exists()


@pytest.mark.parametrize("name", ["numbers.json", "machine.json", "empty.json", "corrupt.json", "binary.json",
                                  "short.csv", "number.csv"])
def test_bench_refuses_a_malformed_out_before_timing(tmp_path, capsys, no_timing, name):
    content, message = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    assert cli.main(["bench", "--model", "0.25-MobileNet-128", "--out", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert path.read_bytes() == content.encode("latin-1"), "the file must stay as it was"


@pytest.mark.parametrize("out, message", [("x.txt", "--out {tmp}/x.txt must end in .json or .csv"),
                                          ("afile/x.json", "afile is not a folder")])
def test_bench_refuses_an_output_it_cannot_write_before_timing(tmp_path, capsys, no_timing, out, message):
    # Issue 13 item 7: bench timed everything before refusing --out x.txt.
    (tmp_path / "afile").write_text("x")
    assert cli.main(["bench", "--model", "0.25-MobileNet-128", "--out", str(tmp_path / out)]) == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err


def test_bench_out_through_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "real.json"
    target.write_text(json.dumps([LATENCY_ROW]))
    (tmp_path / "link.json").symlink_to(target)
    assert cli.main(["bench", "--model", "0.25-MobileNet-128", "--threads", "1", "--runs", "2", "--warmup", "0",
                     "--min-time", "0", "--out", str(tmp_path / "link.json")]) == 0
    assert (tmp_path / "link.json").is_symlink() and len(bench.read_results(target)) == 2


@pytest.mark.parametrize("out, message", [("", "is a folder; give a file name"),
                                          ("plot.txt", "must end in .png or .svg or .pdf")])
def test_report_refuses_an_out_that_is_not_a_plot_file(tmp_path, capsys, out, message):
    # Issue 13 item 14: `report --out dir/` said "wrote dir/" and wrote dir/.png.
    a = bench.bundled_results("grid-latency-amd-epyc-2-cores.json")
    assert cli.main(["report", a, "--out", f"{tmp_path}/{out}"]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", bench.bundled_results())
def test_bundled_results_read_cleanly(name):
    rows = bench.read_results(bench.bundled_results(name), latency=name.startswith("grid"))
    assert rows and all(isinstance(r["machine"], dict) for r in rows)


@pytest.fixture
def no_training(monkeypatch):
    def run_training(**kwargs):
        raise AssertionError("trained before refusing")
    monkeypatch.setattr(cli, "run_training", run_training)


def test_train_refuses_to_overwrite_a_checkpoint_without_resume(tmp_path, capsys, no_training, monkeypatch):
    # Issue 13 item 6: `train --checkpoint old.pt` without --resume silently replaced a checkpoint.
    old = tmp_path / "old.pt"
    old.write_bytes(b"another model's checkpoint")
    assert cli.main(["train", "--checkpoint", str(old)]) == 2
    err = capsys.readouterr().err
    assert f"--checkpoint {old} exists: give --resume to continue it, --force to replace it" in err, err
    assert old.read_bytes() == b"another model's checkpoint"
    monkeypatch.setattr(cli, "run_training", lambda **kwargs: {"test_accuracy": 0.5})
    assert cli.main(["train", "--checkpoint", str(old), "--force"]) == 0
    assert cli.main(["train", "--checkpoint", str(old), "--resume"]) == 0


@pytest.mark.parametrize("option", ["--metrics", "--checkpoint"])
def test_train_refuses_an_output_it_cannot_write_before_training(tmp_path, capsys, no_training, option):
    (tmp_path / "afile").write_text("x")
    assert cli.main(["train", option, str(tmp_path / "afile" / "m.json")]) == 2
    assert f"{option} {tmp_path}/afile/m.json cannot be written" in capsys.readouterr().err


def test_train_prints_the_metrics_when_their_file_cannot_be_written(tmp_path, capsys, monkeypatch):
    # Issue 13 item 7: the final metrics were lost when their write failed.
    from mobilenet_course import train

    monkeypatch.setattr(cli, "run_training", lambda **kwargs: {"test_accuracy": 0.8125, "history": [{"epoch": 1}]})

    def write_metrics(path, metrics):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(train, "write_metrics", write_metrics)
    assert cli.main(["train", "--metrics", str(tmp_path / "m.json")]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1]) == {"test_accuracy": 0.8125, "history": [{"epoch": 1}]}
    assert "could not write --metrics" in captured.err and "printed above" in captured.err


def test_bench_prints_the_rows_when_the_out_file_went_bad_during_timing(tmp_path, capsys, monkeypatch):
    # Issue 13 item 20: a results file that became unreadable while timing threw the measured rows away.
    out = tmp_path / "r.json"
    monkeypatch.setattr(bench, "benchmark", lambda model, **kw: (out.write_text("[1]"), dict(LATENCY_ROW))[1])
    assert cli.main(["bench", "--model", "0.25-MobileNet-128", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1]) == [LATENCY_ROW]
    assert "could not add the rows to --out" in captured.err and "row 0 is a int" in captured.err
