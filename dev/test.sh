#!/usr/bin/env bash
# Every test and check: Rust unit tests, formatting, clippy, ruff, mypy (facade
# and stubs, plus stubtest), and pytest end to end against the local stack
# (moto + PostgreSQL, started by the tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/bootstrap.sh

step() { printf '\n==> %s\n' "$*" >&2; }
step "cargo fmt --check";            cargo fmt --check
step "cargo clippy";                 cargo clippy --all-targets --features python -- -D warnings
step "cargo test";                   cargo test
step "no aws-lc / openssl in tree";  ! cargo tree -e normal -i aws-lc-rs >/dev/null 2>&1 && ! cargo tree -e normal -i openssl-sys >/dev/null 2>&1
step "ruff";                         .venv/bin/ruff check python tests dev bench && .venv/bin/ruff format --check python tests dev bench
step "mypy";                         .venv/bin/mypy
step "stubtest";                     .venv/bin/python -m mypy.stubtest middleware._core
step "pytest";                       .venv/bin/python -m pytest "$@"
