# Two entry points, both working on a fresh Debian machine (they install what they need):
#   make book   set up, execute every notebook and build the site into _build/html
#   make test   set up and run every test (unit, strict nbval, book build with -W, real-browser checks)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# The course never pins torch for readers; this machine and CI take the CPU build that lies on disk.
TORCH ?= torch==2.13.0
APT_PACKAGES := chromium chromium-driver dataset-fashion-mnist nodejs npm
export OMP_NUM_THREADS ?= 2
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup system book test clean

system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
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

book: setup
	$(VENV)/bin/jupyter-book build . --builder html
	$(PY) -m mobilenet_course.site _build/html

test: setup
	$(PY) -m pytest tests --nbval-sanitize-with tests/sanitize.cfg

clean:
	rm -rf _build $(VENV) node_modules
