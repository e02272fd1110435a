# Two entry points, both working on a fresh Debian machine (they install what they need):
#   make book   set up, execute every notebook and build the site into _build/html
#   make test   set up and run every test (unit, doctests, strict nbval, book build with -W, real-browser checks)
#   make quick  set up and run the tests not marked slow (under 2 minutes)
#   make colab  write the Colab edition of the chapters into colab/ (make book writes it too); commit it
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# The course never pins torch for readers; this machine and CI take the CPU build that lies on disk.
TORCH ?= torch==2.13.0
# Debian packages, each checked by a file it provides: headless Chromium for the browser tests, Fashion-MNIST for
# the training chapter (so nothing is downloaded), Node.js and npm for the site's front-end files.
APT_NEEDS := /usr/bin/chromium:chromium /usr/bin/chromedriver:chromium-driver \
	/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz:dataset-fashion-mnist \
	/usr/bin/node:nodejs /usr/bin/npm:npm
# Two threads, or fewer where fewer CPUs are usable (`taskset -c 0 make book`): more threads than CPUs make OpenMP's
# threads wait on each other and a training cell runs many times slower.
export OMP_NUM_THREADS ?= $(shell n=$$(nproc); echo $$(( n < 2 ? n : 2 )))
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup system book test quick colab clean

system:
	@missing=$$(for need in $(APT_NEEDS); do [ -e "$${need%%:*}" ] || echo "$${need#*:}"; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml package.json
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[test,deploy]"
	npm ci --no-audit --no-fund --silent
	touch $@

setup: system $(VENV)/.installed

# Notebooks run through Jupyter Book's execution cache: a second build re-executes only the notebooks that changed.
# Each notebook's execution time is printed at the end (book/_ext/execution_report.py).
book: setup
	$(VENV)/bin/jupyter-book build . -W --builder html
	@echo "The book is in _build/html/index.html"

# The chapters in plain Markdown for Google Colab, from the notebooks' stored outputs (mobilenet_course/colab_edition.py).
colab: setup
	$(PY) -m mobilenet_course.colab_edition

# --doctest-modules mobilenet_course runs every docstring example of the package (a few seconds). Chapter 7 (training,
# the longest chapter) is checked by nbval from its Colab edition in the Colab-like environment (tests/test_colab.py),
# whose code cells and outputs are book/'s: left out here, it runs once, not twice.
test: setup
	$(PY) -m pytest --nbval --nbval-sanitize-with tests/sanitize.cfg --doctest-modules --durations=40 \
	  --ignore=book/07_training.ipynb mobilenet_course tests book

quick: setup
	$(PY) -m pytest -m "not slow" --durations=10 tests

clean:
	rm -rf _build $(VENV) node_modules
