#!/usr/bin/env bash
# Prepares a machine for the demo and the tests, idempotently: PostgreSQL's
# server binaries, a virtualenv with the pinned dev dependencies, and the
# package built into it. Needs Rust (cargo) and Python >= 3.10 on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*" >&2; }

have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
if ! have_pg || ! command -v psql >/dev/null 2>&1; then
  say "installing PostgreSQL (server binaries and psql) with apt-get"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql postgresql-client >/dev/null
fi

# tmux drives the CLI's terminal tests (a real TTY).
if ! command -v tmux >/dev/null 2>&1; then
  say "installing tmux (terminal tests)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux >/dev/null
fi

for tool in cargo python3; do
  command -v "$tool" >/dev/null 2>&1 || { say "$tool is required but not on PATH"; exit 1; }
done
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { say "Python >= 3.10 is required"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
# Reinstall the pinned dependencies only when the pins changed.
stamp=.venv/.requirements.sha
want=$(sha256sum dev/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing pinned dev dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r dev/requirements.txt
  echo "$want" > "$stamp"
fi

say "building the package into .venv (maturin develop)"
start=$(date +%s)
VIRTUAL_ENV="$PWD/.venv" .venv/bin/maturin develop -q ${MATURIN_ARGS:-} >&2
say "built in $(( $(date +%s) - start ))s"
