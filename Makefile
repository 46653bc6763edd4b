# StitchEngage: `make demo` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_ENV := DEBUG=true

.PHONY: demo test test-fast screenshots lint format package bench-admin bench-scoring bench-nightly bench-drafts bench-prune bench-import bench-api bench-load bench-offer-guard bench-fit bench-backtests clean

$(STAMP): requirements.txt requirements-deploy.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

system-packages:
	@scripts/ensure_system_packages.sh

## demo: install, migrate, seed, run the pipeline, serve the admin on :8000
demo: $(STAMP)
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py demo_setup
	@echo "Serving the admin on http://127.0.0.1:8000/admin/ (Ctrl-C to stop)"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

## test: install, start throwaway PostgreSQL + Redis, run every test, stop them
test: $(STAMP) system-packages
	$(PY) -m pytest -q $(PYTEST_ARGS)

## test-fast: skip the tests that start a Celery worker or a browser
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not worker and not browser and not slow" $(PYTEST_ARGS)

## package: build the Lambda package (no AWS account needed; see README "Deploy")
STAGE ?= production
package:
	$(PYTHON) scripts/package_lambda.py $(STAGE)

## screenshots: the screens of docs/DEMO.md, shot in Chromium into docs/screenshots/
screenshots: $(STAMP) system-packages
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest -q tests/test_demo_screenshots.py tests/browser/test_daily_tasks.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## bench-<name>: bench/bench_<name>.py on a throwaway PostgreSQL (BENCH_ARGS passed on)
##   bench-nightly: the nightly job (rescore + thin history) at 1M clients, steady state
##   bench-import: a 130,000-row client CSV: the upload request, then the background job
##   bench-api: 100,000 order events in batches of 500 through gunicorn + PostgreSQL
##   bench-load: gunicorn + PostgreSQL, 100,000 clients, 50 signed-in users for 60 s (locust)
BENCH_DB := bench-admin bench-scoring bench-nightly bench-drafts bench-prune bench-import bench-api bench-load
$(BENCH_DB): bench-%: $(STAMP) system-packages
	$(PY) bench/bench_$*.py $(BENCH_ARGS)

## bench-offer-guard: the offer guard against its corpus (misses, false alarms) and its speed
bench-offer-guard: $(STAMP)
	$(PY) bench/offer_guard_corpus.py $(BENCH_ARGS)

## bench-fit: fit_churn_model on a 1M-client CSV (whole command) beside lifetimes 0.11.3
bench-fit: $(STAMP)
	$(PY) bench/bench_fit.py --vs-lifetimes $(BENCH_ARGS)

## bench-backtests: churn calibration and rankings over a grid of backtests of a
##   transactions CSV (default the CDNOW sample, 24 backtests; BACKTEST_CSV and
##   BACKTEST_GRID for another book), then the demo book at 5 dates x 3 seeds
BACKTEST_CSV ?= tests/data/cdnow/cdnow_sample_transactions.csv
BACKTEST_GRID ?= --first 1997-05-31 --last 1998-03-31 --every 30 --horizons 13 26 39 --time-unit weeks
bench-backtests: $(STAMP)
	$(PY) bench/backtest_grid.py --transactions $(BACKTEST_CSV) $(BACKTEST_GRID) $(BENCH_ARGS); \
	grid=$$?; $(PY) bench/demo_backtests.py --seeds 1 2 3 --clients 3000; \
	exit $$(( grid || $$? ))

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles sent_emails build
