# The two commands: `make run` (install, ingest seeds/, ask, chat) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "articleqa needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/articleqa ingest
	$(BIN)/articleqa ask "How many people died in the shootout?"
	$(BIN)/articleqa chat

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check qa api eval tests
	$(BIN)/mypy qa

clean:
	rm -rf $(VENV) .articleqa
