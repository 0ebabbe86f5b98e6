"""No password or AWS secret key appears in logs, exception text, reprs, CLI
output or `ps`, on any path (except `secrets get`, which is asked to print)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import run_cli
from stack import Stack

PATHS = """
import logging, io, middleware
stream = io.StringIO()
logging.basicConfig(level=logging.DEBUG, stream=stream)
seen = []
def attempt(fn):
    try:
        out = fn()
        seen.append(repr(out))
        seen.append(str(out))
    except BaseException as e:
        seen.append(f"{type(e).__name__}: {e!s} {e!r} {vars(e)}")
ctx = {"database": "analytics", "db_user": "read_only"}
conn = middleware.connect()
seen += [repr(conn), repr(conn.cursor()), repr(middleware.whoami())]
attempt(lambda: conn.query_with_timeout("select current_user, now()"))
attempt(lambda: conn.query_with_timeout("select pg_sleep(2)", timeout=0.2))
attempt(lambda: middleware.connect(user="read_write", profile="bob"))
attempt(lambda: middleware.connect(user="read_only", profile="carol"))
attempt(lambda: middleware.connect(port=9, host="127.0.0.1"))
attempt(lambda: middleware.connect(sslmode="disable", sslrootcert=""))
attempt(lambda: middleware.get_secret("analytics.read_only.password"))
attempt(lambda: middleware.get_secret("analytics.read_only.password", context={"database": "x"}))
attempt(lambda: middleware.list_secrets())
attempt(lambda: middleware.get_all_secrets(context=ctx))
attempt(lambda: middleware.put_secret("analytics.read_only.password", "x", version=1))
attempt(lambda: middleware.query_with_timeout("selec 1"))
print("\\n".join(seen))
print(stream.getvalue())
"""


def test_no_secret_in_logs_errors_reprs_or_cli_output(local_stack: Stack) -> None:
    env = local_stack.env_for("alice", RUST_BACKTRACE="1")
    secrets = [*local_stack.db_passwords.values(), *(user.secret_key for user in local_stack.users.values())]
    python = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PATHS)], env=env, capture_output=True, text=True, timeout=120
    )
    assert python.returncode == 0, python.stderr
    transcripts = [python.stdout, python.stderr]
    assert "access denied" in python.stdout and "QueryTimeout" in python.stdout, "the paths really ran"
    for logger in (
        "DEBUG:middleware.aws:AWS kms TrentService.Decrypt",
        "DEBUG:middleware.pg:connected to",
        "INFO:middleware.audit:query timeout",
    ):
        assert logger in python.stdout, f"the core's DEBUG records really were there: {logger}"
    commands = [
        ["whoami"],
        ["query", "select current_user"],
        ["query", "selec 1"],
        ["query", "select pg_sleep(2)", "--timeout", "200ms"],
        ["--debug", "query", "select 1", "-u", "read_write", "-p", "bob"],
        ["--debug", "query", "select current_user"],
        ["--debug", "whoami"],
        ["config", "show"],
        ["doctor"],
        ["iam-policy", "analytics", "read_only"],
        ["secrets", "list"],
        ["secrets", "keys"],
        ["--debug", "secrets", "get", "analytics.read_only.password", "database=wrong", "db_user=read_only"],
    ]
    for command in commands:
        done = run_cli(*command, env=env)
        transcripts += [done.stdout, done.stderr]
    everything = "\n".join(transcripts)
    assert "DEBUG middleware.aws: AWS sts GetCallerIdentity" in everything, "--debug shows the core's records"
    for secret in secrets:
        assert secret not in everything
    # The one command whose job is to print a secret does print it.
    asked = run_cli(
        "secrets", "get", "analytics.read_only.password", "database=analytics", "db_user=read_only", env=env
    )
    assert asked.stdout.strip() == local_stack.db_passwords["read_only"]
