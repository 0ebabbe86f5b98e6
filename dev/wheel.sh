#!/usr/bin/env bash
# Builds what the organisation publishes, into dist/: the manylinux2014 abi3
# wheel (one file for every CPython >= 3.10 on glibc >= 2.17; installs with no
# Rust) and the sdist. zig links against glibc 2.17's symbols, so no manylinux
# docker image is needed; `auditwheel show` then checks the tag is honest.
#   bash dev/wheel.sh                                      # x86_64 wheel + sdist
#   bash dev/wheel.sh --target aarch64-unknown-linux-gnu   # cross-compiled by zig
#     (needs `rustup target add aarch64-unknown-linux-gnu` once)
# CARGO_TARGET_DIR is honoured (the install test keeps its own, incremental).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[wheel] %s\n' "$*" >&2; }

target=""
case "${1:-}" in
  "") ;;
  --target) target="${2:?--target needs a Rust target triple}" ;;
  *) say "usage: bash dev/wheel.sh [--target TRIPLE]"; exit 2 ;;
esac

# The pinned maturin, ziglang and auditwheel live in .venv (dev/requirements.txt).
stamp=.venv/.requirements.sha
if [ "$(cat "$stamp" 2>/dev/null)" != "$(sha256sum dev/requirements.txt | cut -d' ' -f1)" ]; then
  bash dev/bootstrap.sh
fi
export PATH="$PWD/.venv/bin:$PATH"

arch=x86_64
target_args=()
if [ -n "$target" ]; then
  arch="${target%%-*}"
  target_args=(--target "$target")
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
wheel="dist/middleware-${version}-cp310-abi3-manylinux_2_17_${arch}.manylinux2014_${arch}.whl"

mkdir -p dist
rm -f dist/middleware-"$version"-cp310-abi3-*_"$arch".whl
say "building $wheel (release, zig, manylinux2014)"
start=$(date +%s)
maturin build --release --zig --compatibility manylinux2014 "${target_args[@]}" --out dist >&2
# maturin sorts the two tags the other way round (manylinux2014 first); pip reads
# either order as the same set. Renamed to the name auditwheel and our docs use.
built=(dist/middleware-"$version"-cp310-abi3-*_"$arch".whl)
if [ "${built[0]}" != "$wheel" ]; then mv "${built[0]}" "$wheel"; fi
say "built in $(( $(date +%s) - start ))s, $(du -k "$wheel" | cut -f1) KiB"

# auditwheel reads the ELF: it lists the libraries and glibc symbol versions
# the module needs and the tightest manylinux tag they allow.
report=$(auditwheel show "$wheel")
printf '%s\n' "$report" >&2
if ! tr -s ' \n' ' ' <<<"$report" | grep -qF "platform tag to \"manylinux_2_17_${arch}\""; then
  say "auditwheel does not confirm manylinux_2_17_${arch} for $wheel"
  exit 1
fi

# An sdist has no .git: it carries the commit for build.rs (same rule: "+changes"
# when tracked files differ from it), so a build from it still names its source.
say "building the sdist"
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
  commit=$(git rev-parse --short=12 HEAD)
  if [ -n "$(git status --porcelain --untracked-files=no)" ]; then commit="$commit+changes"; fi
  trap 'rm -f build-commit.txt' EXIT
  echo "$commit" > build-commit.txt
fi  # else: run from an unpacked sdist, whose build-commit.txt stays as it came
maturin sdist --out dist >&2
echo "$wheel"
