"""The local stack: a moto server (KMS, DynamoDB, STS, IAM) and a throwaway
PostgreSQL cluster with TLS, seeded like a small organisation.

    python dev/stack.py serve --dir DIR   # start, write DIR/env.json, wait
    python dev/stack.py up                # same, in a temp dir, until Ctrl-C

`serve` writes DIR/ready when everything is up and stops everything on
SIGTERM/SIGINT or when its parent process goes away, so a crashed test run
leaves nothing behind. Tests and the demo use `running(...)` below.

Seeded identities (IAM users of account 123456789012, keys in an AWS shared
credentials file, one profile each):
  admin  - every AWS action
  alice  - may read secrets (DynamoDB reads, kms:Decrypt); policy: read_write
  bob    - may read secrets; policy: read_only only
  carol  - no AWS permissions at all (AWS itself denies her)
  dave   - may only assume the role analytics-reader, which may read secrets

PostgreSQL listens on 127.0.0.1 and 127.0.0.2: the server certificate names
localhost and 127.0.0.1 only, so 127.0.0.2 is a host name TLS must reject.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ACCOUNT = "123456789012"
REGION = "us-east-1"
TABLE = "credential-store"
DATABASE = "analytics"
CONTACT = "#data-platform (demo stack)"
DB_USERS = ("read_only", "read_write")
SQLA_DATABASE = "sqla_suite"

READ_SECRETS = [
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:DescribeTable",
    "kms:Decrypt",
    "sts:AssumeRole",
]
IAM_USERS: dict[str, list[str] | None] = {
    "admin": ["*"],
    "alice": READ_SECRETS,
    "bob": READ_SECRETS,
    "carol": None,
    "dave": ["sts:AssumeRole"],
}
# alias/credstash is the store's key; alias/other is a second key in the same
# account, for records that reads must refuse unless listed in decrypt_keys.
KMS_ALIASES = ("alias/credstash", "alias/other")
KMS_KEYS: dict[str, str] = {}  # alias -> key ARN, filled in by seed_aws
# A role anyone in the account may assume, which may read secrets: dave can
# read them only by chaining into it (assume_role in the config).
READER_ROLE = "analytics-reader"


def arn(user: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{user}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- TLS


def make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate it signs (CA:FALSE, SAN localhost,
    127.0.0.1, ::1): rustls refuses a self-signed CA used as the server's own."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "middleware test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.crt",
        directory / "server.key",
    )
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


# --------------------------------------------------------------------- PostgreSQL


def pg_bindir() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise SystemExit(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with "
        "`apt-get install -y postgresql` (dev/bootstrap.sh does this)."
    )


class Postgres:
    """A throwaway cluster in `directory`: unix socket there (trust, for the
    admin), TCP on loopback with scram-sha-256 and TLS required."""

    def __init__(self, directory: Path, port: int) -> None:
        self.dir = directory
        self.port = port
        self.data = directory / "data"
        self.bindir = pg_bindir()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        self.options = ""

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self, tls: tuple[Path, Path, Path]) -> None:
        self.dir.chmod(0o700)
        _, cert, key = tls
        pwfile = self.dir / "pwfile"
        pwfile.write_text(secrets.token_hex(16) + "\n")
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
            for path in (pwfile, cert, key):
                shutil.chown(path, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostssl all all 127.0.0.2/32 scram-sha-256\n"
            "hostssl all all ::1/128 scram-sha-256\n"
        )
        self.options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.dir}",
                "-c listen_addresses=localhost,127.0.0.2",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c ssl=on",
                f"-c ssl_cert_file={cert}",
                f"-c ssl_key_file={key}",
                "-c max_connections=200",
            ]
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-o",
            self.options,
            "start",
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def admin(self, dbname: str = "postgres"):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(host=str(self.dir), port=self.port, user="postgres", dbname=dbname, autocommit=True)


# ------------------------------------------------------------------------- moto


class Moto:
    def __init__(self, directory: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.log = directory / "moto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server = Path(sys.executable).parent / "moto_server"
        cmd = [str(server)] if server.exists() else [sys.executable, "-m", "moto.server"]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [*cmd, "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"moto exited early:\n{self.log.read_text()}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1).close()
                return
            time.sleep(0.05)
        raise RuntimeError(f"moto did not answer within {timeout}s:\n{self.log.read_text()}")

    def enforce_iam(self) -> None:
        """From now on every call needs a seeded user's keys, and IAM policies
        decide (moto's `reset-auth`, body 0: no more free calls)."""
        request = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth",
            data=b"0",
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=5).close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# ------------------------------------------------------------------------ seeding


