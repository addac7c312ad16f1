.PHONY: install test lint format bench sample

install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'

test:
	.venv/bin/python -m pytest -n 2

lint:
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy
	.venv/bin/lint-imports

format:
	.venv/bin/ruff format src tests bench
	.venv/bin/ruff check --fix src tests bench

bench:
	.venv/bin/python bench/run_all.py

sample:
	.venv/bin/papercast run --sample
