"""Identity and access: the friendly pre-check, AWS's own denials, role
chaining, whoami and check_access (moto with IAM enforcement on)."""

from __future__ import annotations

from pathlib import Path

import pytest

import middleware

from fix_stack import AsUser
from stack import Stack


def test_the_pre_check_denies_before_any_secret_is_read(
    as_user: AsUser, local_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user("bob")
    # Any DynamoDB call would now fail with "table does not exist": an
    # AccessDenied proves the decision came before the store was touched.
    monkeypatch.setenv("MIDDLEWARE_CREDSTASH_TABLE", "no-such-table")
    with pytest.raises(middleware.AccessDenied) as denied:
        middleware.connect(user="read_write")
    err = denied.value
    assert err.arn == local_stack.users["bob"].arn
    assert (err.database, err.user, err.allowed) == ("analytics", "read_write", ["read_only"])
    assert err.aws_code is None and err.contact == local_stack.contact
    text = str(err)
    for part in (str(err.arn), "read_write", "analytics", "you may use: read_only", local_stack.contact):
        assert part in text, part
    with pytest.raises(middleware.AccessDenied):
        middleware.check_access("analytics", "read_write")
    with pytest.raises(middleware.OperationalError, match="does not exist"):
        middleware.connect(user="read_only")  # allowed: now it does reach the store


def test_aws_own_denial_reads_like_the_pre_check(as_user: AsUser, local_stack: Stack) -> None:
    as_user("carol")  # the policy allows read_only to the whole account; IAM allows carol nothing
    middleware.check_access("analytics", "read_only")
    with pytest.raises(middleware.AccessDenied) as denied:
        middleware.connect(user="read_only")
    err = denied.value
    assert err.arn == local_stack.users["carol"].arn
    assert err.aws_code == "AccessDenied" and err.action == "dynamodb:Query"
    assert "<?xml" not in str(err) and "IAM permissions" in str(err)


def test_an_allowed_user_connects_and_whoami_lists_its_users(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    conn = middleware.connect(user="read_write")
    assert conn.query_with_timeout("select current_user")[0] == ("read_write",)
    ident = middleware.whoami()
    assert ident.arn == local_stack.users["alice"].arn
    assert ident.account == local_stack.account
    assert ident.allowed == {"analytics": ["read_only", "read_write"]}
    as_user("bob")
    assert middleware.whoami().allowed == {"analytics": ["read_only"]}
    middleware.check_access()  # returns None, raises when denied


def test_role_chaining_reads_the_secret_as_the_role(
    as_user: AsUser, local_stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    as_user("dave")  # may only call sts:AssumeRole
    with pytest.raises(middleware.AccessDenied):
        middleware.connect(user="read_only")
    config = local_stack.config.read_text()
    config = config.replace(
        'allow = ["account:123456789012"]',
        f'allow = ["account:123456789012"]\nassume_role = "{local_stack.reader_role}"',
    )
    chained = tmp_path / "chained.toml"
    chained.write_text(config)
    monkeypatch.setenv("MIDDLEWARE_CONFIG", str(chained))
    conn = middleware.connect(user="read_only")
    assert conn.query_with_timeout("select current_user")[0] == ("read_only",)
    # The pre-check still judges dave himself, not the role.
    assert middleware.whoami().arn == local_stack.users["dave"].arn


def test_a_policy_kept_in_credstash_replaces_the_files_rules(
    as_user: AsUser, local_stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    name = "middleware.policy.test"
    as_user("admin")
    bob = local_stack.users["bob"].arn
    middleware.put_secret(name, f'[databases.analytics.users.read_write]\nallow = ["{bob}"]\n')
    try:
        config = local_stack.config.read_text()
        config = config.replace("[access]\n", f'[access]\npolicy_secret = "{name}"\n')
        with_secret = tmp_path / "with-secret.toml"
        with_secret.write_text(config)
        as_user("bob")
        monkeypatch.setenv("MIDDLEWARE_CONFIG", str(with_secret))
        assert middleware.whoami().allowed == {"analytics": ["read_only", "read_write"]}
        conn = middleware.connect(user="read_write")
        assert conn.query_with_timeout("select current_user")[0] == ("read_write",)
        as_user("alice")  # the secret's list for read_write no longer names alice
        monkeypatch.setenv("MIDDLEWARE_CONFIG", str(with_secret))
        with pytest.raises(middleware.AccessDenied, match="you may use: read_only"):
            middleware.connect(user="read_write")
    finally:
        as_user("admin")
        middleware.delete_secret(name)


def test_the_module_level_connection_is_not_served_to_another_identity(as_user: AsUser) -> None:
    as_user("alice")  # may use read_write
    assert middleware.query_with_timeout("select current_user", user="read_write")[0] == ("read_write",)
    as_user("bob")  # may not: the cached connection must not answer for bob
    with pytest.raises(middleware.AccessDenied) as caught:
        middleware.query_with_timeout("select current_user", user="read_write")
    assert caught.value.arn == "arn:aws:iam::123456789012:user/bob"
    as_user("alice")
    assert middleware.query_with_timeout("select current_user", user="read_write")[0] == ("read_write",)
