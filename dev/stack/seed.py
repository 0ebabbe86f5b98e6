"""Seeds the stack like a small organisation: AWS (KMS keys, the credstash
table, IAM users and a role), PostgreSQL (roles, a sample table, the SQLAlchemy
suite's database), the passwords stored by the real credstash package, and the
middleware config that ties them together."""

from __future__ import annotations

import contextlib
import io
import json
import secrets
from pathlib import Path

from stack.org import (
    ACCOUNT,
    CONTACT,
    DATABASE,
    DB_USERS,
    IAM_USERS,
    KMS_ALIASES,
    READ_SECRETS,
    READER_ROLE,
    REGION,
    SQLA_DATABASE,
    TABLE,
    arn,
)
from stack.postgres import Postgres


def seed_aws() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """KMS keys + aliases, the credstash table, IAM users with keys and policies.
    Runs before IAM enforcement is switched on, with throwaway keys. Returns
    each user's (access key id, secret key) and each KMS alias's key ARN."""
    import boto3
    import credstash

    kms = boto3.client("kms")
    kms_keys = {}
    for alias in KMS_ALIASES:
        key = kms.create_key(Description=alias)["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        kms_keys[alias] = key["Arn"]
    with contextlib.redirect_stdout(io.StringIO()):  # credstash narrates table creation
        credstash.createDdbTable(region=REGION, table=TABLE)
    iam = boto3.client("iam")
    keys = {}
    for user, actions in IAM_USERS.items():
        iam.create_user(UserName=user)
        if actions is not None:
            iam.put_user_policy(
                UserName=user,
                PolicyName=f"{user}-access",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
                    }
                ),
            )
        key = iam.create_access_key(UserName=user)["AccessKey"]
        keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
    iam.create_role(
        RoleName=READER_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        # Named users: moto matches trust principals literally.
                        "Principal": {"AWS": [arn(user) for user in IAM_USERS]},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    iam.put_role_policy(
        RoleName=READER_ROLE,
        PolicyName="read-secrets",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": READ_SECRETS, "Resource": "*"}],
            }
        ),
    )
    return keys, kms_keys


def seed_postgres(pg: Postgres) -> dict[str, str]:
    """Roles read_only and read_write with random passwords, and a sample table."""
    passwords = {user: secrets.token_urlsafe(18) for user in DB_USERS}
    with pg.admin() as conn:
        for user, password in passwords.items():
            conn.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    with pg.admin(DATABASE) as conn:
        conn.execute("""
            CREATE TABLE sales (
                id serial PRIMARY KEY,
                region text NOT NULL,
                product text NOT NULL,
                amount numeric(10, 2) NOT NULL,
                sold_at timestamptz NOT NULL
            )""")
        conn.execute("""
            INSERT INTO sales (region, product, amount, sold_at)
            SELECT (ARRAY['north','south','east','west'])[1 + i % 4],
                   (ARRAY['widget','gadget','gizmo'])[1 + i % 3],
                   round((i * 7.31)::numeric % 1000, 2),
                   timestamptz '2026-01-01 00:00:00+00' + i * interval '1 hour'
            FROM generate_series(1, 1000) AS i""")
        conn.execute("GRANT SELECT ON sales TO read_only")
        conn.execute("GRANT ALL ON sales TO read_write")
        conn.execute("GRANT USAGE ON SEQUENCE sales_id_seq TO read_write")
        conn.execute("GRANT CREATE ON SCHEMA public TO read_write")
    # SQLAlchemy's dialect compliance suite (tests/sqla) gets a database of its
    # own (reached with connect(dbname=SQLA_DATABASE)): it expects to find only
    # its own tables, and creates and reflects objects in two more schemas.
    with pg.admin() as conn:
        conn.execute(f"CREATE DATABASE {SQLA_DATABASE} OWNER read_write")
    with pg.admin(SQLA_DATABASE) as conn:
        for schema in ("test_schema", "test_schema_2"):
            conn.execute(f"CREATE SCHEMA {schema} AUTHORIZATION read_write")
    return passwords


def store_passwords(passwords: dict[str, str]) -> None:
    """Stored by the real credstash package, as a platform team would."""
    import credstash

    for user, password in passwords.items():
        credstash.putSecret(
            f"{DATABASE}.{user}.password",
            password,
            version="1",
            region=REGION,
            table=TABLE,
            context={"database": DATABASE, "db_user": user},
        )


def config_toml(pg_port: int, ca: Path) -> str:
    """middleware.toml for the stack: its credstash table and the database analytics."""
    return f"""# Generated by dev/stack (the local stack).
[credstash]
table = "{TABLE}"
kms_key = "alias/credstash"
region = "{REGION}"

[access]
contact = "{CONTACT}"

[databases.{DATABASE}]
host = "localhost"
port = {pg_port}
dbname = "{DATABASE}"
sslmode = "verify-full"
sslrootcert = "{ca}"
password_secret = "{DATABASE}.{{user}}.password"
context = {{ database = "{DATABASE}", db_user = "{{user}}" }}
default_user = "read_only"
default_timeout = "30s"
max_timeout = "5m"

[databases.{DATABASE}.users.read_only]
allow = ["account:{ACCOUNT}"]

[databases.{DATABASE}.users.read_write]
allow = ["{arn("alice")}", "{arn("admin")}"]
"""
