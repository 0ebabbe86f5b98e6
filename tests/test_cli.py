"""The `middleware` command line end to end against the stack."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from conftest import active_sleeps, run_cli, wait_until
from stack import Stack

SALES = "select id, region, amount, sold_at from sales order by id limit 20"


def psycopg_rows(info: Stack, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(
        host="localhost",
        port=info.pg_port,
        dbname="analytics",
        user="read_only",
        password=info.db_passwords["read_only"],
        sslmode="require",
    ) as conn:
        return conn.execute(sql).fetchall()


def test_query_formats_parse_back_to_the_rows(local_stack: Stack) -> None:
    env = local_stack.env_for("alice")
    expected = psycopg_rows(local_stack, SALES)
    done = run_cli("query", SALES, "--format", "csv", env=env)
    assert done.returncode == 0, done.stderr
    parsed = list(csv.reader(io.StringIO(done.stdout)))
    assert parsed[0] == ["id", "region", "amount", "sold_at"]
    assert [(int(r[0]), r[1], r[2]) for r in parsed[1:]] == [(i, r, str(a)) for i, r, a, _ in expected]
    assert parsed[1][3] == expected[0][3].isoformat()

    done = run_cli("query", "analytics", SALES, "--format", "json", env=env)
    rows = json.loads(done.stdout)
    assert [(r["id"], r["region"], r["amount"]) for r in rows] == [(i, r, str(a)) for i, r, a, _ in expected]
    done = run_cli("query", SALES, "--format", "jsonl", env=env)
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == [r[0] for r in expected]
    done = run_cli("query", "-", "--format", "table", env=env, input="select null::int as n, 'x' as s")
    assert "NULL" in done.stdout and "(1 row)" in done.stdout


def test_exit_codes(local_stack: Stack, tmp_path: Path) -> None:
    alice, bob = local_stack.env_for("alice"), local_stack.env_for("bob")
    sql_file = tmp_path / "q.sql"
    sql_file.write_text("select 7")
    assert run_cli("query", "-f", str(sql_file), env=alice).stdout == "?column?\n7\n"
    assert run_cli("query", "--no-such-flag", env=alice).returncode == 2
    denied = run_cli("query", "select 1", "-u", "read_write", env=bob)
    assert denied.returncode == 3 and "access denied" in denied.stderr
    timeout = run_cli("query", "select pg_sleep(5)", "--timeout", "500ms", env=alice)
    assert timeout.returncode == 4 and "500ms" in timeout.stderr
    bad = run_cli("query", "selec 1", env=alice)
    assert bad.returncode == 1 and "42601" in bad.stderr and bad.stderr.count("\n") == 1
    too_long = run_cli("query", "select 1", "--timeout", "1h", env=alice)
    assert too_long.returncode == 1 and "max_timeout" in too_long.stderr


def test_whoami_iam_policy_and_doctor(local_stack: Stack) -> None:
    env = local_stack.env_for("bob")
    who = run_cli("whoami", env=env)
    assert who.returncode == 0
    assert local_stack.users["bob"].arn in who.stdout
    assert "analytics  read_only\n" in who.stdout

    policy = json.loads(run_cli("iam-policy", "analytics", "read_only", env=env).stdout)
    ddb, kms = policy["Statement"]
    assert ddb["Resource"] == "arn:aws:dynamodb:us-east-1:123456789012:table/credential-store"
    assert ddb["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"] == ["analytics.read_only.password"]
    assert kms["Action"] == "kms:Decrypt"
    assert kms["Condition"]["StringEquals"] == {
        "kms:EncryptionContext:database": "analytics",
        "kms:EncryptionContext:db_user": "read_only",
    }

    healthy = run_cli("doctor", env=env)
    assert healthy.returncode == 0, healthy.stdout
    assert "FAIL" not in healthy.stdout and "OK   database login" in healthy.stdout
    broken = run_cli("doctor", env={**env, "MIDDLEWARE_CREDSTASH_TABLE": "gone"})
    assert broken.returncode == 1
    assert "FAIL credstash table" in broken.stdout and "secrets setup" in broken.stdout


def test_iam_policy_scopes_decrypt_to_the_key_and_warns_without_a_context(local_stack: Stack, tmp_path: Path) -> None:
    key_arn = local_stack.kms_keys["alias/credstash"]
    admin = local_stack.env_for("admin")
    done = run_cli("iam-policy", "analytics", "read_write", env=admin)
    assert done.returncode == 0, done.stderr
    kms = json.loads(done.stdout)["Statement"][1]
    assert kms["Resource"] == key_arn, "the configured key's ARN, not key/*"
    assert kms["Condition"]["StringEquals"]["kms:EncryptionContext:db_user"] == "read_write"
    assert "warning" not in done.stderr
    # bob may not DescribeKey: the key is named by its alias instead of key/* alone.
    bob = run_cli("iam-policy", "analytics", "read_only", env=local_stack.env_for("bob"))
    by_alias = json.loads(bob.stdout)["Statement"][1]
    assert by_alias["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == ["alias/credstash"]
    assert "kms:DescribeKey" in bob.stderr
    # No encryption context: the lock is only the table, and it says so.
    config = Path(admin["MIDDLEWARE_CONFIG"]).read_text()
    lines = [line for line in config.splitlines() if not line.startswith("context =")]
    bare = tmp_path / "no-context.toml"
    bare.write_text("\n".join(lines) + "\n")
    plain = run_cli("iam-policy", "analytics", "read_write", env={**admin, "MIDDLEWARE_CONFIG": str(bare)})
    assert plain.returncode == 0, plain.stderr
    assert "no encryption context" in plain.stderr and "only lock" in plain.stderr
    assert "Condition" not in json.loads(plain.stdout)["Statement"][1]
    assert json.loads(plain.stdout)["Statement"][1]["Resource"] == key_arn


FAKE_PSQL = """#!{python}
import os, stat, sys
print("argv", sys.argv[1:])
print("env", sorted(k for k in os.environ if k.startswith("PG")))
path = os.environ["PGPASSFILE"]
print("mode", oct(stat.S_IMODE(os.stat(path).st_mode)))
print("password", open(path).read().strip().rsplit(":", 1)[1])
print("passfile", path)
"""


def test_connect_runs_psql_with_the_password_only_in_a_private_file(local_stack: Stack, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "psql"
    fake.write_text(FAKE_PSQL.format(python=sys.executable))
    fake.chmod(0o755)
    env = local_stack.env_for("alice")
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    done = run_cli("connect", "analytics", "-u", "read_write", env=env)
    assert done.returncode == 0, done.stderr
    password = local_stack.db_passwords["read_write"]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert password not in lines["argv"] and password not in lines["env"]
    assert "PGPASSWORD" not in lines["env"] and "PGSSLROOTCERT" in lines["env"]
    assert lines["mode"] == "0o600"
    assert lines["password"] == password, "psql gets the real password through the file"
    assert not Path(lines["passfile"]).exists(), "the file is gone once psql exits"

    env["PATH"] = f"{tmp_path / 'empty'}"
    missing = run_cli("connect", env=env)
    assert missing.returncode == 1 and "apt-get install postgresql-client" in missing.stderr


SLEEPING_PSQL = """#!/bin/sh
# A stand-in psql: records what it was given (never the password), then waits.
env > "{record}/env"
printf '%s\\n' "$@" > "{record}/argv"
test -f "$PGPASSFILE" && printf '%s' "$PGPASSFILE" > "{record}/passfile"
exec sleep 60
"""


def files_containing(secret: str, *dirs: Path) -> list[Path]:
    found = []
    for base in dirs:
        for path in base.rglob("*"):
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(path)
    return found


@pytest.mark.parametrize(("sig", "to_group"), [(signal.SIGHUP, True), (signal.SIGTERM, True), (signal.SIGINT, False)])
def test_connect_removes_the_passfile_when_signalled(
    local_stack: Stack, tmp_path: Path, sig: signal.Signals, to_group: bool
) -> None:
    bin_dir, record, xdg, tmp = (tmp_path / d for d in ("bin", "record", "xdg", "tmp"))
    for d in (bin_dir, record, xdg, tmp):
        d.mkdir()
    xdg.chmod(0o700)
    psql = bin_dir / "psql"
    psql.write_text(SLEEPING_PSQL.format(record=record))
    psql.chmod(0o755)
    env = local_stack.env_for("alice", XDG_RUNTIME_DIR=str(xdg), TMPDIR=str(tmp))
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    password = local_stack.db_passwords["read_write"]
    exe = Path(sys.executable).parent / "middleware"
    proc = subprocess.Popen(
        [str(exe), "connect", "analytics", "-u", "read_write"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert wait_until(lambda: (record / "passfile").exists(), within=30), proc.stderr
        passfile = Path((record / "passfile").read_text())
        assert passfile.parent == xdg, "in $XDG_RUNTIME_DIR when there is one"
        assert passfile.exists() and files_containing(password, xdg) == [passfile]
        own = Path(f"/proc/{proc.pid}")
        assert password.encode() not in (own / "cmdline").read_bytes() + (own / "environ").read_bytes()
        if to_group:
            os.killpg(proc.pid, sig)  # as a closed terminal or a job scheduler does
        else:
            os.kill(proc.pid, sig)  # only middleware: psql gets it forwarded
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + sig, err
    assert not passfile.exists()
    assert files_containing(password, xdg, tmp, record) == []
    seen_env = (record / "env").read_text()
    assert password not in seen_env and password not in (record / "argv").read_text()
    lines = dict(line.split("=", 1) for line in seen_env.splitlines() if line.startswith("PG"))
    assert lines["PGHOST"] == "localhost" and lines["PGSSLMODE"] == "verify-full"
    assert lines["PGSSLROOTCERT"] == str(local_stack.ca)
    assert "PGPASSWORD" not in lines


def test_connect_without_a_usable_xdg_runtime_dir_uses_tmpdir(local_stack: Stack, tmp_path: Path) -> None:
    bin_dir, tmp = tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    tmp.mkdir()
    fake = bin_dir / "psql"
    fake.write_text(FAKE_PSQL.format(python=sys.executable))
    fake.chmod(0o755)
    env = local_stack.env_for("alice", TMPDIR=str(tmp))
    env.pop("XDG_RUNTIME_DIR", None)
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    for runtime_dir in (None, str(tmp_path / "gone")):  # unset, or not a directory
        if runtime_dir is not None:
            env["XDG_RUNTIME_DIR"] = runtime_dir
        done = run_cli("--debug", "connect", "analytics", "-u", "read_write", env=env)
        assert done.returncode == 0, done.stderr
        lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
        assert Path(lines["passfile"]).parent == tmp and not Path(lines["passfile"]).exists()
        assert list(tmp.iterdir()) == []


def test_connect_gives_psql_the_resolved_host_even_for_a_user_with_an_at_sign(
    local_stack: Stack, tmp_path: Path
) -> None:
    from conftest import admin_sql

    user, password = "alice@corp.example", "at-sign-user-password"
    admin_sql(local_stack, f'drop role if exists "{user}"; create role "{user}" login password \'{password}\'')
    admin = local_stack.env_for("admin")
    context = ["database=analytics", f"db_user={user}"]
    for name, value in ((f"analytics.{user}.password", password), (f"analytics.{user}.host", "localhost")):
        stored = run_cli("secrets", "put", name, "-", *context, "-a", env=admin, input=value)
        assert stored.returncode == 0, stored.stderr
    config = (
        Path(admin["MIDDLEWARE_CONFIG"])
        .read_text()
        .replace('host = "localhost"', 'host_secret = "analytics.{user}.host"')
    )
    config += f'\n[databases.analytics.users."{user}"]\nallow = ["account:{local_stack.account}"]\n'
    (tmp_path / "host-secret.toml").write_text(config)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "psql"
    fake.write_text(f"#!{sys.executable}\nimport os\nprint(os.environ['PGHOST'], os.environ['PGUSER'])\n")
    fake.chmod(0o755)
    env = local_stack.env_for("alice", MIDDLEWARE_CONFIG=str(tmp_path / "host-secret.toml"))
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    done = run_cli("connect", "analytics", "-u", user, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["localhost", user], "not the part of the user name after the @"


def test_ps_never_shows_the_password_during_a_real_psql_session(local_stack: Stack) -> None:
    env = local_stack.env_for("alice")
    password = local_stack.db_passwords["read_only"]
    seen: list[str] = []

    def watch() -> None:
        deadline = time.monotonic() + 1.8
        while time.monotonic() < deadline:
            ps = subprocess.run(["ps", "axeww", "-o", "args"], capture_output=True, text=True)
            seen.append(ps.stdout)
            time.sleep(0.2)

    with subprocess.Popen(
        [str(Path(sys.executable).parent / "middleware"), "connect"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as session:
        watcher = threading.Thread(target=watch)
        watcher.start()
        out, err = session.communicate("select 'session-' || current_user;\nselect pg_sleep(2);\n", timeout=30)
        watcher.join()
    assert session.returncode == 0, err
    assert "session-read_only" in out
    assert any("psql" in snapshot for snapshot in seen), "psql was running while we looked"
    assert all(password not in snapshot for snapshot in seen)


def test_config_check_and_show_through_the_stack_config(local_stack: Stack) -> None:
    env = local_stack.env_for("alice")
    assert run_cli("config", "check", env=env).returncode == 0
    shown = run_cli("config", "show", env=env).stdout
    assert "verify-full" in shown and "$MIDDLEWARE_CONFIG" in shown
    assert 'application_name = "middleware:{principal}"' in shown and "allow_insecure_password = false" in shown
    for secret in local_stack.db_passwords.values():
        assert secret not in shown


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def test_terminal_table_and_spinner_under_tmux(local_stack: Stack, tmp_path: Path) -> None:
    env = local_stack.env_for("alice", TERM="xterm-256color")
    exe = Path(sys.executable).parent / "middleware"
    session = f"mw-{os.getpid()}"
    script = tmp_path / "run.sh"
    exports = "".join(f"export {k}='{v}'\n" for k, v in env.items() if k.startswith(("AWS_", "MIDDLEWARE_", "HOME")))
    script.write_text(f'{exports}{exe} query "select pg_sleep(2.5), 42 as answer, null::text as nothing"\nsleep 30\n')
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "20", f"bash {script}")
    try:
        time.sleep(1.8)
        during = tmux("capture-pane", "-p", "-t", session)
        assert "running" in during, during
        deadline = time.monotonic() + 10
        while "(1 row)" not in (after := tmux("capture-pane", "-p", "-t", session)):
            assert time.monotonic() < deadline, after
            time.sleep(0.2)
        assert "answer" in after and "42" in after and "NULL" in after
        assert "running" not in after, "the spinner is cleared"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_no_spinner_without_a_terminal_and_completion_scripts(local_stack: Stack) -> None:
    env = local_stack.env_for("alice")
    done = run_cli("query", "select pg_sleep(1.3)", env=env)
    assert done.returncode == 0 and "running" not in done.stderr and done.stderr == ""
    for shell, marker in (
        ("bash", "complete -F"),
        ("zsh", "#compdef middleware"),
        ("fish", "complete -c middleware"),
    ):
        script = run_cli("completion", shell)
        assert script.returncode == 0 and marker in script.stdout, shell
    debug = run_cli("--debug", "query", "selec 1", env=env)
    assert debug.returncode == 1 and "debug:" in debug.stderr and "42601" in debug.stderr


def test_ctrl_c_on_a_cli_query_cancels_it_on_the_server(local_stack: Stack) -> None:
    env = local_stack.env_for("alice")
    with subprocess.Popen(
        [str(Path(sys.executable).parent / "middleware"), "query", "select pg_sleep(30)"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert wait_until(lambda: active_sleeps(local_stack) == 1, 10)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=5)
    assert child.returncode == 130 and "interrupted" in err
    assert wait_until(lambda: active_sleeps(local_stack) == 0, 0.5)
