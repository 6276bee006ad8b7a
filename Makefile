# Quickstart targets: each creates .venv with the package and its test extra when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast nojit bench warmup compat docs clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cpted-sim demo --out demo_out

# The whole suite, one pytest-xdist worker process per core (tests/conftest.py shares the cores'
# Numba threads out among the workers). `make test TEST_WORKERS=0` runs it in this one process.
# worksteal: a worker that runs dry takes half of the other's queue, so the long subprocess
# tests near the end do not leave one core idle (docs/performance.md, issue 16: suite).
TEST_WORKERS ?= auto
TEST_ARGS := -q -n $(TEST_WORKERS) --dist worksteal

test: $(STAMP)
	$(PY) -m pytest $(TEST_ARGS) tests

# A developer's shortcut: the suite without the tests marked slow (make test runs them all).
test-fast: $(STAMP)
	$(PY) -m pytest $(TEST_ARGS) -m "not slow" tests

# The kernels as plain Python (no compilation: a debugger can step through them), on the
# tests marked ``nojit`` (small inputs; tests/kernels/test_nojit.py keeps every kernel covered).
nojit: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q -m nojit tests

bench: $(STAMP)
	$(PY) -m pytest -q benchmarks --benchmark-only

warmup: $(STAMP)
	$(VENV)/bin/cpted-sim warmup

# Lowest and highest allowed numba, each in a throw-away venv, kernel tests on both (slow;
# record the result in docs/compatibility.md).
compat:
	PYTHON=$(PYTHON) NUMBA_NUM_THREADS=1 tools/compat.sh

DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(PY) -m sphinx -b html docs docs/_build/html

clean:
	rm -rf $(VENV) demo_out .pytest_cache .benchmarks docs/_build docs/auto_examples
