# Two entry points for a fresh machine: `make run` (the product) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The demo needs only the runtime dependencies; tests add the dev and OCR extras.
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.installed

.PHONY: run demo test lint setup system bench clean

run: demo

# make run PORT=8081   serve elsewhere (also TASKBOT_SERVER_PORT or [server] port in taskbot.toml)
# make run KEEP=1      keep ./taskbot-demo.db from the last run (default: start fresh)
# make run DEMO_AS_OF=2023-06-01   start the demo clock elsewhere
DEMO_AS_OF ?=
PORT ?=
KEEP ?=

demo: $(RUNTIME)
	@$(BIN)/taskbot demo $(if $(DEMO_AS_OF),--as-of $(DEMO_AS_OF)) $(if $(PORT),--port $(PORT)) $(if $(KEEP),--keep)

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,ocr]'
	touch $(RUNTIME) $(DEV)

setup: $(DEV)

# Debian packages the tests talk to: PostgreSQL, Chromium, Chinese fonts, LibreOffice.
system:
	bash scripts/setup-system.sh

lint: $(DEV)
	$(BIN)/ruff check parser bot tests bench
	$(BIN)/ruff format --check parser bot tests bench
	$(BIN)/mypy

test: system $(DEV) lint
	$(BIN)/pytest -q
	bash scripts/docker-check.sh

bench: $(DEV)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