def seed_aws(moto: Moto) -> dict[str, tuple[str, str]]:
    """KMS key + alias, the credstash table, IAM users with keys and policies.
    Runs before IAM enforcement is switched on, with throwaway keys."""
    import boto3
    import credstash

    kms = boto3.client("kms")
    for alias in KMS_ALIASES:
        key = kms.create_key(Description=alias)["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        KMS_KEYS[alias] = key["Arn"]
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
    return keys


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
    return f"""# Generated by dev/stack.py for the local stack.
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


# -------------------------------------------------------------------------- serve


def serve(directory: Path) -> None:
    started = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)  # the postgres user must traverse it
    moto = Moto(directory, free_port())
    pg = Postgres(directory / "pg", free_port())
    parent = os.getppid()

    def stop(*_: object) -> None:
        pg.stop()
        moto.stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        moto.start()
        (directory / "pg").mkdir(exist_ok=True)
        tls = make_tls(directory / "tls")
        pg.start(tls)
        passwords = seed_postgres(pg)
        moto.wait_ready()
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": moto.url,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "seeding",
                "AWS_SECRET_ACCESS_KEY": "seeding",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            }
        )
        keys = seed_aws(moto)
        store_passwords(passwords)
        moto.enforce_iam()
        write_outputs(directory, moto, pg, tls[0], keys, passwords)
        log(f"ready in {time.monotonic() - started:.2f}s: moto {moto.url}, postgres port {pg.port}")
        (directory / "ready").write_text(f"{time.monotonic() - started:.3f}\n")
        while os.getppid() == parent:
            time.sleep(0.2)
        log("parent went away: stopping")
    finally:
        pg.stop()
        moto.stop()


def write_outputs(
    directory: Path,
    moto: Moto,
    pg: Postgres,
    ca: Path,
    keys: dict[str, tuple[str, str]],
    passwords: dict[str, str],
) -> None:
    aws = directory / "aws"
    aws.mkdir(exist_ok=True)
    credentials = aws / "credentials"
    credentials.write_text(
        "".join(
            f"[{user}]\naws_access_key_id = {kid}\naws_secret_access_key = {secret}\n\n"
            for user, (kid, secret) in keys.items()
        )
    )
    credentials.chmod(0o600)
    (aws / "config").write_text(
        f"[default]\nregion = {REGION}\n\n" + "".join(f"[profile {user}]\nregion = {REGION}\n\n" for user in keys)
    )
    config = directory / "middleware.toml"
    config.write_text(config_toml(pg.port, ca))
    # What a process needs to act as a stack user: pick one with AWS_PROFILE.
    env = {
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_PROFILE": "alice",
        "AWS_EC2_METADATA_DISABLED": "true",
        "MIDDLEWARE_CONFIG": str(config),
    }
    (directory / "env").write_text("".join(f"export {k}={v}\n" for k, v in env.items()))
    info = {
        "env": env,
        "dir": str(directory),
        "moto_url": moto.url,
        "pg_port": pg.port,
        "pg_socket_dir": str(pg.dir),
        # For tests that stop, kill or restart the server.
        "pg_ctl": [*(["runuser", "-u", "postgres", "--"] if pg.as_postgres else []), str(pg.bindir / "pg_ctl")],
        "pg_data": str(pg.data),
        "pg_log": str(pg.dir / "log"),
        "pg_options": pg.options,
        "ca": str(ca),
        "account": ACCOUNT,
        "database": DATABASE,
        "contact": CONTACT,
        "users": {u: {"arn": arn(u), "key_id": k[0]} for u, k in keys.items()},
        "reader_role": f"arn:aws:iam::{ACCOUNT}:role/{READER_ROLE}",
        "kms_keys": KMS_KEYS,
        # Test-only knowledge, so tests can check what the package fetched.
        "db_passwords": passwords,
        "aws_secrets": {u: k[1] for u, k in keys.items()},
    }
    path = directory / "stack.json"
    path.write_text(json.dumps(info, indent=2))
    path.chmod(0o600)


# --------------------------------------------------------------- for tests & demo


@contextlib.contextmanager
def running(directory: Path | None = None, timeout: float = 120.0) -> Iterator[dict]:  # type: ignore[type-arg]
    """Starts `serve` in a child process; yields the stack description
    (stack.json); stops everything on exit."""
    own_dir = directory is None
    base = Path(tempfile.mkdtemp(prefix="middleware-stack-")) if own_dir else directory
    assert base is not None
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIDDLEWARE_"))}
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "serve", "--dir", str(base)],
        env=clean_env,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while not (base / "ready").exists():
            if proc.poll() is not None:
                raise RuntimeError(f"the stack failed to start (exit {proc.returncode}); see above")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start within {timeout}s")
            time.sleep(0.05)
        info = json.loads((base / "stack.json").read_text())
        info["start_seconds"] = float((base / "ready").read_text())
        yield info
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if own_dir:
            shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="start in DIR and wait (used by tests and the demo)")
    serve_cmd.add_argument("--dir", type=Path, required=True)
    sub.add_parser("up", help="start in a temp dir and wait for Ctrl-C")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.dir)
    else:
        with running() as info:
            print(
                f"stack up in {info['start_seconds']:.2f}s. In another shell:\n"
                f"  source {info['dir']}/env   # then AWS_PROFILE=alice|bob|carol|admin"
            )
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(1)


if __name__ == "__main__":
    main()
