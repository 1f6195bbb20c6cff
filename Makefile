# Bootstraps a local .venv on a fresh machine, compiles the Drift engine (mypyc), then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENGINE := $(VENV)/.engine-built
# every source mypyc type-checks when it compiles the engine (setup.py picks the compiled ones)
SOURCES := $(shell find src -name '*.py')

.PHONY: demo walkthrough test build bench clean postgres

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	BALLAST_COMPILE=0 $(BIN)/pip install --quiet -e '.[test,compile,sweep,dask,serve]'
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

# the service tests start a throwaway PostgreSQL server (tests/service/postgres.py): install the
# Debian `postgresql` package when no initdb is found (as root; otherwise say what to install)
postgres:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		:; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing the Debian postgresql package (for the service tests)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends postgresql \
		|| { apt-get update && apt-get install -y --no-install-recommends postgresql; }; \
	else \
		echo "warning: no PostgreSQL server binaries (initdb); the service tests need them:" >&2; \
		echo "  sudo apt-get install -y --no-install-recommends postgresql" >&2; \
	fi

test: $(ENGINE) postgres
	$(BIN)/ruff check src tests setup.py
	$(BIN)/pytest

bench: $(ENGINE)
	$(BIN)/ballast bench fills

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache runs sweeps build src/ballast/_engine_manifest.json
	find src -name '*.so' -delete
