# One command per task. `make demo` and `make test` work on a fresh Debian machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PROBE := $(VENV)/bin/probe

.PHONY: setup setup-test demo test test-unit lint format bench bundled clean

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

demo: setup
	scripts/demo.sh $(DEMO_ARGS)

test: setup-test
	$(PY) -m pytest -q

test-unit: setup-test
	$(PY) -m pytest -q -m "not integration"

lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) scripts/check_sizes.py
	$(VENV)/bin/lint-imports  # the layers: pyproject.toml [tool.importlinter]

format: setup-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup-test
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

bundled: setup
	$(PY) scripts/build_bundled.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
