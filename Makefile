# Two entry points for a fresh machine: `make run` (the product) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint setup system bench clean

run: demo

DEMO_AS_OF ?=

demo: $(STAMP)
	$(BIN)/taskbot demo $(if $(DEMO_AS_OF),--as-of $(DEMO_AS_OF))

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests talk to: PostgreSQL, Chromium, Chinese fonts.
system:
	bash scripts/setup-system.sh

lint: $(STAMP)
	$(BIN)/ruff check parser bot tests bench
	$(BIN)/ruff format --check parser bot tests bench
	$(BIN)/mypy

test: system $(STAMP) lint
	$(BIN)/pytest -q

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
