# Headstart: `make run` starts the forum with demo content, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run dev test browser-deps postgres-deps bench bench-deps bench-pages clean

install: $(STAMP)

# torch is pinned here (not in pyproject.toml): 2.13.0 is the CPU wheel on disk;
# an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

WEB_CONCURRENCY ?= 2

# A production server (gunicorn): each worker process starts its search thread at once and
# uses cores / WEB_CONCURRENCY threads for the model and FAISS (SEARCH_THREADS overrides).
run: install
	$(BIN)/flask --app forum init
	$(BIN)/flask --app forum demo load --if-empty
	WEB_CONCURRENCY=$(WEB_CONCURRENCY) $(BIN)/gunicorn --workers $(WEB_CONCURRENCY) --bind $(HOST):$(PORT) 'forum.wsgi:app'

# The development server, reloading on code changes.
dev: install
	$(BIN)/flask --app forum init
	$(BIN)/flask --app forum demo load --if-empty
	$(BIN)/flask --app forum run --debug --host $(HOST) --port $(PORT)

# Debian's chromium drives the browser tests; `playwright install` cannot work offline.
browser-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

postgres-deps:
	@command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

# Two passes side by side: every test on SQLite, and every test that touches the database
# on PostgreSQL (a throwaway cluster on loopback that the tests start); see .ci/test-passes.
test: install browser-deps postgres-deps
	$(BIN)/lint-imports --no-cache
	.ci/test-passes $(BIN)/python $(PYTEST_ARGS)

# wrk (Debian package) loads the serving benchmarks.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

bench: install bench-deps
	$(BIN)/python benchmarks/run_all.py

# Issue 9: read pages under load beside a minimal page (about 2-3 minutes).
bench-pages: install bench-deps
	$(BIN)/python benchmarks/bench_pages.py

clean:
	rm -rf $(VENV) build *.egg-info
