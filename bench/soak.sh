#!/usr/bin/env bash
# The long mode of the reliability checks (not part of the test command):
# fuzz the credstash record reader and the placeholder lexer for a bounded
# time each (cargo-fuzz, nightly), then run the load test at a larger scale.
#   bash bench/soak.sh [SECONDS_PER_FUZZ_TARGET]   (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q nightly || { echo "cargo fuzz needs a nightly toolchain (rustup toolchain install nightly)" >&2; exit 1; }
cd fuzz
for target in record lexer; do
  echo "==> fuzzing $target for ${seconds}s"
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" 2>&1 \
    | grep -E "^#[0-9]+.*(DONE|pulse)|Done [0-9]+ runs|ERROR|panicked" | tail -3
done
cd ..
echo "==> load: 32 threads x 500 queries with timeouts, 3 times"
bash dev/bootstrap.sh
for _ in 1 2 3; do .venv/bin/python -m pytest -q tests/test_load.py; done
