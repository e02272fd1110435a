"""The chapters' set-up: never more torch threads than the CPUs the process may use."""

import shutil
import subprocess
import sys

import pytest

SETUP = "import torch, mobilenet_course as mc; mc.notebook.setup(); print(torch.get_num_threads())"


@pytest.mark.skipif(shutil.which("taskset") is None, reason="needs taskset (util-linux)")
def test_setup_uses_one_thread_when_pinned_to_one_cpu():
    # `taskset -c 0 make book`: two OpenMP threads on one CPU wait on each other and training runs many times slower.
    pinned = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", SETUP], capture_output=True, text=True)
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.split() == ["1"]


def test_setup_uses_two_threads_where_two_cpus_are_usable():
    import mobilenet_course as mc

    if mc.checks.usable_cpus() < 2:
        pytest.skip("this machine lets the process use one CPU")
    free = subprocess.run([sys.executable, "-c", SETUP], capture_output=True, text=True)
    assert free.stdout.split() == ["2"], free.stderr
