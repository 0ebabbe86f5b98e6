"""KMS key pinning ([credstash] decrypt_keys): a record whose data key is
wrapped under a KMS key other than the pinned ones is refused, naming that key
and the setting, until the key is listed. Records written by the real
credstash package, over the stack's moto (IAM enforcement on)."""

from __future__ import annotations

import uuid
from pathlib import Path

import credstash
import pytest

import middleware

from conftest import run_cli
from fix_stack import AsUser
from stack import Stack

TABLE = "credential-store"
CONTEXT = {"database": "analytics", "db_user": "read_only"}


def planted(value: str = "planted-value") -> str:
    """A secret stored by the real credstash package under alias/other."""
    name = f"pin.{uuid.uuid4().hex[:10]}"
    credstash.putSecret(
        name, value, version="1", region="us-east-1", table=TABLE, kms_key="alias/other", context=CONTEXT
    )
    return name


def test_another_keys_record_is_refused_then_accepted_once_listed(
    as_user: AsUser, local_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user("admin")
    other_arn = local_stack.kms_keys["alias/other"]
    name = planted()
    with pytest.raises(middleware.SecretIntegrityError) as refused:
        middleware.get_secret(name, context=CONTEXT)
    message = str(refused.value)
    assert other_arn in message and "decrypt_keys" in message and "alias/credstash" in message, message
    assert "planted-value" not in message
    # Several keys: no KeyId on Decrypt, the ARNs resolved with DescribeKey.
    monkeypatch.setenv("MIDDLEWARE_CREDSTASH_DECRYPT_KEYS", "alias/credstash, alias/other")
    middleware.clear_cache()
    assert middleware.get_secret(name, context=CONTEXT) == "planted-value"
    # The store's own records still read with the list.
    assert middleware.get_secret("analytics.read_only.password", context=CONTEXT)
    monkeypatch.setenv("MIDDLEWARE_CREDSTASH_DECRYPT_KEYS", "*")
    middleware.clear_cache()
    assert middleware.get_secret(name, context=CONTEXT) == "planted-value"
    # Narrowing the list again refuses it at once, cached or not.
    monkeypatch.delenv("MIDDLEWARE_CREDSTASH_DECRYPT_KEYS")
    with pytest.raises(middleware.SecretIntegrityError):
        middleware.get_secret(name, context=CONTEXT)


def test_cli_refuses_then_accepts_with_a_config_file(as_user: AsUser, local_stack: Stack, tmp_path: Path) -> None:
    as_user("admin")
    name = planted()
    env = local_stack.env_for("alice")
    refused = run_cli("secrets", "get", name, *pairs(CONTEXT), env=env)
    assert refused.returncode == 1, refused.stderr
    assert local_stack.kms_keys["alias/other"] in refused.stderr and "decrypt_keys" in refused.stderr
    assert "planted-value" not in refused.stdout + refused.stderr
    # alice may not DescribeKey: listing key ARNs needs no resolution.
    config = Path(env["MIDDLEWARE_CONFIG"]).read_text()
    arns = ", ".join(f'"{arn}"' for arn in local_stack.kms_keys.values())
    pinned = tmp_path / "pinned.toml"
    pinned.write_text(config.replace("[credstash]\n", f"[credstash]\ndecrypt_keys = [{arns}]\n", 1))
    accepted = run_cli("secrets", "get", name, *pairs(CONTEXT), env={**env, "MIDDLEWARE_CONFIG": str(pinned)})
    assert accepted.returncode == 0 and accepted.stdout == "planted-value\n", accepted.stderr
    shown = run_cli("config", "show", env={**env, "MIDDLEWARE_CONFIG": str(pinned)}).stdout
    assert "decrypt_keys" in shown and local_stack.kms_keys["alias/other"] in shown
    # Aliases alice cannot resolve are refused with a pointer to DescribeKey.
    aliases = {**env, "MIDDLEWARE_CREDSTASH_DECRYPT_KEYS": "alias/credstash,alias/other"}
    unresolved = run_cli("secrets", "get", name, *pairs(CONTEXT), env=aliases)
    assert unresolved.returncode == 1 and "kms:DescribeKey" in unresolved.stderr, unresolved.stderr
    # The default pin reads the stack's own records (one key, KMS checks it).
    assert run_cli("secrets", "get", "analytics.read_only.password", *pairs(CONTEXT), env=env).returncode == 0


def pairs(context: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in context.items()]


def test_config_check_names_the_trusted_keys_and_warns_about_any(local_stack: Stack) -> None:
    env = local_stack.env_for("alice")
    pinned = run_cli("config", "check", env=env)
    assert pinned.returncode == 0 and "only from KMS key(s): alias/credstash" in pinned.stdout
    anything = run_cli("config", "check", env={**env, "MIDDLEWARE_CREDSTASH_DECRYPT_KEYS": "*"})
    assert anything.returncode == 0 and "warning" in anything.stdout and "any KMS key" in anything.stdout
