"""The local stack is real: moto with IAM enforcement, PostgreSQL with scram
and TLS, passwords stored by the real credstash package."""

from __future__ import annotations

import os
from typing import Any

import boto3
import credstash
import psycopg
import pytest
from botocore.exceptions import ClientError

from stack import Stack


def session(info: Stack, profile: str) -> boto3.Session:
    return boto3.Session(profile_name=profile, region_name=info.env_for(profile)["AWS_REGION"])


@pytest.fixture(autouse=True)
def _point_boto_at_stack(local_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    for key, value in local_stack.env.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize("user", ["admin", "alice", "bob", "carol", "dave"])
def test_each_seeded_user_has_its_own_sts_identity(local_stack: Stack, user: str) -> None:
    ident = session(local_stack, user).client("sts").get_caller_identity()
    assert ident["Arn"] == local_stack.users[user].arn
    assert ident["Account"] == local_stack.account


def test_iam_is_enforced_for_a_user_without_permissions(local_stack: Stack) -> None:
    with pytest.raises(ClientError) as denied:
        session(local_stack, "carol").client("dynamodb").describe_table(TableName="credential-store")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_keys_are_rejected(local_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    with pytest.raises(ClientError):
        boto3.Session().client("sts").get_caller_identity()


def test_postgres_login_over_verified_tls_with_the_password_credstash_holds(
    local_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "alice")
    for user in ("read_only", "read_write"):
        password = credstash.getSecret(
            f"analytics.{user}.password",
            region="us-east-1",
            table="credential-store",
            context={"database": "analytics", "db_user": user},
        )
        assert password == local_stack.db_passwords[user]
        with psycopg.connect(
            host="localhost",
            port=local_stack.pg_port,
            dbname="analytics",
            user=user,
            password=password,
            sslmode="verify-full",
            sslrootcert=str(local_stack.ca),
        ) as conn:
            row = conn.execute(
                "select ssl, (select count(*) from sales) from pg_stat_ssl where pid = pg_backend_pid()"
            ).fetchone()
            assert row is not None
            ssl, count = row
            assert ssl is True and count == 1000


def test_postgres_refuses_plaintext_and_wrong_passwords(local_stack: Stack) -> None:
    common: dict[str, Any] = dict(host="127.0.0.1", port=local_stack.pg_port, dbname="analytics", user="read_only")
    with pytest.raises(psycopg.OperationalError, match=r"no pg_hba\.conf entry|SSL off"):
        psycopg.connect(**common, password=local_stack.db_passwords["read_only"], sslmode="disable")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**common, password="wrong", sslmode="require")
