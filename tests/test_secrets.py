"""credstash compatibility, both directions, against the real credstash 1.17.1
package over the stack's moto (IAM enforcement on), plus the errors a user
will hit."""

from __future__ import annotations

import base64
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import boto3
import credstash
import pytest

import middleware

from conftest import run_cli
from fix_stack import AsUser
from stack import Stack

DIGESTS = ["SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"]
VALUES = ["", "pw", "pässwörd ✓ 日本", "a secret that is longer than sixteen bytes", "x" * 65536]
CONTEXTS: list[dict[str, str] | None] = [None, {"database": "analytics", "db_user": "read_only"}]
TABLE = "credential-store"


def unique(prefix: str = "t") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


def cs_put(name: str, value: str, **kw: object) -> None:
    credstash.putSecret(name, value, region="us-east-1", table=TABLE, **kw)


def cs_get(name: str, **kw: object) -> str:
    return str(credstash.getSecret(name, region="us-east-1", table=TABLE, **kw))


@pytest.mark.parametrize("digest", DIGESTS)
@pytest.mark.parametrize("context", CONTEXTS, ids=["no-context", "context"])
def test_interop_both_directions(as_user: AsUser, digest: str, context: dict[str, str] | None) -> None:
    as_user("admin")
    for value in VALUES:
        theirs, ours = unique("theirs"), unique("ours")
        cs_put(theirs, value, version="1", digest=digest, context=context)
        assert middleware.get_secret(theirs, context=context) == value
        middleware.put_secret(ours, value, digest=digest, context=context)
        assert cs_get(ours, context=context) == value


def test_records_we_write_are_attribute_for_attribute_what_credstash_writes(as_user: AsUser) -> None:
    as_user("admin")
    ours, theirs = unique(), unique()
    middleware.put_secret(ours, "same", comment="c1")
    cs_put(theirs, "same", version="1", comment="c1")
    table = boto3.Session().resource("dynamodb").Table(TABLE)
    a = table.get_item(Key={"name": ours, "version": "0" * 18 + "1"})["Item"]
    b = table.get_item(Key={"name": theirs, "version": "0" * 18 + "1"})["Item"]
    assert set(a) == set(b) == {"name", "version", "key", "contents", "hmac", "digest", "comment"}
    assert type(a["hmac"]) is type(b["hmac"])  # Binary holding hex characters
    assert bytes(a["hmac"].value).decode() == bytes(a["hmac"].value).decode().lower()
    assert len(bytes(a["hmac"].value)) == len(bytes(b["hmac"].value)) == 64
    assert a["digest"] == b["digest"] == "SHA256"


def test_versions_padding_ordering_and_autoversion(as_user: AsUser) -> None:
    as_user("admin")
    name = unique()
    cs_put(name, "one", version="1")
    cs_put(name, "two", version="2")
    cs_put(name, "ten", version="10")
    assert middleware.get_secret(name) == "ten", "latest is the highest padded version"
    assert middleware.get_secret(name, "2") == "two"
    assert middleware.get_secret(name, 1) == "one"
    assert middleware.get_secret(name, "0000000000000000002") == "two"
    assert middleware.put_secret(name, "eleven", autoversion=True) == "0000000000000000011"
    assert cs_get(name) == "eleven"
    credstash.putSecretAutoversion(name, "twelve", region="us-east-1", table=TABLE)
    assert middleware.get_secret(name) == "twelve"
    first = unique()
    assert middleware.put_secret(first, "v", autoversion=True) == "0000000000000000001"

    beta = unique()
    cs_put(beta, "b", version="beta")
    assert middleware.get_secret(beta, "beta") == "b"
    assert [i.version for i in middleware.list_secrets() if i.name == beta] == ["000000000000000beta"]
    with pytest.raises(middleware.ProgrammingError, match="not a number"):
        middleware.put_secret(beta, "c", autoversion=True)


def test_hmac_stored_as_string_in_any_case_is_read(as_user: AsUser) -> None:
    as_user("admin")
    name = unique()
    cs_put(name, "legacy value longer than sixteen", version="1")
    table = boto3.Session().resource("dynamodb").Table(TABLE)
    key = {"name": name, "version": "0" * 18 + "1"}
    item = table.get_item(Key=key)["Item"]
    item["hmac"] = bytes(item["hmac"].value).decode().upper()  # Python 2 / ports wrote S
    del item["digest"]  # and very old records had no digest
    table.put_item(Item=item)
    assert middleware.get_secret(name) == "legacy value longer than sixteen"


