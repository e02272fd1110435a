"""Safe writes: atomic files, stale temporaries removed, results appended under a lock, outputs checked first."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mobilenet_course import bench, files

ROOT = Path(__file__).resolve().parents[1]

APPEND = """
import sys, time
from pathlib import Path
from mobilenet_course import bench
out, who, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
(go / who).touch()
while len(list(go.iterdir())) < 2:  # start together, so that the appends overlap
    time.sleep(0.001)
for i in range(n):
    bench.write_results([{"model": who, "i": i, "machine": {"cpu": who}}], out)
"""


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_two_processes_appending_at_once_keep_every_row(tmp_path, suffix):
    # Issue 13 item 4: without a lock two processes appending 50 rows each left 54 (JSON) and 85 (CSV) of 100.
    out, go = tmp_path / f"results{suffix}", tmp_path / "go"
    go.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", APPEND, str(out), who, "200", str(go)], env=env,
                              stderr=subprocess.PIPE, text=True) for who in ("a", "b")]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    rows = bench.read_results(out)
    for who in ("a", "b"):
        assert sorted(int(r["i"]) for r in rows if r["model"] == who) == list(range(200)), f"rows of {who} lost"
    assert len(rows) == 400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", out.name, out.name + ".lock"], "temporaries left"


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_of_killed_writers_are_removed_on_the_next_write(tmp_path):
    # Issue 13 item 5: killed writes left .ck.pt.*.tmp files behind for good (56 MB after 10 kills).
    dead = tmp_path / f".x.json.tmp-{dead_pid()}-abc123.tmp"
    alive = tmp_path / f".x.json.tmp-{os.getpid()}-def456.tmp"  # a write in progress: must stay
    old = tmp_path / ".x.json.k2j4h5.tmp"  # the format before the PID was in the name, an hour old
    young = tmp_path / ".x.json.a1b2c3.tmp"
    other = tmp_path / f".y.json.tmp-{dead_pid()}-abc123.tmp"  # another file's: left to its own next write
    for f in (dead, alive, old, young, other):
        f.write_text("half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    with files.atomic_write(tmp_path / "x.json") as f:
        f.write("[]")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, young.name, other.name, "x.json"])


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "x.json").write_text("old")
    with pytest.raises(RuntimeError):
        with files.atomic_write(tmp_path / "x.json") as f:
            f.write("new, half")
            raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"] and (tmp_path / "x.json").read_text() == "old"


def test_writing_through_a_symlink_writes_its_target(tmp_path):
    # Issue 13 item 14: `bench --out link.json` replaced the link with a file.
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "results.json"
    bench.write_results([{"model": "a"}], target)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    bench.write_results([{"model": "b"}], link)
    assert link.is_symlink(), "the link must stay a link"
    assert [r["model"] for r in json.loads(target.read_text())] == ["a", "b"]


@pytest.mark.parametrize("path, suffixes, message", [
    ("{tmp}/out.txt", (".json", ".csv"), "must end in .json or .csv, not '.txt'"),
    ("{tmp}/", None, "is a folder; give a file name"),
    ("{tmp}/afile/out.json", None, "afile is not a folder"),
    ("{tmp}/afile/deeper/out.json", None, "afile is not a folder"),
])
def test_check_output_refuses_what_cannot_be_written(tmp_path, path, suffixes, message):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match=message):
        files.check_output(path.format(tmp=tmp_path), what="--out", suffixes=suffixes)
    assert files.check_output(tmp_path / "new" / "folder" / "out.json", suffixes=(".json",)).name == "out.json"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_check_output_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    with pytest.raises(ValueError, match="is not writable"):
        files.check_output(folder / "m.json", what="--metrics")
