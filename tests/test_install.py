"""Users install from a private git repo: prove that a clean virtualenv gets a
working package (wheel build, entry point, packaged config) from git."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.install]


@pytest.mark.timeout(1200)
def test_pip_install_from_git_into_a_clean_venv(tmp_path: Path) -> None:
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # A target dir inside the checkout keeps re-runs incremental; the build is
    # still maturin's PEP 517 release build from the committed tree.
    build_env = {"CARGO_TARGET_DIR": str(ROOT / "target" / "pip-install"), "PATH": _path()}
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"git+file://{ROOT}@{head}"],
        check=True,
        env=build_env,
        timeout=1100,
    )
    version = subprocess.run(
        [str(env_dir / "bin" / "middleware"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("middleware ") and f"(commit {head[:12]})" in version.stdout, version.stdout
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import middleware, pathlib; p = pathlib.Path(middleware.__file__).parent;"
            "print((p / 'middleware.toml').is_file(), (p / 'py.typed').is_file(),"
            " sorted(x.name for x in p.glob('_core*')))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert probe.stdout.strip() == "True True ['_core.abi3.so', '_core.pyi']"


def _path() -> str:
    import os

    return os.environ.get("PATH", "/usr/bin:/bin") + f":{Path(sys.executable).parent}"
