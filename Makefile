# Two commands set everything up: `make run` (install + start the whole stack) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run up down seed test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/youth-guarantee run

up: install
	$(BIN)/youth-guarantee up

down:
	$(BIN)/youth-guarantee down

seed: install
	$(BIN)/youth-guarantee seed

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check services infra ui tests benchmarks
	$(BIN)/mypy services infra ui benchmarks
	$(BIN)/lint-imports

bench: install
	$(BIN)/youth-guarantee bench --json bench-results/bench.json

clean:
	rm -rf .run data .pytest_cache
