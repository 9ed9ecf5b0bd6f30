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

# The browser tests (tests/test_web_browser.py) drive Debian's Chromium; install it
# when missing (apt-get, as root). Without apt-get those tests skip, with a note.
$(DEVSTAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[dev]'
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "note: no apt-get; browser tests will be skipped (install chromium + chromedriver)"; fi
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
