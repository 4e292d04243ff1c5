# The two commands of the README. Each makes its own virtual environment (.venv) first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean

demo: $(STAMP)  ## set up and run the wallet with demo data (SQLite, 127.0.0.1)
	$(BIN)/anxin demo

test: $(STAMP)  ## set up and run the whole test suite (SQLite and, if reachable, PostgreSQL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)  ## benchmarks, JSON out (not part of `make test`)
	$(BIN)/python -m pytest tests/bench -q -s -o python_files="bench_*.py" $(PYTEST_ARGS)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Anxin needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
