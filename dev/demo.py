"""The demo: the main job of middleware against the local stack, as a data
scientist and a platform engineer would do it. Run through `bash dev/demo.sh`.

Each step runs in its own process acting as one of the stack's IAM users
(AWS_PROFILE=alice|bob|carol|admin), exactly as a person's notebook or shell
would, and prints what that person would see.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack

MIDDLEWARE = str(Path(sys.executable).parent / "middleware")


def env_for(info: dict[str, Any], profile: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIDDLEWARE_"))}
    env.update(info["env"], AWS_PROFILE=profile, HOME=info["dir"])
    env.pop("XDG_CONFIG_HOME", None)
    return env


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def shell(info: dict[str, Any], profile: str, *args: str, expect: int = 0) -> None:
    print(f"$ AWS_PROFILE={profile} middleware {' '.join(args)}", flush=True)
    done = subprocess.run([MIDDLEWARE, *args], env=env_for(info, profile), text=True)
    if done.returncode != expect:
        raise SystemExit(f"demo step failed: exit {done.returncode}, expected {expect}")


def python(info: dict[str, Any], profile: str, code: str) -> None:
    code = textwrap.dedent(code).strip()
    print(textwrap.indent(code, f"[{profile}] >>> "), flush=True)
    done = subprocess.run([sys.executable, "-c", code], env=env_for(info, profile), text=True)
    if done.returncode != 0:
        raise SystemExit(f"demo step failed: exit {done.returncode}")


def main() -> None:
    banner("Starting the local stack (moto: KMS, DynamoDB, STS, IAM; PostgreSQL with TLS)")
    started = time.monotonic()
    with stack.running() as info:
        print(f"stack up in {info['start_seconds']:.2f}s (total {time.monotonic() - started:.2f}s)")
        print(f"moto at {info['moto_url']}, PostgreSQL on port {info['pg_port']}")

        banner("The configuration a platform team ships, resolved with its sources")
        shell(info, "alice", "config", "show")
        shell(info, "alice", "config", "check")

        banner("The Python package, as a notebook imports it")
        python(
            info,
            "alice",
            """
            import middleware
            print(middleware.__version__, middleware.apilevel, middleware.paramstyle)
            """,
        )
    banner("Done: the stack is stopped and its files removed")


if __name__ == "__main__":
    main()
