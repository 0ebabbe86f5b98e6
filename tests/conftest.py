"""Shared fixtures: the local stack (moto + PostgreSQL), started once per test
session by dev/stack.py and stopped at the end. Nothing is mocked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import psycopg
import pytest

import stack  # dev/stack.py (pytest's pythonpath has dev/ and tests/)

ROOT = Path(__file__).resolve().parent.parent

Stack = dict[str, Any]


@pytest.fixture(scope="session")
def local_stack() -> Iterator[Stack]:
    with stack.running() as info:
        yield info


def user_env(info: Stack, profile: str, **extra: str) -> dict[str, str]:
    """A clean environment acting as one of the stack's IAM users."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIDDLEWARE_"))}
    env.update(info["env"])
    env["AWS_PROFILE"] = profile
    env["HOME"] = info["dir"]  # no developer's ~/.config/middleware leaks in
    env.pop("XDG_CONFIG_HOME", None)
    env.update(extra)
    return env


@pytest.fixture
def as_user(local_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Switches this test process to act as a stack user (restored afterwards)."""

    def switch(profile: str) -> None:
        for key in list(os.environ):
            if key.startswith(("AWS_", "MIDDLEWARE_")):
                monkeypatch.delenv(key)
        for key, value in user_env(local_stack, profile).items():
            if key.startswith(("AWS_", "MIDDLEWARE_")) or key == "HOME":
                monkeypatch.setenv(key, value)

    return switch


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Runs the installed `middleware` command."""
    exe = Path(sys.executable).parent / "middleware"
    return subprocess.run(
        [str(exe), *args],
        env=None if env is None else dict(env),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def admin_sql(info: Stack, sql: str, dbname: str = "analytics") -> list[tuple[Any, ...]]:
    with psycopg.connect(
        host=info["pg_socket_dir"], port=info["pg_port"], user="postgres", dbname=dbname, autocommit=True
    ) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def active_sleeps(info: Stack) -> int:
    rows = admin_sql(
        info,
        "select count(*) from pg_stat_activity where state = 'active' and query like '%pg_sleep%'"
        " and pid <> pg_backend_pid()",
    )
    return int(rows[0][0])


def wait_until(predicate: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
