# Bootstraps a local .venv on a fresh machine, compiles the Drift engine (mypyc), then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENGINE := $(VENV)/.engine-built
# every source mypyc type-checks when it compiles the engine (setup.py picks the compiled ones)
SOURCES := $(shell find src -name '*.py')

.PHONY: demo walkthrough test build bench clean postgres chromium vendor

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

# the page tests drive the Debian chromium package through Playwright: install it when absent
chromium:
	@if command -v chromium >/dev/null 2>&1; then \
		:; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing the Debian chromium package (for the page tests)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends chromium \
		|| { apt-get update && apt-get install -y --no-install-recommends chromium; }; \
	else \
		echo "warning: no chromium; the page tests need it:" >&2; \
		echo "  sudo apt-get install -y --no-install-recommends chromium" >&2; \
	fi

test: $(ENGINE) postgres chromium
	$(BIN)/ruff check src tests setup.py
	$(BIN)/pytest

bench: $(ENGINE)
	$(BIN)/ballast bench fills

# the pages' and reports' JavaScript, fetched from the npm registry once and committed (neither CI
# nor users need Node): htmx, its server-sent-events extension, Apache ECharts (every chart)
VENDOR := src/ballast/web/static/vendor
vendor:
	rm -rf $(VENDOR).tmp && mkdir -p $(VENDOR).tmp
	cd $(VENDOR).tmp && npm pack --silent htmx.org@2.0.11 htmx-ext-sse@2.2.4 echarts@6.1.0 >/dev/null
	cd $(VENDOR).tmp && for f in *.tgz; do mkdir -p $${f%.tgz} && tar -xzf $$f -C $${f%.tgz}; done
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cp $(VENDOR).tmp/htmx.org-2.0.11/package/dist/htmx.min.js $(VENDOR)/htmx-2.0.11.min.js
	cp $(VENDOR).tmp/htmx.org-2.0.11/package/LICENSE $(VENDOR)/htmx-LICENSE
	cp $(VENDOR).tmp/htmx-ext-sse-2.2.4/package/dist/sse.min.js $(VENDOR)/htmx-ext-sse-2.2.4.min.js
	cp $(VENDOR).tmp/echarts-6.1.0/package/dist/echarts.min.js $(VENDOR)/echarts-6.1.0.min.js
	cp $(VENDOR).tmp/echarts-6.1.0/package/LICENSE $(VENDOR)/echarts-LICENSE
	cp $(VENDOR).tmp/echarts-6.1.0/package/NOTICE $(VENDOR)/echarts-NOTICE
	rm -rf $(VENDOR).tmp

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache runs sweeps build src/ballast/_engine_manifest.json
	find src -name '*.so' -delete
