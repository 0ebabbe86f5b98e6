"""credsmash's formats (aes-ctr with a nonce, aes-gcm) in the same table as
credstash's, against the real credsmash 3.0.2 package over moto."""

from __future__ import annotations

import uuid

import boto3
import credstash
import pytest
from credsmash.api.get import get_secret as smash_get
from credsmash.api.put import put_secret as smash_put
from credsmash.dynamodb_storage_service import DynamoDbStorageService
from credsmash.kms_key_service import KmsKeyService

import middleware

from conftest import run_cli
from fix_stack import AsUser
from stack import Stack

TABLE = "credential-store"
VALUES = [b"", b"pw", "pässwörd ✓".encode(), b"a secret that is longer than sixteen bytes", bytes(range(256))]
CONTEXTS: list[dict[str, str] | None] = [None, {"database": "analytics", "db_user": "read_only"}]


def services(context: dict[str, str] | None) -> tuple[DynamoDbStorageService, KmsKeyService]:
    session = boto3.Session()
    return DynamoDbStorageService(session, TABLE), KmsKeyService(session, "alias/credstash", context)


def unique() -> str:
    return f"smash.{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize("algorithm", ["aes-ctr", "aes-gcm"])
@pytest.mark.parametrize("context", CONTEXTS, ids=["no-context", "context"])
def test_records_credsmash_writes_read_back_identically(
    as_user: AsUser, algorithm: str, context: dict[str, str] | None
) -> None:
    as_user("admin")
    storage, keys = services(context)
    for value in VALUES:
        name = unique()
        smash_put(storage, keys, name, value, algorithm=algorithm)
        assert middleware.get_secret_bytes(name, context=context) == value
        try:
            text = value.decode()
        except UnicodeDecodeError:
            with pytest.raises(middleware.DataError, match="get_secret_bytes"):
                middleware.get_secret(name, context=context)
        else:
            assert middleware.get_secret(name, context=context) == text


@pytest.mark.parametrize("context", CONTEXTS, ids=["no-context", "context"])
def test_gcm_records_we_write_are_read_by_credsmash(as_user: AsUser, context: dict[str, str] | None) -> None:
    as_user("admin")
    storage, keys = services(context)
    for value in VALUES:
        name = unique()
        assert middleware.put_secret(name, value, context=context, algorithm="aes-gcm") == "0" * 18 + "1"
        assert smash_get(storage, keys, name) == value
        assert middleware.get_secret_bytes(name, context=context) == value


def test_a_mixed_table_lists_reads_and_deletes(as_user: AsUser) -> None:
    as_user("admin")
    table = f"mixed-{uuid.uuid4().hex[:8]}"
    middleware.create_table(table)
    session = boto3.Session()
    storage = DynamoDbStorageService(session, table)
    keys = KmsKeyService(session, "alias/credstash", None)
    credstash.putSecret("legacy", "from credstash", version="1", region="us-east-1", table=table)
    smash_put(storage, keys, "ctr", b"from credsmash ctr", algorithm="aes-ctr")
    smash_put(storage, keys, "gcm", b"from credsmash gcm", algorithm="aes-gcm")
    middleware.put_secret("ours", "ours in gcm", table=table, algorithm="aes-gcm")
    assert [(i.name, i.version) for i in middleware.list_secrets(table=table)] == [
        (n, "0" * 18 + "1") for n in ("ctr", "gcm", "legacy", "ours")
    ]
    assert middleware.get_all_secrets(table=table) == {
        "ctr": "from credsmash ctr",
        "gcm": "from credsmash gcm",
        "legacy": "from credstash",
        "ours": "ours in gcm",
    }
    middleware.delete_secret("gcm", table=table)
    assert [i.name for i in middleware.list_secrets(table=table)] == ["ctr", "legacy", "ours"]


@pytest.mark.parametrize("attribute", ["iv", "tag", "contents"])
def test_tampering_with_a_gcm_record_is_detected(as_user: AsUser, attribute: str) -> None:
    as_user("admin")
    name = unique()
    middleware.put_secret(name, "authenticated secret", algorithm="aes-gcm")
    table = boto3.Session().resource("dynamodb").Table(TABLE)
    key = {"name": name, "version": "0" * 18 + "1"}
    item = table.get_item(Key=key)["Item"]
    raw = bytearray(bytes(item[attribute].value))
    raw[0] ^= 0x01
    item[attribute] = bytes(raw)
    table.put_item(Item=item)
    with pytest.raises(middleware.SecretIntegrityError) as caught:
        middleware.get_secret(name)
    assert name in str(caught.value) and "authenticated secret" not in str(caught.value)


def test_unknown_algorithms_are_named(as_user: AsUser) -> None:
    as_user("admin")
    name = unique()
    middleware.put_secret(name, "x")
    table = boto3.Session().resource("dynamodb").Table(TABLE)
    item = table.get_item(Key={"name": name, "version": "0" * 18 + "1"})["Item"]
    item["algorithm"] = "chacha-future"
    table.put_item(Item=item)
    with pytest.raises(middleware.SecretIntegrityError, match="chacha-future"):
        middleware.get_secret(name)
    with pytest.raises(middleware.ProgrammingError, match="aes-gcm"):
        middleware.put_secret(unique(), "x", algorithm="rot13")


def test_cli_put_with_algorithm(as_user: AsUser, local_stack: Stack) -> None:
    as_user("admin")
    env = local_stack.env_for("admin")
    name = unique()
    done = run_cli("secrets", "put", name, "via cli", "--algorithm", "aes-gcm", env=env)
    assert done.returncode == 0, done.stderr
    assert run_cli("secrets", "get", name, env=env).stdout == "via cli\n"
    storage, keys = services(None)
    assert smash_get(storage, keys, name) == b"via cli"
