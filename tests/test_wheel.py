"""The distributable wheel (dev/wheel.sh): one manylinux2014 abi3 file that a
machine with no Rust toolchain installs and runs against the stack."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from conftest import ROOT
from stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.install]

VERSION = re.search(r'(?m)^version = "(.+)"$', (ROOT / "Cargo.toml").read_text()).group(1)  # type: ignore[union-attr]
TAG = "cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"


@pytest.mark.timeout(1800)
def test_wheel_installs_and_runs_without_rust(tmp_path: Path, local_stack: Stack) -> None:
    # Its own target dir inside the checkout keeps re-runs incremental (zig
    # builds differ from the dev and git-install builds, so they cannot share).
    build_env = {**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target" / "wheel")}
    built = subprocess.run(
        ["bash", str(ROOT / "dev" / "wheel.sh")], env=build_env, capture_output=True, text=True, timeout=1700
    )
    assert built.returncode == 0, built.stderr[-5000:]
    wheel = ROOT / built.stdout.strip().splitlines()[-1]
    assert wheel.name == f"middleware-{VERSION}-{TAG}.whl" and wheel.is_file()
    assert (ROOT / "dist" / f"middleware-{VERSION}.tar.gz").is_file()

    audit = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "auditwheel"), "show", str(wheel)], capture_output=True, text=True, check=True
    )
    assert 'constrains the platform tag to "manylinux_2_17_x86_64"' in " ".join(audit.stdout.split()), audit.stdout

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    path = no_rust_path(env_dir / "bin")
    # --no-index: the wheel alone suffices (no required dependencies, nothing compiled).
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", str(wheel)],
        check=True,
        env={**os.environ, "PATH": path},
        timeout=300,
    )

    env = local_stack.env_for("alice", PATH=path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)

    version = run("middleware", "--version")
    assert version.stdout.startswith(f"middleware {VERSION} (commit {git('rev-parse', '--short=12', 'HEAD')}")
    # The installed copy, not the checkout's python/ (cwd is elsewhere).
    probe = run("python", "-c", "import middleware; print(middleware.__version__, middleware.__file__)")
    init = env_dir / site_packages(env_dir) / "middleware" / "__init__.py"
    assert probe.stdout.split() == [VERSION, str(init)], probe.stderr
    query = run("middleware", "query", "analytics", "select count(*) as n from sales", "--format", "json")
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout)[0]["n"] > 0


def no_rust_path(venv_bin: Path) -> str:
    """The venv first, then this PATH minus every directory holding cargo or rustc."""
    dirs = [d for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep) if d]
    kept = [d for d in dirs if not any((Path(d) / tool).exists() for tool in ("cargo", "rustc"))]
    path = os.pathsep.join([str(venv_bin), *kept])
    assert shutil.which("cargo", path=path) is None and shutil.which("rustc", path=path) is None
    return path


def site_packages(env_dir: Path) -> Path:
    (lib,) = (env_dir / "lib").glob("python3.*")
    return lib.relative_to(env_dir) / "site-packages"


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()
