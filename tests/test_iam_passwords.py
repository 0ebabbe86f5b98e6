"""Passwords that IAM hands out: Redshift's temporary credentials (moto's
GetClusterCredentials, with a proxy doing Redshift's part in the local
PostgreSQL, dev/stack/redshift.py) and RDS IAM auth tokens (compared with
botocore's generate_db_auth_token, received by a fake server behind TLS
verified with the stack's CA)."""

from __future__ import annotations

import datetime as dt
import json
import re
import ssl
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
from fix_pgfake import FakePostgres

import middleware

from conftest import admin_sql, run_cli
from fix_stack import AsUser
from stack import Stack
from stack.redshift import CLUSTER, RedshiftProxy, play_redshift, warehouse_config

ACCOUNT = "123456789012"


def config_text(info: Stack) -> str:
    return f"""[credstash]
table = "credential-store"
kms_key = "alias/credstash"
region = "us-east-1"

{warehouse_config(info, "warehouse")}
{warehouse_config(info, "found", host=False)}
[databases.aurora]
host = "localhost"
sslrootcert = "{info.ca}"
password_source = "rds-iam"
region = "us-east-1"
default_user = "app"
[databases.aurora.users.app]
allow = ["account:{ACCOUNT}"]
"""


@pytest.fixture(scope="module")
def redshift(local_stack: Stack) -> Iterator[dict[str, Any]]:
    played = play_redshift(local_stack)
    yield {"proxy": played.proxy, "keys": (played.analyst.key_id, played.analyst.secret_key)}
    played.proxy.close()


@pytest.fixture
def config_file(local_stack: Stack, tmp_path: Path) -> Path:
    path = tmp_path / "middleware.toml"
    path.write_text(config_text(local_stack))
    return path


@pytest.fixture
def act_as(
    as_user: AsUser, monkeypatch: pytest.MonkeyPatch, config_file: Path, redshift: dict[str, Any]
) -> Callable[[str], None]:
    """as_user, plus what this module needs after each switch: its config and
    Redshift reached through the proxy; "rs-analyst" is not a stack user (its
    keys go in the environment)."""

    def switch(who: str) -> None:
        if who == "rs-analyst":
            as_user("alice")
            monkeypatch.delenv("AWS_PROFILE")
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", redshift["keys"][0])
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", redshift["keys"][1])
        else:
            as_user(who)
        monkeypatch.setenv("MIDDLEWARE_CONFIG", str(config_file))
        monkeypatch.setenv("AWS_ENDPOINT_URL_REDSHIFT", redshift["proxy"].url)

    return switch


# ----------------------------------------------------------------- redshift-iam


def test_connect_runs_as_the_temporary_user_and_reuses_it(
    act_as: Callable[[str], None], redshift: dict[str, Any]
) -> None:
    proxy: RedshiftProxy = redshift["proxy"]
    act_as("rs-analyst")
    before = proxy.calls["GetClusterCredentials"]
    with middleware.connect(database="warehouse") as conn:
        user, rows = conn.query_with_timeout("select current_user, (select count(*) from sales)")[0]
    assert (user, rows) == ("IAM:read_only", 1000), "logged in as Redshift's user, in the group's grants"
    assert proxy.calls["GetClusterCredentials"] == before + 1
    ask = proxy.asks[-1]
    assert (ask["ClusterIdentifier"], ask["DbUser"], ask["DbName"]) == (CLUSTER, "read_only", "analytics")
    assert ask["DbGroups.DbGroup.1"] == "read_only" and ask["AutoCreate"] == "false"
    assert ask["DurationSeconds"] == "900"
    with middleware.connect(database="warehouse") as conn:
        assert conn.query_with_timeout("select current_user")[0] == ("IAM:read_only",)
    assert proxy.calls["GetClusterCredentials"] == before + 1, "a second connect within the expiry makes no call"


