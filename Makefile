# Two entry points for newcomers: `make test` and `make up STACK=homelab` (and `make destroy STACK=dev`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))

# The project itself is installed editable: `.venv/bin/talos-cluster` runs this checkout's code from any folder.
$(BIN)/activate: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt -e .
	touch $(BIN)/activate

.PHONY: venv test lint up preview destroy stack-given pulumi-cli
venv: $(BIN)/activate

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy __main__.py components tests benchmarks scripts

# Parallel workers (pytest-xdist); WORKERS=0 runs in one process. Worker-safe tests: README, Development.
# Two per core: a third of the suite's time is spent waiting on emulated reboots and polls (on 2 cores,
# 2 workers took 250 s, 3 took 184 s, 4 took 172 s). worksteal: an idle worker takes queued tests from a busy
# one (with the default `load` one worker ended 150 s before the other). Bytecode is cached even where
# PYTHONDONTWRITEBYTECODE is set: every provider host and CLI process a test starts would compile it again.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print(2 * len(os.sched_getaffinity(0)))')
test: venv
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(WORKERS) --dist worksteal

# Checked before the virtualenv is built, so a missing STACK or Pulumi CLI costs nothing.
stack-given:
	@test -n "$(STACK)" || { echo "STACK is required: make $(MAKECMDGOALS) STACK=<stack>, one of: $(STACKS)" >&2; exit 2; }

pulumi-cli:
	@command -v pulumi >/dev/null 2>&1 || { echo "pulumi: command not found; install the Pulumi CLI \
(https://www.pulumi.com/docs/install/). Tests need none: make test" >&2; exit 127; }

preview: stack-given pulumi-cli venv
	pulumi preview --stack $(STACK)

up: stack-given pulumi-cli venv
	pulumi up --stack $(STACK)

# --run-program: the engine configures the providers with the stack config as it is now, so resetOnDestroy and
# protectSecrets are what Pulumi.$(STACK).yaml says (a plain `pulumi destroy` uses the config of the last `up`).
# The preview comes first: with protectSecrets on it fails and nothing is deleted.
destroy: stack-given pulumi-cli venv
	pulumi destroy --run-program --stack $(STACK)
