# pockit — set-up is two commands: `make demo` and `make test`.
# Everything a fresh machine (Python 3.11, pip, apt) lacks is installed by these targets.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# pytest processes for `make test` (pytest-xdist): 2 took the suite from 15 to 8 minutes on a
# 2-core VM; `make test PYTEST_WORKERS=0` runs it in one process
PYTEST_WORKERS ?= 2
# Debian packages the real-component tests and benchmarks use.
SYSTEM_PACKAGES := chromium prometheus nginx-light jmeter jmeter-http poppler-utils

.DEFAULT_GOAL := help
.PHONY: help install install-dev system-deps demo test lint typecheck pytest fuzz bench lab clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=python3)"; exit 64; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# __init__ holds the version; scripts/hatch_build.py compiles the capture's C extension
$(VENV)/.stamp-runtime: pyproject.toml pockit/__init__.py scripts/hatch_build.py pockit/load/_crecord.c | $(PY)
	$(PY) -m pip install --quiet -e .
	@$(PY) -c "import pockit.load._crecord" 2>/dev/null || echo "note: the capture runs in pure Python (its C extension was not built: no C compiler or Python headers?); see README, Set-up"
	$(PY) -m ipykernel install --sys-prefix --name pockit --display-name "Python (pockit)" >/dev/null
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-runtime
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.stamp-runtime  ## create .venv, install pockit, register the "pockit" Jupyter kernel

install-dev: $(VENV)/.stamp-dev  ## install with test and lab tools

system-deps:  ## install Debian's chromium, prometheus and nginx when missing (tests, benchmarks)
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

demo: install  ## run the whole demo and print the report's path
	$(BIN)/pockit demo

lint: install-dev
	$(BIN)/ruff check pockit tests benchmarks scripts
	$(BIN)/ruff format --check pockit tests benchmarks scripts

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev system-deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

test: lint typecheck pytest  ## install, then ruff, mypy and pytest

fuzz: install-dev  ## generated hostile input through the CLI, the long profile (make test runs a short one)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q tests/fuzz

bench: install-dev system-deps  ## run the benchmarks in benchmarks/ (speed as ratios to a baseline)
	@failed=""; broken=""; for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b; rc=$$?; \
	  if [ $$rc -eq 1 ]; then failed="$$failed $$b"; elif [ $$rc -ne 0 ]; then broken="$$broken $$b"; fi; echo; done; \
	if [ -n "$$failed" ]; then echo "missed their targets:$$failed"; fi; \
	if [ -n "$$broken" ]; then echo "could not measure (exit status other than 0 or 1):$$broken"; exit 3; fi; \
	if [ -n "$$failed" ]; then exit 1; fi

lab: install-dev  ## open JupyterLab on notebooks/ with the pockit kernel
	$(BIN)/jupyter lab --notebook-dir notebooks

clean:  ## remove .venv, generated reports and runs
	rm -rf $(VENV) runs reports/*.html reports/*.eml build pockit/load/_crecord.*.so
