"""What a running stack is: where its servers listen, its files, who is seeded
in it. `serve` writes it to DIR/stack.json; tests, the demo, the benchmarks
and dev/sqla_suite.py read it back with `Stack.load`."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class User:
    """A seeded IAM user and its AWS access key."""

    arn: str
    key_id: str
    # Test-only knowledge, so tests can check that it never leaks.
    secret_key: str


@dataclass(frozen=True)
class Stack:
    dir: Path
    # What a process needs to act as a stack user, as in DIR/env (AWS_PROFILE=alice).
    env: Mapping[str, str]
    moto_url: str
    pg_port: int
    pg_socket_dir: Path
    ca: Path
    config: Path  # middleware.toml
    aws_credentials: Path  # the AWS shared credentials file, one profile per user
    account: str
    database: str
    contact: str
    reader_role: str  # an ARN
    kms_keys: Mapping[str, str]  # alias -> key ARN
    # IAM user name -> User. A dict: a test that rotates a user's access key records the new one.
    users: dict[str, User]
    # Test-only knowledge, so tests can check what the package fetched.
    db_passwords: Mapping[str, str]
    # For tests that stop, kill or restart the server.
    pg_ctl: tuple[str, ...]
    pg_data: Path
    pg_log: Path
    pg_options: str
    start_seconds: float

    def env_for(self, user: str, **extra: str) -> dict[str, str]:
        """This process's environment acting as the stack's IAM user `user`:
        no AWS_*/MIDDLEWARE_* variable of the caller's, HOME in the stack's
        directory (no developer's ~/.config/middleware leaks in), then `extra`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIDDLEWARE_"))}
        env.update(self.env)
        env["AWS_PROFILE"] = user
        env["HOME"] = str(self.dir)
        env.pop("XDG_CONFIG_HOME", None)
        env.update(extra)
        return env

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, default=str))
        path.chmod(0o600)

    @classmethod
    def load(cls, directory: Path) -> Stack:
        """The stack serving from `directory` (its stack.json)."""
        raw: dict[str, Any] = json.loads((directory / "stack.json").read_text())
        paths = ("dir", "pg_socket_dir", "ca", "config", "aws_credentials", "pg_data", "pg_log")
        raw.update({key: Path(raw[key]) for key in paths})
        raw["users"] = {name: User(**user) for name, user in raw["users"].items()}
        raw["pg_ctl"] = tuple(raw["pg_ctl"])
        return cls(**raw)