def test_a_rejected_cached_password_is_fetched_again_once(
    act_as: Callable[[str], None], redshift: dict[str, Any], local_stack: Stack
) -> None:
    proxy: RedshiftProxy = redshift["proxy"]
    act_as("rs-analyst")
    middleware.connect(database="warehouse").close()
    before = proxy.calls["GetClusterCredentials"]
    # The cluster forgot it (as after a restore): the cached password is refused.
    admin_sql(local_stack, """ALTER ROLE "IAM:read_only" PASSWORD 'not-the-cached-one'""")
    with middleware.connect(database="warehouse") as conn:
        assert conn.query_with_timeout("select current_user")[0] == ("IAM:read_only",)
    assert proxy.calls["GetClusterCredentials"] == before + 1


def test_without_a_host_the_endpoint_comes_from_describe_clusters(
    act_as: Callable[[str], None], redshift: dict[str, Any]
) -> None:
    proxy: RedshiftProxy = redshift["proxy"]
    act_as("rs-analyst")
    before = proxy.calls["DescribeClusters"]
    with middleware.connect(database="found") as conn:
        assert conn.query_with_timeout("select current_user")[0] == ("IAM:read_only",)
    assert proxy.calls["DescribeClusters"] == before + 1


def test_an_identity_without_the_action_gets_our_denial_naming_it(act_as: Callable[[str], None]) -> None:
    act_as("alice")  # may use read_only by the config; IAM lacks redshift:GetClusterCredentials
    with pytest.raises(middleware.AccessDenied) as caught:
        middleware.connect(database="warehouse")
    err = caught.value
    assert err.action == "redshift:GetClusterCredentials"
    assert err.arn == f"arn:aws:iam::{ACCOUNT}:user/alice"
    text = str(err)
    assert "redshift:GetClusterCredentials" in text and "read_only" in text and "warehouse" in text, text
    assert "IAM permissions do not" in text, text


def test_the_cli_queries_and_doctors_every_source(
    act_as: Callable[[str], None], config_file: Path, redshift: dict[str, Any], local_stack: Stack
) -> None:
    env = local_stack.env_for(
        "alice",
        MIDDLEWARE_CONFIG=str(config_file),
        AWS_ENDPOINT_URL_REDSHIFT=redshift["proxy"].url,
        AWS_ACCESS_KEY_ID=redshift["keys"][0],
        AWS_SECRET_ACCESS_KEY=redshift["keys"][1],
    )
    env.pop("AWS_PROFILE")
    out = run_cli("query", "warehouse", "select current_user as who", env=env)
    assert out.returncode == 0, out.stderr
    assert "IAM:read_only" in out.stdout
    doctor = run_cli("doctor", "warehouse", env=env)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert re.search(r"OK +password source redshift-iam: temporary credentials for \"IAM:read_only\"", doctor.stdout)
    assert "credstash table" not in doctor.stdout, "no credstash record is involved"
    shown = run_cli("config", "show", env=env)
    assert 'password_source = "redshift-iam"' in shown.stdout and 'cluster_identifier = "warehouse"' in shown.stdout


def test_iam_policy_names_the_statement_each_source_needs(
    act_as: Callable[[str], None], config_file: Path, local_stack: Stack
) -> None:
    env = local_stack.env_for("alice", MIDDLEWARE_CONFIG=str(config_file))
    out = run_cli("iam-policy", "warehouse", "read_only", env=env)
    assert out.returncode == 0, out.stderr
    statements = json.loads(out.stdout)["Statement"]
    assert [s["Action"] for s in statements] == ["redshift:GetClusterCredentials", "redshift:JoinGroup"]
    arn = f"arn:aws:redshift:us-east-1:{ACCOUNT}"
    assert statements[0]["Resource"] == [
        f"{arn}:dbuser:{CLUSTER}/read_only",
        f"{arn}:dbname:{CLUSTER}/analytics",
        f"{arn}:dbgroup:{CLUSTER}/read_only",
    ]
    found = json.loads(run_cli("iam-policy", "found", "read_only", env=env).stdout)["Statement"]
    assert found[-1]["Action"] == "redshift:DescribeClusters"
    rds = run_cli("iam-policy", "aurora", "app", "--resource-id", "db-ABCDEFGHIJ", env=env)
    assert json.loads(rds.stdout)["Statement"] == [
        {
            "Sid": "ConnectAsItsDatabaseUser",
            "Effect": "Allow",
            "Action": "rds-db:connect",
            "Resource": f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:db-ABCDEFGHIJ/app",
        }
    ]
    unnamed = run_cli("iam-policy", "aurora", "app", env=env)
    assert "dbuser:*/app" in unnamed.stdout and "--resource-id" in unnamed.stderr


