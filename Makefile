# Two entry points, each creating its own virtual environment on first use:
#   make report   set up (the report extra only: no torch, no jax), then write the whole
#                 reports/ folder (the committed, quick version)
#   make test     set up (the test extra: everything), then run ruff and the test suite (a worker
#                 per CPU)
#   make report-full   the same pages with larger experiments, into reports-full/
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: report report-full test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# one stamp per extra installed into the environment, remade when pyproject.toml changes
$(BIN)/.installed-%: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[$*]'
	touch $@

report: $(BIN)/.installed-report
	$(BIN)/wdtheory report --out reports --quick --questions questions.toml

report-full: $(BIN)/.installed-report
	$(BIN)/wdtheory report --out reports-full --questions questions.toml

test: $(BIN)/.installed-test
	$(BIN)/ruff check wdtheory tests benchmarks examples
	$(BIN)/python -m pytest -n auto --dist loadgroup

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
