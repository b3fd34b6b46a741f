# Two entry points for newcomers: `make test` and `make up STACK=homelab`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(BIN)/activate

.PHONY: venv test lint up preview
venv: $(BIN)/activate

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy __main__.py components tests benchmarks scripts

test: venv
	$(BIN)/python -m pytest

preview: venv
	pulumi preview --stack $(STACK)

up: venv
	pulumi up --stack $(STACK)
