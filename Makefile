# LogLens developer commands. `make run` and `make test` are the two a new user needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps, one per lock: `make run` needs only the runtime set (requirements-runtime.lock, about 100 MB);
# `make test`, `make lint` and `make bench` add the test and dev groups and the ClickHouse driver (requirements.lock,
# a superset with the same pins). So `make run` after `make test` installs nothing, and `make test` after `make run`
# installs only what the runtime set lacks.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
VENDOR := src/loglens/web/static/vendor
HOST ?= 127.0.0.1
# PORT is empty unless given (`make run PORT=8080`): then server.port from config.yaml / LOGLENS_SERVER_PORT applies.
PORT ?=
# stored entries for bench/search.py (each store is filled once, then reused from $LOGLENS_BENCH_DIR)
SEARCH_BENCH_ENTRIES ?= 1000000 10000000
# stored entries for bench/stats.py (cached in $LOGLENS_BENCH_DIR the same way; both backends)
STATS_BENCH_ENTRIES ?= 1000000 10000000

.PHONY: install install-runtime run test test-fast test-clickhouse bench bench-clickhouse lint format dist system-deps \
	screenshots clean

# what `make run` needs: the runtime set, loglens itself (editable) and the dashboard's Chart.js
install-runtime: $(RUNTIME_STAMP) $(VENDOR)/chart.umd.min.js

# everything: tests, lint, benchmarks (.ci/run calls this)
install: install-runtime $(DEV_STAMP)

$(RUNTIME_STAMP): requirements-runtime.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-runtime.lock -e .
	touch $@

$(DEV_STAMP): requirements.lock $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

# Chart.js for the dashboard, Swagger UI for the API reference page (/docs); --ignore-scripts: swagger-ui-dist's
# dependency @scarf/scarf would otherwise report the install to its maker
$(VENDOR)/chart.umd.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent --ignore-scripts
	mkdir -p $(VENDOR)
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chart.umd.min.js
	cp node_modules/chart.js/LICENSE.md $(VENDOR)/chart.js.LICENSE.md
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/
	cp node_modules/swagger-ui-dist/LICENSE $(VENDOR)/swagger-ui.LICENSE
	cp node_modules/swagger-ui-dist/NOTICE $(VENDOR)/swagger-ui.NOTICE

run: install-runtime
	$(BIN)/loglens serve --host $(HOST) $(if $(PORT),--port $(PORT))

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The edit loop: unit, api and store tests without the long runs (marked slow) and the one live server among them
# (marked server). `make test` runs everything, these included.
test-fast: install
	$(BIN)/python -m pytest tests/unit tests/api tests/store -m "not slow and not server" $(PYTEST_ARGS)

# The app-level suites again, with every app on a ClickHouse store (the tests start their own clickhouse-server).
test-clickhouse: install
	TEST_STORE_BACKEND=clickhouse $(BIN)/python -m pytest tests/api tests/unit -m "not sqlite_only" $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/before.py
	$(BIN)/python bench/protocols.py
	$(BIN)/python bench/dashboard_cost.py
	$(BIN)/python bench/dashboard_burst.py
	$(BIN)/python bench/auth_cost.py
	$(BIN)/python bench/silence_cost.py
	$(BIN)/python bench/search.py $(foreach n,$(SEARCH_BENCH_ENTRIES),--entries $(n))
	$(BIN)/python bench/stats.py $(foreach n,$(STATS_BENCH_ENTRIES),--entries $(n))
	$(BIN)/python bench/exactly_once.py --entries 100000
	$(BIN)/python bench/export.py
	$(BIN)/python bench/syslog.py
	$(BIN)/python bench/alert_rules.py --entries 1000000
	if command -v clickhouse-server >/dev/null; then $(BIN)/python bench/clickhouse.py; \
	else echo "bench: clickhouse-server not installed (make system-deps): ClickHouse mode skipped"; fi

# ClickHouse mode alone: LogLens on a local clickhouse-server vs direct inserts, 1 vs 2 nodes, bytes per entry.
bench-clickhouse: install
	$(BIN)/python bench/clickhouse.py

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Debian packages the tests need: Chromium for Playwright, ClickHouse (18.16; the tests start their own servers on
# free loopback ports, the package's service is never started), rsyslog and util-linux's logger (syslog senders;
# the tests run their own rsyslogd in the foreground), rsyslog's omelasticsearch (the Elasticsearch bulk test).
# Run as root; .ci/run calls it.
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver clickhouse-server clickhouse-client \
		rsyslog rsyslog-elasticsearch bsdutils openssl prometheus-alertmanager >/dev/null

# an sdist and a wheel in dist/, both carrying the dashboard's Chart.js and its licence (vendor/, not in git)
dist: install
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

screenshots: install
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) dist build .pytest_cache .mypy_cache .ruff_cache
