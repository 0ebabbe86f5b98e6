"""A throwaway PostgreSQL cluster: initdb in a directory, TLS and
scram-sha-256 on loopback, trust on its unix socket."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg


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

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """The superuser, over the unix socket (trust)."""
        import psycopg

        return psycopg.connect(host=str(self.dir), port=self.port, user="postgres", dbname=dbname, autocommit=True)
