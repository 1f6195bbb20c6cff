# Bootstraps a local .venv on a fresh machine, compiles the Drift engine (mypyc), then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENGINE := $(VENV)/.engine-built
# every source mypyc type-checks when it compiles the engine (setup.py picks the compiled ones)
SOURCES := $(shell find src -name '*.py')

.PHONY: demo walkthrough test build bench clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	BALLAST_COMPILE=0 $(BIN)/pip install --quiet -e '.[test,compile,sweep,dask]'
	touch $(STAMP)

# in-place C extensions next to the sources; mypyc rewrites only the C of changed modules
$(ENGINE): $(STAMP) $(SOURCES)
	$(BIN)/python setup.py --quiet build_ext --inplace --parallel 2
	touch $(ENGINE)

build: $(ENGINE)

demo: $(ENGINE)
	$(BIN)/ballast backtest examples/sol_bal_30d.toml

walkthrough: $(ENGINE)
	$(BIN)/ballast demo

test: $(ENGINE)
	$(BIN)/ruff check src tests setup.py
	$(BIN)/pytest

bench: $(ENGINE)
	$(BIN)/ballast bench fills

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache runs sweeps build src/ballast/_engine_manifest.json
	find src -name '*.so' -delete
