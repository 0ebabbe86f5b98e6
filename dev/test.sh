#!/usr/bin/env bash
# Every test and check: Rust unit tests, formatting, clippy, ruff, mypy (facade
# and stubs, plus stubtest), and pytest end to end against the local stack
# (moto + PostgreSQL, started by the tests themselves), then SQLAlchemy's dialect
# compliance suite in its own pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/bootstrap.sh

step() { printf '\n==> %s\n' "$*" >&2; }
PY_DIRS=(python tests dev bench)

step "cargo fmt --check"
cargo fmt --check
step "cargo clippy"
cargo clippy --all-targets --features python -- -D warnings
step "cargo test"
cargo test
step "one TLS stack: no aws-lc, no OpenSSL in the dependency tree"
for crate in aws-lc-rs aws-lc-sys openssl-sys; do
  if cargo tree -e normal -i "$crate" >/dev/null 2>&1; then
    echo "$crate is in the dependency tree (something enabled rustls' default features)" >&2
    exit 1
  fi
done
step "ruff"
.venv/bin/ruff check "${PY_DIRS[@]}"
.venv/bin/ruff format --check "${PY_DIRS[@]}"
step "mypy"
.venv/bin/mypy
step "release workflow: schema (check-jsonschema) and audit (zizmor, offline)"
.venv/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
.venv/bin/zizmor --offline --no-progress .github/workflows/
step "stubtest"
.venv/bin/python -m mypy.stubtest middleware._core --allowlist dev/stubtest-allowlist.txt
step "pytest"
.venv/bin/python -m pytest "$@"
step "SQLAlchemy's dialect compliance suite (tests/sqla, its own pytest run)"
.venv/bin/python dev/sqla_suite.py
