#!/usr/bin/env bash
# Benchmarks against peers, in one run, on a release build. Prints a markdown
# table per benchmark (paste into README.md, "Performance").
#   bash bench/run.sh            # all
#   bash bench/run.sh secrets    # one
set -euo pipefail
cd "$(dirname "$0")/.."
MATURIN_ARGS="--release" bash dev/bootstrap.sh
exec .venv/bin/python bench/main.py "$@"