# ---------------------------------------------------------------------- rds-iam


@pytest.fixture
def verified_fake(local_stack: Stack) -> Iterator[FakePostgres]:
    """Asks for a cleartext password behind TLS with the stack's certificate
    (signed by its CA, for localhost), as RDS does for IAM users."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    directory = local_stack.ca.parent
    tls.load_cert_chain(directory / "server.crt", directory / "server.key")
    server = FakePostgres("cleartext", tls)
    yield server
    server.close()


def botocore_token(info: Stack, token: str, port: int) -> str:
    """botocore's generate_db_auth_token for the same inputs, its clock frozen
    at the token's X-Amz-Date."""
    signed_at = urllib.parse.parse_qs(token.split("?", 1)[1])["X-Amz-Date"][0]
    frozen = dt.datetime.strptime(signed_at, "%Y%m%dT%H%M%SZ")
    rds = boto3.session.Session().client(  # a fresh session: the environment changed since the default one
        "rds",
        region_name="us-east-1",
        aws_access_key_id=info.users["alice"].key_id,
        aws_secret_access_key=info.users["alice"].secret_key,
    )
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *_: frozen
    try:
        return str(rds.generate_db_auth_token(DBHostname="localhost", Port=port, DBUsername="app"))
    finally:
        botocore.auth.get_current_datetime = real


def test_the_token_equals_botocores_and_goes_only_over_verified_tls(
    act_as: Callable[[str], None], verified_fake: FakePostgres, local_stack: Stack
) -> None:
    act_as("alice")
    with pytest.raises(middleware.DatabaseError) as caught:
        middleware.connect(database="aurora", port=verified_fake.port)
    assert caught.value.sqlstate == "28P01", "the fake refuses every login"
    assert "rds-db:connect" in str(caught.value) and "rds_iam" in str(caught.value)
    [answer] = verified_fake.answers
    token = answer.rstrip(b"\0").decode()
    assert token.startswith(f"localhost:{verified_fake.port}/?Action=connect&DBUser=app&X-Amz-Algorithm=")
    assert token == botocore_token(local_stack, token, verified_fake.port)
    # A second connect within 14 minutes sends the same token.
    with pytest.raises(middleware.DatabaseError):
        middleware.connect(database="aurora", port=verified_fake.port)
    assert verified_fake.answers[1] == answer


@pytest.mark.parametrize("sslmode", ["require", "prefer", "disable"])
def test_an_unverified_sslmode_never_sends_the_token(
    act_as: Callable[[str], None], verified_fake: FakePostgres, sslmode: str
) -> None:
    act_as("alice")
    with pytest.raises(middleware.ConfigError, match="sends its token only over verified TLS.*verify-full"):
        middleware.connect(
            database="aurora", port=verified_fake.port, sslmode=sslmode, sslrootcert="", allow_insecure_password=True
        )
    assert verified_fake.answers == []


def test_psql_logs_in_as_the_temporary_user(
    act_as: Callable[[str], None], config_file: Path, redshift: dict[str, Any], local_stack: Stack
) -> None:
    env = local_stack.env_for(
        "alice",
        MIDDLEWARE_CONFIG=str(config_file),
        AWS_ENDPOINT_URL_REDSHIFT=redshift["proxy"].url,
        AWS_ACCESS_KEY_ID=redshift["keys"][0],
        AWS_SECRET_ACCESS_KEY=redshift["keys"][1],
    )
    env.pop("AWS_PROFILE")
    # The real psql, reading SQL from its standard input; the password only in its passfile.
    done = run_cli("connect", "warehouse", env=env, input="select 'user=' || current_user;\n")
    assert done.returncode == 0, done.stderr
    assert "user=IAM:read_only" in done.stdout, done.stdout
