# Two entry points, each creating its own virtual environment on first use:
#   make report   set up, then write the whole reports/ folder (the committed, quick version)
#   make test     set up, then run ruff and the test suite (a worker per CPU)
#   make report-full   the same pages with larger experiments, into reports-full/
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: report report-full test clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

report: $(BIN)/.installed
	$(BIN)/wdtheory report --out reports --quick

report-full: $(BIN)/.installed
	$(BIN)/wdtheory report --out reports-full

test: $(BIN)/.installed
	$(BIN)/ruff check wdtheory tests benchmarks
	$(BIN)/python -m pytest -n auto --dist loadgroup

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
