# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test check bench clean chromium lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/lawful serve --demo --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium; install it when it is missing (root, or sudo without a password).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

lint: $(STAMP)
	$(BIN)/ruff check engine forms api tests bench
	$(BIN)/ruff format --check engine forms api tests bench
	$(BIN)/mypy engine forms api

test: $(STAMP) chromium lint
	$(BIN)/lawful check rules
	$(BIN)/lawful test rules --strict
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/lawful check rules && $(BIN)/lawful test rules

bench: $(STAMP)
	$(BIN)/python bench/decision_bench.py
	$(BIN)/python bench/lifecycle_bench.py
	$(BIN)/python bench/form_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
