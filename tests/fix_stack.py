"""The local stack (moto + PostgreSQL, dev/stack), started once per test
session and stopped at the end, and the one way a test acts as one of its
users. Nothing is mocked.

    def test_x(as_user: AsUser, local_stack: Stack) -> None:
        as_user("alice")      # this process is now alice, with fresh caches
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Protocol

import credstash
import pytest

import middleware

from stack import Stack, running


class AsUser(Protocol):
    def __call__(self, user: str, *, keep_caches: bool = False) -> None: ...


@pytest.fixture(scope="session")
def local_stack() -> Iterator[Stack]:
    with running() as info:
        yield info


def clear_caches() -> None:
    """middleware's secrets and the credstash package's boto3 sessions."""
    middleware.clear_cache()
    credstash.reset_sessions()


@pytest.fixture
def as_user(local_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[AsUser]:
    """Switches this test process to act as a stack user: its AWS_*,
    MIDDLEWARE_* and HOME variables (restored after the test), and fresh
    caches unless `keep_caches` (for tests of what a cache does across a
    switch, or of a stale one). The caches are cleared again after the test."""

    def switch(user: str, *, keep_caches: bool = False) -> None:
        for key in list(os.environ):
            if key.startswith(("AWS_", "MIDDLEWARE_")):
                monkeypatch.delenv(key)
        for key, value in local_stack.env_for(user).items():
            if key.startswith(("AWS_", "MIDDLEWARE_")) or key == "HOME":
                monkeypatch.setenv(key, value)
        if not keep_caches:
            clear_caches()

    yield switch
    clear_caches()
