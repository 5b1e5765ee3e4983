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

.PHONY: install run dev test browser-deps postgres-deps bench clean

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

test: install browser-deps postgres-deps
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
