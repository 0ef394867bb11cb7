# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/lawful serve --demo --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/lawful check rules
	$(BIN)/lawful test rules --strict
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/lawful check rules && $(BIN)/lawful test rules

bench: $(STAMP)
	$(BIN)/python bench/decision_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
