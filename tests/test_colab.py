"""The notebooks as Google Colab runs them: a fresh environment with Colab's ipywidgets 7.7, a google.colab module,
an empty folder, each notebook's install cell first. The widget tests run there too.

Colab cannot be reached from here; this reproduces what matters of it. Python 3.11: the CPU build of torch for it is
what this machine offers (on 3.12 pip would download a CUDA build of several GB).

It checks what only it can check: that the install cell installs this package without upgrading ipywidgets, that
everything the notebooks import comes from the installed package (nothing beside the notebook), that the widgets
work on ipywidgets 7.7, and that the Colab edition's chapters (colab/, which the book's Colab buttons open) run whole
there, every one of them. Chapter 7 (training: the longest chapter) is run there under nbval, its outputs compared
with the stored ones, and `make test` leaves it out of the nbval run of book/: its Colab edition has the same code
cells and stored outputs (tests/test_colab_edition.py checks that colab/ is what book/ gives), so one run checks
both, where two would take the test run past CI's time budget.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

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
    """The Colab-like environment: venv, torch, ipywidgets 7.7, Keras 3, kernel tools, the package as a wheel, IPython
    startup."""
    marker = VENV / ".ready-ipywidgets-7.7-nbval-keras"
    if not marker.exists():
        shutil.rmtree(VENV, ignore_errors=True)
        run(sys.executable, "-m", "venv", VENV)
        run(PY, "-m", "pip", "install", "-q", "torch==2.13.0")
        run(PY, "-m", "pip", "install", "-q", "ipywidgets==7.7.*", "nbclient", "ipykernel", "pytest", "nbval")
        run(PY, "-m", "pip", "install", "-q", "keras>=3.5")  # Colab has Keras 3 (chapter 6 runs it on torch)
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


def code_cells(notebook: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]


def test_every_notebook_opens_with_the_same_install_cell():
    # the book's chapters and their Colab editions (colab/, what the launch buttons open)
    editions = sorted((ROOT / "colab").glob("[0-9]*.ipynb"))
    assert len(editions) == len(NOTEBOOKS), f"colab/ has {len(editions)} chapters, book/ {len(NOTEBOOKS)}"
    first = {str(notebook.relative_to(ROOT)): code_cells(notebook)[0] for notebook in [*NOTEBOOKS, *editions]}
    assert len(set(first.values())) == 1, f"install cells differ: {sorted(first)}"
    cell = next(iter(first.values()))
    assert 'if "google.colab" in sys.modules:' in cell and "%pip install" in cell, cell


def imports_of(notebook: Path) -> list[str]:
    """Every import statement of a notebook's code cells (cells with IPython magics are skipped)."""
    found = []
    for source in code_cells(notebook)[1:]:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        found += [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    return found


def execute(colab: dict, folder: Path, cells: list[str]) -> str:
    """Run ``cells`` as one notebook in the Colab environment, in ``folder``; returns its printed output."""
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = folder / "check.ipynb"
    nbformat.write(notebook, path)
    run(VENV / "bin" / "jupyter-execute", "--inplace", "--timeout=600", path, cwd=folder, env=colab)
    executed = json.loads(path.read_text())
    return "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))


def test_install_cell_installs_the_package_and_every_notebook_import_resolves(colab, tmp_path):
    # In an empty folder, after the install cell: every module any chapter imports must come from the installed
    # package or its dependencies, and ipywidgets must still be Colab's 7.7.
    imports = sorted({line for notebook in NOTEBOOKS for line in imports_of(notebook)})
    assert "import mobilenet_course as mc" in imports, imports
    printed = execute(colab, tmp_path, [code_cells(NOTEBOOKS[0])[0], "\n".join(imports),
                                        "import mobilenet_course, ipywidgets\n"
                                        "print(mobilenet_course.__file__, ipywidgets.__version__)"])
    assert ".venv-colab" in printed and " 7.7." in printed, printed


# The Colab edition's notebooks (colab/, what the book's Colab buttons open) run whole there, from their install cell
# on: "Run all" runs through the exercise stubs (their checks answer with a reminder) and the solutions in Colab's
# form view. Chapter 7 runs under nbval below.
EDITION_RUN = ["01_standard_convolution", "02_depthwise_separable", "03_architecture", "04_width_multiplier",
               "05_resolution_multiplier", "06_model_family", "08_benchmarking", "09_paper_experiments"]


def test_every_chapter_is_run_in_colab():
    chapters = {p.stem for p in (ROOT / "colab").glob("[0-9]*.ipynb")}
    assert chapters == {*EDITION_RUN, NBVAL_IN_COLAB}, chapters ^ {*EDITION_RUN, NBVAL_IN_COLAB}


NBVAL_IN_COLAB = "07_training"


def test_chapter_7_colab_edition_runs_in_colab_and_gives_the_stored_outputs(colab, tmp_path):
    # What nbval checks for the other chapters in book/, for chapter 7 from its Colab edition, in the Colab-like
    # environment: every cell runs, and every output equals the stored one (sanitized as for book/). What differs
    # there by nature is not compared: the install cell's output (pip's messages), the stubs' (the site shows none;
    # run, they print the check's reminder), and the glue records, which myst-nb (the book's build, not installed in
    # Colab) stores for the site's text and which Colab never shows.
    notebook = json.loads((ROOT / "colab" / f"{NBVAL_IN_COLAB}.ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    for cell in [code[0], *(c for c in code if "exercise" in c["metadata"])]:
        cell["metadata"].setdefault("tags", []).append("nbval-ignore-output")
    for cell in code:
        cell["outputs"] = [o for o in cell["outputs"]
                           if not all(k.startswith("application/papermill.record") for k in o.get("data", {"": 0}))]
    copy = tmp_path / f"{NBVAL_IN_COLAB}.ipynb"
    copy.write_text(json.dumps(notebook))
    run(PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-sanitize-with",
        ROOT / "tests" / "sanitize.cfg", "--nbval-cell-timeout=1500", copy, cwd=tmp_path, env=colab)


@pytest.mark.parametrize("name", EDITION_RUN)
def test_colab_edition_chapter_runs_whole_in_colab(colab, tmp_path, name):
    # Chapter 4 builds the cost explorer (an anywidget) under ipywidgets 7.7.
    notebook = ROOT / "colab" / f"{name}.ipynb"
    assert notebook.is_file(), f"{notebook} missing: run `make colab`"
    copy = tmp_path / notebook.name
    shutil.copy(notebook, copy)
    run(VENV / "bin" / "jupyter-execute", "--inplace", "--timeout=600", copy, cwd=tmp_path, env=colab)
    cells = json.loads(copy.read_text())["cells"]
    solutions = [c for c in cells if "solution" in c["metadata"]]
    stubs = [c for c in cells if "exercise" in c["metadata"]]
    assert len(solutions) == len(stubs) >= 3, name
    for cell in solutions:  # the folded solutions ran and their checks said so
        assert cell["metadata"].get("cellView") == "form" and "".join(cell["source"]).startswith("#@title Solution")
        text = json.dumps(cell["outputs"])
        assert "Correct" in text, f"{name}: {''.join(cell['source'])[:60]!r} printed {text[:300]}"
    for cell in stubs:  # a stub ran without an error and its check answered
        text = json.dumps(cell["outputs"])
        assert "Not yet" in text and '"error"' not in text, f"{name}: {''.join(cell['source'])[:60]!r}: {text[:300]}"


def test_widgets_under_ipywidgets_7(colab):
    # The widget tests of the course, in the Colab environment (ipywidgets 7.7).
    run(PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", ROOT / "tests" / "test_widgets.py", cwd=ROOT / "tests",
        env=colab)


def test_cli_runs_with_only_torch(colab, tmp_path):
    # The Colab environment has no onnxruntime, torchao or executorch, like a Raspberry Pi with only torch installed.
    missing = run(PY, "-c", "import importlib.util as u; print(*(u.find_spec(m) for m in "
                  "('onnxruntime', 'torchao', 'executorch')))", env=colab, cwd=tmp_path).stdout
    assert missing.split() == ["None", "None", "None"]
    out = run(VENV / "bin" / "mobilenet-course", "bench", "--model", "0.25-MobileNet-128", "--paths",
              "eager,fold_bn,int8,executorch,onnxruntime", "--runs", "3", "--warmup", "1", "--min-time", "0",
              "--out", tmp_path / "pi.json", env=colab, cwd=tmp_path).stdout
    for path, package in [("int8", "torchao"), ("executorch", "executorch"), ("onnxruntime", "onnxruntime")]:
        assert f"{path}: skipped, needs {package}" in out, out
    assert [r["path"] for r in json.loads((tmp_path / "pi.json").read_text())] == ["eager", "fold_bn"]
    export_help = run(VENV / "bin" / "mobilenet-course", "export", "--help", env=colab, cwd=tmp_path).stdout
    assert "--int8" in export_help and "--format" in export_help
    help_text = run(VENV / "bin" / "mobilenet-course", "bench", "--help", env=colab, cwd=tmp_path).stdout
    assert "--paths" in help_text and "--threads" in help_text and "--pte" in help_text and "--onnx" in help_text
