"""The compiled core of middleware (Rust). Use the ``middleware`` package instead."""

from typing import final

__all__ = [
    "SecretInfo",
    "__version__",
    "clear_cache",
    "create_table",
    "delete_secret",
    "get_all_secrets",
    "get_secret",
    "get_secret_bytes",
    "list_secrets",
    "put_secret",
    "run_cli",
]

__version__: str

def run_cli(argv: list[str]) -> int:
    """Run the ``middleware`` command line with ``argv`` (program name first).

    Returns the exit code: 0 ok, 1 error, 2 usage, 3 access denied, 4 timeout.
    """

@final
class SecretInfo:
    """One stored version of a secret, as :func:`list_secrets` reports it."""

    __match_args__ = ("name", "version", "comment")
    @property
    def name(self) -> str:
        """The secret's name."""
    @property
    def version(self) -> str:
        """The version as stored: left-padded with zeros to 19 characters."""
    @property
    def comment(self) -> str | None:
        """The comment given when it was stored, if any."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def get_secret(
    name: str,
    version: str | int | None = None,
    *,
    context: dict[str, str] | None = None,
    table: str | None = None,
    region: str | None = None,
) -> str:
    """Fetch and decrypt a credstash secret as text.

    ``version`` None means the latest. ``context`` is the KMS encryption context
    it was stored with. ``table`` and ``region`` override ``[credstash]``.
    Results are cached in-process for ``[credstash] cache_ttl`` (default 5 min).

    Raises SecretNotFound, KmsError (e.g. the context did not match),
    AccessDenied (AWS refused), SecretIntegrityError (tampered record), and
    DataError when the secret is not UTF-8 text (use get_secret_bytes).
    """

def get_secret_bytes(
    name: str,
    version: str | int | None = None,
    *,
    context: dict[str, str] | None = None,
    table: str | None = None,
    region: str | None = None,
) -> bytes:
    """Like :func:`get_secret`, returning the raw bytes."""

def put_secret(
    name: str,
    value: str | bytes,
    version: str | int | None = None,
    *,
    autoversion: bool = False,
    context: dict[str, str] | None = None,
    digest: str = "SHA256",
    kms_key: str | None = None,
    comment: str | None = None,
    algorithm: str = "aes-ctr-legacy",
    table: str | None = None,
    region: str | None = None,
) -> str:
    """Encrypt and store a new version of a secret, in credstash's own format.

    ``version`` defaults to "1" (as ``credstash put``); ``autoversion=True``
    stores the latest numeric version + 1 instead. An existing version is
    never overwritten (ProgrammingError). ``digest`` is one of SHA, SHA224,
    SHA256, SHA384, SHA512, MD5. ``kms_key`` defaults to ``[credstash] kms_key``.
    Returns the stored version (zero-padded to 19 characters).
    """

def list_secrets(*, table: str | None = None, region: str | None = None) -> list[SecretInfo]:
    """Every name and version in the table (sorted), without decrypting anything."""

def get_all_secrets(
    version: str | int | None = None,
    *,
    context: dict[str, str] | None = None,
    table: str | None = None,
    region: str | None = None,
) -> dict[str, str]:
    """Decrypt the latest (or given) version of every secret.

    Fails as a whole, promptly, if any one secret cannot be read.
    """

def delete_secret(name: str, *, table: str | None = None, region: str | None = None) -> None:
    """Delete every version of a secret. SecretNotFound if there is none."""

def create_table(table: str | None = None, *, region: str | None = None) -> bool:
    """Create the credstash table as ``credstash setup`` does.

    Returns False when it already existed.
    """

def clear_cache() -> None:
    """Forget every decrypted secret cached in this process."""
