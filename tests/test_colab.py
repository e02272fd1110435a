"""The notebooks as Google Colab runs them: a fresh environment with Colab's ipywidgets 7.7, a google.colab module,
each notebook alone in an empty folder, run from its install cell on. The widget tests run there too.

Colab cannot be reached from here; this reproduces what matters of it. Python 3.11: the CPU build of torch for it is
what this machine offers (on 3.12 pip would download a CUDA build of several GB).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-colab"
PY = VENV / "bin" / "python"
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9]*.ipynb"))


def run(*args, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """The Colab-like environment: venv, torch, ipywidgets 7.7, kernel tools, the package as a wheel, IPython startup."""
    marker = VENV / ".ready-ipywidgets-7.7"
    if not marker.exists():
        shutil.rmtree(VENV, ignore_errors=True)
        run(sys.executable, "-m", "venv", VENV)
        run(PY, "-m", "pip", "install", "-q", "torch==2.13.0")
        run(PY, "-m", "pip", "install", "-q", "ipywidgets==7.7.*", "nbclient", "ipykernel", "pytest")
        marker.touch()
    # A package left from an earlier run has the same version: pip would keep it instead of this checkout's.
    run(PY, "-m", "pip", "uninstall", "-q", "-y", "mobilenet-course")
    wheels = tmp_path_factory.mktemp("wheel")
    run(PY, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT)
    wheel = next(wheels.glob("*.whl"))
    ipython = tmp_path_factory.mktemp("ipython")
    (ipython / "profile_default" / "startup").mkdir(parents=True)
    (ipython / "profile_default" / "startup" / "00-colab.py").write_text("import google.colab  # as Colab does\n")
    env = {**os.environ, "IPYTHONDIR": str(ipython), "PYTHONPATH": str(ROOT / "tests" / "colab_stub"),
           "MOBILENET_COURSE_PIP": f"{wheel}[widgets]", "MPLBACKEND": "", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    env.pop("MPLBACKEND")
    return env


def test_colab_environment_has_colabs_ipywidgets(colab):
    out = run(PY, "-c", "import ipywidgets; print(ipywidgets.__version__)", env=colab).stdout
    assert out.startswith("7.7."), out


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_in_colab_from_its_install_cell(colab, notebook, tmp_path):
    # Alone in an empty folder: no cell may depend on files beside the notebook.
    copy = tmp_path / notebook.name
    shutil.copy(notebook, copy)
    run(VENV / "bin" / "jupyter-execute", "--timeout=1200", copy, cwd=tmp_path, env=colab)
    check = run(PY, "-c", "import mobilenet_course, ipywidgets; print(mobilenet_course.__file__, ipywidgets.__version__)",
                env=colab, cwd=tmp_path).stdout
    assert ".venv-colab" in check and " 7.7." in check, "the install cell must install the package, keeping ipywidgets"


def test_widgets_under_ipywidgets_7(colab):
    # The widget tests of the course, in the Colab environment (ipywidgets 7.7).
    run(PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", ROOT / "tests" / "test_widgets.py", cwd=ROOT / "tests",
        env=colab)


def test_cli_runs_with_only_torch(colab, tmp_path):
    # The Colab environment has no onnxruntime and no torchao, like a Raspberry Pi with only torch installed.
    missing = run(PY, "-c", "import importlib.util as u; print(u.find_spec('onnxruntime'), u.find_spec('torchao'))",
                  env=colab, cwd=tmp_path).stdout
    assert missing.split() == ["None", "None"]
    out = run(VENV / "bin" / "mobilenet-course", "bench", "--model", "0.25-MobileNet-128", "--paths",
              "eager,fold_bn,int8,int8_qnnpack,onnxruntime", "--runs", "3", "--warmup", "1", "--min-time", "0",
              "--out", tmp_path / "pi.json", env=colab, cwd=tmp_path).stdout
    assert "int8: skipped, needs torchao" in out and "onnxruntime: skipped, needs onnxruntime" in out, out
    assert [r["path"] for r in json.loads((tmp_path / "pi.json").read_text())] == ["eager", "fold_bn"]
    help_text = run(VENV / "bin" / "mobilenet-course", "bench", "--help", env=colab, cwd=tmp_path).stdout
    assert "--paths" in help_text and "--threads" in help_text
