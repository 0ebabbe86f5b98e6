"""The package itself: import cost, the facade, the CLI entry points."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import middleware

from conftest import ROOT, run_cli


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    return done.stdout


def test_import_is_cheap_and_starts_nothing() -> None:
    # Best of three fresh processes: one import on a machine busy with other
    # builds can take several times as long, and that is not ours to count.
    runs = [import_once() for _ in range(3)]
    assert all(unchanged == "True" for _, unchanged in runs), "import started a thread or opened a socket"
    elapsed = min(float(e) for e, _ in runs)
    assert elapsed < 0.050, f"import took {elapsed * 1000:.1f} ms (best of 3)"


def import_once() -> list[str]:
    out = run_python("""
        import os, time
        def threads(): return len(os.listdir("/proc/self/task"))
        def sockets():
            return sum(os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
                       for fd in os.listdir("/proc/self/fd")
                       if os.path.exists(f"/proc/self/fd/{fd}"))
        before = (threads(), sockets())
        t0 = time.perf_counter()
        import middleware
        elapsed = time.perf_counter() - t0
        print(elapsed, before == (threads(), sockets()))
    """)
    return out.split()


def test_facade_exports_the_db_api_globals_and_exceptions() -> None:
    assert (middleware.apilevel, middleware.threadsafety, middleware.paramstyle) == (
        "2.0",
        1,
        "pyformat",
    )
    assert middleware.__version__ == middleware._core.__version__
    for name in middleware.__all__:
        assert hasattr(middleware, name), name
    e = middleware
    assert issubclass(e.QueryTimeout, e.OperationalError)
    assert issubclass(e.QueryTimeout, TimeoutError)
    assert issubclass(e.OperationalError, e.DatabaseError)
    assert issubclass(e.DatabaseError, e.Error)
    assert issubclass(e.AccessDenied, PermissionError)
    assert issubclass(e.SecretNotFound, KeyError)
    for cls in (
        e.ConfigError,
        e.AccessDenied,
        e.SecretNotFound,
        e.SecretIntegrityError,
        e.KmsError,
        e.InterfaceError,
        e.ProgrammingError,
    ):
        assert issubclass(cls, e.Error)
        assert cls.__doc__


def test_secret_not_found_prints_its_message_not_a_repr() -> None:
    assert str(middleware.SecretNotFound("no secret 'x'")) == "no secret 'x'"


@pytest.mark.parametrize("argv", [["middleware"], [sys.executable, "-m", "middleware"]])
def test_help_and_version(argv: list[str]) -> None:
    if argv == ["middleware"]:
        argv = [str(Path(sys.executable).parent / "middleware")]
    helped = subprocess.run([*argv, "--help"], capture_output=True, text=True)
    assert helped.returncode == 0
    assert "Usage:" in helped.stdout and "config" in helped.stdout
    version = subprocess.run([*argv, "--version"], capture_output=True, text=True)
    assert version.returncode == 0
    # The version and the commit it was built from (for support); that it is
    # the right commit is checked by the install test, which builds afresh.
    assert re.fullmatch(
        rf"middleware {re.escape(middleware.__version__)} \(commit [0-9a-f]{{12}}(\+changes)?\)\n", version.stdout
    ), version.stdout


def test_usage_errors_exit_2_on_stderr() -> None:
    done = run_cli("no-such-command")
    assert done.returncode == 2
    assert "unrecognized subcommand" in done.stderr and done.stdout == ""


def test_config_check_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[databases.analytics]\nport = "fifty"\n')
    env = {**os.environ, "MIDDLEWARE_CONFIG": str(bad), "HOME": str(tmp_path)}
    done = run_cli("config", "check", env=env)
    assert done.returncode == 1
    assert str(bad) in done.stderr and "databases.analytics.port" in done.stderr
    assert "expected an integer" in done.stderr
    assert done.stderr.count("\n") == 1, "errors are one line"


def test_config_show_layers_sources(tmp_path: Path) -> None:
    user_dir = tmp_path / ".config" / "middleware"
    user_dir.mkdir(parents=True)
    (user_dir / "middleware.toml").write_text('[databases.a]\nhost = "h"\nport = 5439\n')
    named = tmp_path / "named.toml"
    named.write_text("[databases.a]\nport = 6000\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIDDLEWARE_")}
    env.pop("XDG_CONFIG_HOME", None)
    env.update(HOME=str(tmp_path), MIDDLEWARE_CONFIG=str(named), MIDDLEWARE_CREDSTASH_TABLE="t2")
    done = run_cli("config", "show", env=env)
    assert done.returncode == 0, done.stderr
    lines = {line.split("=")[0].strip(): line for line in done.stdout.splitlines() if "=" in line}
    assert "$MIDDLEWARE_CREDSTASH_TABLE" in lines["table"]
    assert "6000" in lines["port"] and "$MIDDLEWARE_CONFIG" in lines["port"]
    assert "user file" in lines["host"]
    assert "packaged" in lines["kms_key"]


def test_packaged_config_ships_in_the_package() -> None:
    packaged = Path(middleware.__file__).parent / "middleware.toml"
    assert packaged.is_file()
    assert (ROOT / "python" / "middleware" / "py.typed").is_file()


@pytest.mark.parametrize(
    "command", ["connect", "query", "whoami", "doctor", "iam-policy", "config", "secrets", "completion"]
)
def test_every_command_has_help_with_examples(command: str) -> None:
    done = run_cli(command, "--help")
    assert done.returncode == 0 and "Usage: middleware" in done.stdout and "Examples:" in done.stdout
