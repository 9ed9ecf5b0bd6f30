# Two commands: `make run` (the TUI on a demo project) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.duelist-installed
DEVSTAMP := $(VENV)/.duelist-dev-installed

.PHONY: run test install dev lint clean

# torch==2.13.0 goes first: its CPU wheel lies on disk here, while an unpinned
# torch (asked for by trl, peft, ...) would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e .
	touch $(STAMP)

$(DEVSTAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[dev]'
	touch $(DEVSTAMP)

install: $(STAMP)
dev: $(DEVSTAMP)

run: $(STAMP)
	$(VENV)/bin/duelist demo

test: $(DEVSTAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n 2 -q

clean:
	rm -rf $(VENV) demo