@pytest.mark.parametrize("attribute", ["contents", "hmac", "key"])
def test_tampering_is_detected_and_no_plaintext_leaks(as_user: AsUser, attribute: str) -> None:
    as_user("admin")
    name = unique()
    cs_put(name, "top secret value that must not leak", version="1")
    table = boto3.Session().resource("dynamodb").Table(TABLE)
    key = {"name": name, "version": "0" * 18 + "1"}
    item = table.get_item(Key=key)["Item"]
    if attribute == "hmac":
        raw = bytearray(bytes(item["hmac"].value))
        raw[0] = ord("0") if raw[0] != ord("0") else ord("1")
        item["hmac"] = bytes(raw)
    else:
        raw = bytearray(base64.b64decode(item[attribute]))
        raw[len(raw) // 2] ^= 0x01
        item[attribute] = base64.b64encode(bytes(raw)).decode()
    table.put_item(Item=item)
    expected = middleware.KmsError if attribute == "key" else middleware.SecretIntegrityError
    with pytest.raises(expected) as caught:
        middleware.get_secret(name)
    assert name in str(caught.value)
    assert "must not leak" not in str(caught.value)
    assert "must not leak" not in repr(caught.value)


def test_list_and_getall_equal_credstash(as_user: AsUser, tmp_path: Path) -> None:
    as_user("admin")
    table = unique("table")
    assert middleware.create_table(table) is True
    assert middleware.create_table(table) is False
    tags = (
        boto3.Session()
        .client("dynamodb")
        .list_tags_of_resource(
            ResourceArn=boto3.Session().client("dynamodb").describe_table(TableName=table)["Table"]["TableArn"]
        )["Tags"]
    )
    assert {"Key": "Name", "Value": "credstash"} in tags
    for i in range(5):
        credstash.putSecret(f"s{i}", f"value {i}", version="1", region="us-east-1", table=table)
    middleware.put_secret("s0", "newer", version="2", table=table, comment="rotated")
    ours = [(i.name, i.version, i.comment) for i in middleware.list_secrets(table=table)]
    theirs = sorted(
        (i["name"], i["version"], i.get("comment")) for i in credstash.listSecrets(region="us-east-1", table=table)
    )
    assert ours == theirs
    assert middleware.get_all_secrets(table=table) == credstash.getAllSecrets(region="us-east-1", table=table)
    assert middleware.get_all_secrets(1, table=table)["s0"] == "value 0"


def test_getall_with_a_mismatched_context_fails_promptly_instead_of_hanging(as_user: AsUser) -> None:
    as_user("admin")
    table = unique("table")
    middleware.create_table(table)
    middleware.put_secret("plain", "p", table=table)
    middleware.put_secret("ctx", "c", table=table, context={"k": "v"})
    with pytest.raises(middleware.KmsError, match="encryption context"):
        middleware.get_all_secrets(table=table)


def test_delete_removes_every_version(as_user: AsUser) -> None:
    as_user("admin")
    name = unique()
    for v in ("1", "2", "3"):
        cs_put(name, v, version=v)
    middleware.delete_secret(name)
    with pytest.raises(credstash.ItemNotFound):
        cs_get(name)
    with pytest.raises(middleware.SecretNotFound, match=name):
        middleware.delete_secret(name)


def test_binary_secrets(as_user: AsUser) -> None:
    as_user("admin")
    name = unique()
    middleware.put_secret(name, b"\x00\xff binary")
    assert middleware.get_secret_bytes(name) == b"\x00\xff binary"
    with pytest.raises(middleware.DataError, match="get_secret_bytes"):
        middleware.get_secret(name)


def test_errors_a_user_will_hit(as_user: AsUser, monkeypatch: pytest.MonkeyPatch) -> None:
    as_user("admin")
    with pytest.raises(middleware.SecretNotFound) as missing:
        middleware.get_secret("no.such.secret")
    text = str(missing.value)
    assert "no.such.secret" in text and TABLE in text and "us-east-1" in text
    assert isinstance(missing.value, KeyError) and missing.value.name == "no.such.secret"
    with pytest.raises(middleware.SecretNotFound, match="version 7"):
        middleware.get_secret("analytics.read_only.password", 7)

    with pytest.raises(middleware.KmsError) as wrong_context:
        middleware.get_secret("analytics.read_only.password", context={"database": "x"})
    assert "encryption context" in str(wrong_context.value)
    assert "database" in str(wrong_context.value)
    assert wrong_context.value.aws_code == "InvalidCiphertextException"

    with pytest.raises(middleware.OperationalError, match=r"does not exist.*secrets setup"):
        middleware.get_secret("x", table="no-such-table")
    with pytest.raises(middleware.KmsError, match=r"alias/nope.*not found"):
        middleware.put_secret(unique(), "v", kms_key="alias/nope")
    with pytest.raises(middleware.ProgrammingError, match="already exists"):
        middleware.put_secret("analytics.read_only.password", "v", version=1)
    with pytest.raises(middleware.ProgrammingError, match="unsupported digest"):
        middleware.put_secret(unique(), "v", digest="WHIRLPOOL")
    with pytest.raises(TypeError, match="str or bytes"):
        middleware.put_secret(unique(), 42)  # type: ignore[arg-type]

    monkeypatch.setenv("AWS_PROFILE", "nobody")
    with pytest.raises(middleware.OperationalError, match="no AWS credentials"):
        middleware.get_secret("x")
    monkeypatch.setenv("AWS_PROFILE", "admin")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(middleware.OperationalError, match="cannot reach AWS"):
        middleware.get_secret("x")


def test_aws_denial_names_who_and_what(as_user: AsUser, local_stack: Stack) -> None:
    as_user("carol")
    with pytest.raises(middleware.AccessDenied) as denied:
        middleware.get_secret("analytics.read_only.password", context={"database": "analytics", "db_user": "read_only"})
    err = denied.value
    assert isinstance(err, PermissionError)
    assert err.arn == local_stack.users["carol"].arn
    assert err.action == "dynamodb:Query"
    assert err.aws_code == "AccessDenied"
    assert local_stack.contact in str(err) and str(err.arn) in str(err)


def test_the_cache_is_per_caller_and_has_a_ttl(as_user: AsUser, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = {"database": "analytics", "db_user": "read_only"}
    as_user("alice")
    first = middleware.get_secret("analytics.read_only.password", context=ctx)
    as_user("carol", keep_caches=True)  # same process, same key: must not be served alice's copy
    with pytest.raises(middleware.AccessDenied):
        middleware.get_secret("analytics.read_only.password", context=ctx)

    as_user("admin")
    name = unique()
    cs_put(name, "old", version="1")
    assert middleware.get_secret(name) == "old"
    cs_put(name, "new", version="2")  # rotated behind our back
    assert middleware.get_secret(name) == "old", "served from the cache"
    middleware.clear_cache()
    assert middleware.get_secret(name) == "new"
    monkeypatch.setenv("MIDDLEWARE_CREDSTASH_CACHE_TTL", "0")
    cs_put(name, "newest", version="3")
    assert middleware.get_secret(name) == "newest", "cache_ttl = 0 disables the cache"
    credstash.reset_sessions()
    assert first


# ------------------------------------------------------------------------ CLI


def credstash_cli(*args: str, env: dict[str, str], input: str | None = None) -> bytes:
    exe = Path(sys.executable).parent / "credstash"
    return subprocess.run(
        [str(exe), *args],
        env=env,
        # credstash writes credstash.log into its working directory: not the checkout.
        cwd=tempfile.gettempdir(),
        input=None if input is None else input.encode(),
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout


def test_cli_get_is_byte_identical_to_credstash(local_stack: Stack) -> None:
    env = local_stack.env_for("admin")
    name = unique("cli")
    value = "pässwörd: longer than sixteen bytes, with 'quotes' and, commas"
    done = run_cli("secrets", "put", name, value, "env=test", "-c", "note", env=env)
    assert done.returncode == 0 and done.stdout == f"{name} has been stored\n", done.stderr
    assert "can be read by other local users" in done.stderr and "pass - to read it from standard input" in done.stderr
    for args in ([name, "env=test"], [name, "env=test", "-n"], [name, "env=test", "-v", "1"]):
        ours = subprocess.run(
            [str(Path(sys.executable).parent / "middleware"), "secrets", "get", *args],
            env=env,
            capture_output=True,
            check=True,
        ).stdout
        assert ours == credstash_cli("get", *args, env=env), args
    prefix = name.rsplit(".", 1)[0] + ".*"
    ours_wild = run_cli("secrets", "get", prefix, "env=test", env=env).stdout
    assert ours_wild.encode() == credstash_cli("get", prefix, "env=test", env=env)


def test_cli_list_keys_put_from_stdin_and_file(local_stack: Stack, tmp_path: Path) -> None:
    env = local_stack.env_for("admin")
    table = unique("clitable")
    assert run_cli("secrets", "-t", table, "setup", env=env).returncode == 0
    value_file = tmp_path / "value.txt"
    value_file.write_text("from a file")
    assert run_cli("secrets", "-t", table, "put", "a", f"@{value_file}", env=env).returncode == 0
    from_stdin = run_cli("secrets", "-t", table, "put", "b", "-", env=env, input="from stdin")
    assert from_stdin.returncode == 0 and "warning" not in from_stdin.stderr
    assert run_cli("secrets", "-t", table, "put", "a", "v2", "-a", env=env).returncode == 0
    for command in (["list"], ["keys"]):
        ours = run_cli("secrets", "-t", table, *command, env=env)
        assert ours.stdout.encode() == credstash_cli("-t", table, *command, env=env), command
    assert run_cli("secrets", "-t", table, "get", "a", "-v", "1", env=env).stdout == "from a file\n"
    assert run_cli("secrets", "-t", table, "get", "b", env=env).stdout == "from stdin\n"
    getall = run_cli("secrets", "-t", table, "getall", "-f", "dotenv", env=env)
    assert getall.stdout == "A='v2'\nB='from stdin'\n\n"
    deleted = run_cli("secrets", "-t", table, "delete", "a", env=env)
    assert deleted.stdout.splitlines() == [
        "Deleting a -- version 0000000000000000001",
        "Deleting a -- version 0000000000000000002",
    ]


def test_cli_failures_are_one_line_with_the_right_exit_code(local_stack: Stack) -> None:
    env = local_stack.env_for("carol")
    denied = run_cli("secrets", "get", "analytics.read_only.password", env=env)
    assert denied.returncode == 3
    assert denied.stderr.startswith("middleware: access denied") and denied.stderr.count("\n") == 1
    env = local_stack.env_for("admin")
    missing = run_cli("secrets", "get", "no.such.thing", env=env)
    assert missing.returncode == 1 and "no.such.thing" in missing.stderr and not missing.stdout
    duplicate = run_cli("secrets", "put", "analytics.read_only.password", "x", env=env)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    assert "ConditionalCheckFailed" not in duplicate.stderr
    usage = run_cli("secrets", "put", "x", "y", "notakeyvalue", env=env)
    assert usage.returncode == 2 and "key=value" in usage.stderr


def test_put_never_echoes_the_value(local_stack: Stack) -> None:
    env = local_stack.env_for("admin")
    name = unique()
    done = run_cli("secrets", "put", name, "-", env=env, input="hunter2-secret")
    assert done.returncode == 0
    assert "hunter2" not in done.stdout + done.stderr
    again = run_cli("secrets", "put", name, "-", env=env, input="hunter2-secret")
    assert again.returncode == 1 and "hunter2" not in again.stdout + again.stderr


def test_dotenv_output_sources_back_to_the_exact_value_and_runs_nothing(local_stack: Stack, tmp_path: Path) -> None:
    env = local_stack.env_for("admin")
    table = unique("dotenv")
    assert run_cli("secrets", "-t", table, "setup", env=env).returncode == 0
    marker = Path(f"/tmp/PWNED_{uuid.uuid4().hex}")
    value = f"x'; touch {marker}; echo '\n$(touch {marker}) `touch {marker}` \\'' \"$HOME\""
    name = f"hostile_{uuid.uuid4().hex[:8]}"
    assert run_cli("secrets", "-t", table, "put", name, "-", env=env, input=value).returncode == 0

    def sourced(output: str) -> str:
        dotenv = tmp_path / "secrets.env"
        dotenv.write_text(output)
        done = subprocess.run(
            ["bash", "-c", f'set -a; . {dotenv}; printf %s "${name.upper()}"'],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    wildcard = run_cli("secrets", "-t", table, "get", "hostile_*", "-f", "dotenv", env=env)
    assert wildcard.returncode == 0, wildcard.stderr
    assert sourced(wildcard.stdout) == value
    assert not marker.exists()
    # A name that is no shell variable is refused, not written.
    assert run_cli("secrets", "-t", table, "put", "db.pw", "v", env=env).returncode == 0
    refused = run_cli("secrets", "-t", table, "getall", "-f", "dotenv", env=env)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "db.pw" in refused.stderr and "not a shell variable name" in refused.stderr
    assert run_cli("secrets", "-t", table, "delete", "db.pw", env=env).returncode == 0
    getall = run_cli("secrets", "-t", table, "getall", "-f", "dotenv", env=env)
    assert getall.returncode == 0, getall.stderr
    assert sourced(getall.stdout) == value
    assert not marker.exists()
