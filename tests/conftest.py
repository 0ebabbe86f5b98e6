"""Shared helpers. The fixtures are plugins (tests/fix_*.py): the local stack
and `as_user` in fix_stack, proxies in fix_proxy."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import psycopg

from stack import Stack

ROOT = Path(__file__).resolve().parent.parent


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
        host=str(info.pg_socket_dir), port=info.pg_port, user="postgres", dbname=dbname, autocommit=True
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
