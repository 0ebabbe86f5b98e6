"""Secure by default: a password (or its MD5 hash) only ever goes to a server
whose certificate was verified, unless a database opts in; the default
sslmode verifies the certificate and host name."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fix_pgfake import FakePostgres, self_signed_tls

import middleware

from fix_stack import AsUser
from stack import Stack


@pytest.fixture(params=["cleartext", "md5"])
def auth(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["no-tls", "untrusted-tls"])
def fake(request: pytest.FixtureRequest, auth: str, tmp_path: Path) -> Iterator[FakePostgres]:
    tls = self_signed_tls(tmp_path) if request.param == "untrusted-tls" else None
    server = FakePostgres(auth, tls)  # type: ignore[arg-type]
    yield server
    server.close()


def md5_answer(password: str, user: str) -> bytes:
    inner = hashlib.md5(password.encode() + user.encode()).hexdigest()
    return b"md5" + hashlib.md5(inner.encode() + b"salt").hexdigest().encode()


@pytest.mark.parametrize("sslmode", [None, "prefer", "require", "disable"])
def test_no_password_reaches_an_unverified_server(as_user: AsUser, fake: FakePostgres, sslmode: str | None) -> None:
    as_user("alice")
    extra: dict[str, Any] = {"sslmode": sslmode, "sslrootcert": ""} if sslmode else {}
    with pytest.raises(middleware.OperationalError) as caught:
        middleware.connect(host="127.0.0.1", port=fake.port, **extra)
    assert fake.answers == [], "neither the password nor its hash was sent"
    text = str(caught.value)
    assert "127.0.0.1" in text
    if sslmode in ("prefer", "disable") or (sslmode == "require" and fake.tls is not None):
        assert "refused to log in" in text and "allow_insecure_password" in text, text


def test_the_opt_in_sends_it(as_user: AsUser, fake: FakePostgres, auth: str, local_stack: Stack) -> None:
    as_user("alice")
    with pytest.raises(middleware.DatabaseError) as caught:
        middleware.connect(
            host="127.0.0.1", port=fake.port, sslmode="prefer", sslrootcert="", allow_insecure_password=True
        )
    assert caught.value.sqlstate == "28P01", "the fake server refuses every login"
    password = local_stack.db_passwords["read_only"]
    expected = password.encode() if auth == "cleartext" else md5_answer(password, "read_only")
    assert fake.answers == [expected]


def test_the_default_verifies_the_certificate(as_user: AsUser, local_stack: Stack) -> None:
    # The stack's CA is private: without sslrootcert the system's roots do not know it.
    as_user("alice")
    with pytest.raises(middleware.OperationalError, match="certificate.*sslrootcert"):
        middleware.connect(sslrootcert="", sslmode="verify-full")
    with pytest.raises(middleware.OperationalError, match="certificate"):
        middleware.connect(host="127.0.0.2")  # a name the certificate does not carry
    conn = middleware.connect()  # the stack's config: verify-full + its CA
    assert conn.query_with_timeout("select ssl from pg_stat_ssl where pid = pg_backend_pid()")[0] == (True,)


def test_verify_ca_without_a_root_certificate_is_a_config_error(as_user: AsUser) -> None:
    as_user("alice")
    with pytest.raises(middleware.ConfigError, match=r"sslrootcert.*verify-ca"):
        middleware.connect(sslmode="verify-ca", sslrootcert="")
