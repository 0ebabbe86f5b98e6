"""Runs the stack: `serve` in a child process (started by `running`), which
starts and seeds everything, writes DIR/stack.json and DIR/ready, and stops
everything on SIGTERM/SIGINT or when its parent process goes away, so a
crashed test run leaves nothing behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from stack.description import Stack, User
from stack.motoserver import Moto
from stack.org import ACCOUNT, CONTACT, DATABASE, READER_ROLE, REGION, arn, role_arn
from stack.postgres import Postgres
from stack.seed import config_toml, seed_aws, seed_postgres, store_passwords
from stack.tls import make_tls

PACKAGE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def serve(directory: Path) -> None:
    started = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)  # the postgres user must traverse it
    moto = Moto(directory, free_port())
    pg = Postgres(directory / "pg", free_port())
    parent = os.getppid()

    def stop(*_: object) -> None:
        pg.stop()
        moto.stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        moto.start()
        (directory / "pg").mkdir(exist_ok=True)
        tls = make_tls(directory / "tls")
        pg.start(tls)
        passwords = seed_postgres(pg)
        moto.wait_ready()
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": moto.url,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "seeding",
                "AWS_SECRET_ACCESS_KEY": "seeding",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            }
        )
        keys, kms_keys = seed_aws()
        store_passwords(passwords)
        moto.enforce_iam()
        write_outputs(directory, moto, pg, tls[0], keys, kms_keys, passwords, time.monotonic() - started)
        log(f"ready in {time.monotonic() - started:.2f}s: moto {moto.url}, postgres port {pg.port}")
        (directory / "ready").write_text(f"{time.monotonic() - started:.3f}\n")
        while os.getppid() == parent:
            time.sleep(0.2)
        log("parent went away: stopping")
    finally:
        pg.stop()
        moto.stop()


def write_outputs(
    directory: Path,
    moto: Moto,
    pg: Postgres,
    ca: Path,
    keys: dict[str, tuple[str, str]],
    kms_keys: dict[str, str],
    passwords: dict[str, str],
    start_seconds: float,
) -> None:
    """The AWS files (one profile per user), middleware.toml, DIR/env to
    source, and DIR/stack.json (the Stack)."""
    aws = directory / "aws"
    aws.mkdir(exist_ok=True)
    credentials = aws / "credentials"
    credentials.write_text(
        "".join(
            f"[{user}]\naws_access_key_id = {kid}\naws_secret_access_key = {secret}\n\n"
            for user, (kid, secret) in keys.items()
        )
    )
    credentials.chmod(0o600)
    (aws / "config").write_text(
        f"[default]\nregion = {REGION}\n\n" + "".join(f"[profile {user}]\nregion = {REGION}\n\n" for user in keys)
    )
    config = directory / "middleware.toml"
    config.write_text(config_toml(pg.port, ca))
    # What a process needs to act as a stack user: pick one with AWS_PROFILE.
    env = {
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_PROFILE": "alice",
        "AWS_EC2_METADATA_DISABLED": "true",
        "MIDDLEWARE_CONFIG": str(config),
    }
    (directory / "env").write_text("".join(f"export {k}={v}\n" for k, v in env.items()))
    Stack(
        dir=directory,
        env=env,
        moto_url=moto.url,
        pg_port=pg.port,
        pg_socket_dir=pg.dir,
        ca=ca,
        config=config,
        aws_credentials=credentials,
        account=ACCOUNT,
        database=DATABASE,
        contact=CONTACT,
        reader_role=role_arn(READER_ROLE),
        kms_keys=kms_keys,
        users={user: User(arn(user), key_id, secret) for user, (key_id, secret) in keys.items()},
        db_passwords=passwords,
        pg_ctl=(*(["runuser", "-u", "postgres", "--"] if pg.as_postgres else []), str(pg.bindir / "pg_ctl")),
        pg_data=pg.data,
        pg_log=pg.dir / "log",
        pg_options=pg.options,
        start_seconds=start_seconds,
    ).save(directory / "stack.json")


@contextlib.contextmanager
def running(directory: Path | None = None, timeout: float = 120.0) -> Iterator[Stack]:
    """Starts `serve` in a child process (`python dev/stack serve`); yields
    the Stack; stops everything on exit."""
    own_dir = directory is None
    base = Path(tempfile.mkdtemp(prefix="middleware-stack-")) if directory is None else directory
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIDDLEWARE_"))}
    proc = subprocess.Popen(
        [sys.executable, str(PACKAGE), "serve", "--dir", str(base)],
        env=clean_env,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while not (base / "ready").exists():
            if proc.poll() is not None:
                raise RuntimeError(f"the stack failed to start (exit {proc.returncode}); see above")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start within {timeout}s")
            time.sleep(0.05)
        yield Stack.load(base)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if own_dir:
            shutil.rmtree(base, ignore_errors=True)
