#!/usr/bin/env bash
# The demo: sets everything up, starts the local stack (moto + PostgreSQL),
# and runs the main job as a data scientist would.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/bootstrap.sh
exec .venv/bin/python dev/demo.py "$@"
