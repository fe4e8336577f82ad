# The two commands: `make run` (install, serve at http://127.0.0.1:8000) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install model model-small browser run test lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "articleqa needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The local language models, checked against their official sha256 (instant once installed).
model: install
	$(BIN)/articleqa model install qwen2.5-coder-1.5b-instruct

model-small: install
	$(BIN)/articleqa model install qwen2.5-coder-0.5b-instruct

# `serve` ingests seeds/ when the store is empty; Ctrl-C stops it.
run: install model
	$(BIN)/articleqa serve

# The browser tests drive Debian's Chromium; installed here when missing (as root).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get install -y -q chromium chromium-driver >/dev/null || \
			{ apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; }; \
		else \
			echo "the browser tests need Chromium: sudo apt-get install -y chromium chromium-driver"; \
			exit 1; \
		fi; \
	fi

# The real-model tests run the small model; here its absence fails them instead of skipping.
test: install browser model-small
	QA_REQUIRE_LOCAL_MODEL=1 $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check qa api eval tests bench
	$(BIN)/mypy qa api eval
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .articleqa
