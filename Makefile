# The inner loop (as pydantic-core's Makefile). `make test` is the README's test
# command and what CI runs; `make test-fast` skips the slow markers (install, load).
.DEFAULT_GOAL := test-fast
PY_DIRS := python tests dev bench

.PHONY: build format lint test-rust test-fast test

build:
	bash dev/bootstrap.sh

format:
	cargo fmt
	.venv/bin/ruff check --fix $(PY_DIRS)
	.venv/bin/ruff format $(PY_DIRS)

lint:
	cargo fmt --check
	cargo clippy --all-targets --features python -- -D warnings
	.venv/bin/ruff check $(PY_DIRS)
	.venv/bin/ruff format --check $(PY_DIRS)
	.venv/bin/mypy
	.venv/bin/python -m mypy.stubtest middleware._core --allowlist dev/stubtest-allowlist.txt
	.venv/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	.venv/bin/zizmor --offline --no-progress .github/workflows/

test-rust:
	cargo test

test-fast: build lint test-rust
	.venv/bin/python -m pytest -m "not slow" $(ARGS)

test:
	bash dev/test.sh
