"""A fake PostgreSQL server on loopback that asks for the password the way a
real server cannot be made to (in clear, or as MD5, over no TLS or over TLS
with a certificate nobody trusts), and records what the client answers.

    fake = FakePostgres(auth="cleartext", tls=untrusted_tls_context)
    ...connect to 127.0.0.1:fake.port...
    assert fake.answers == []      # the client never sent a password message
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import struct
import threading
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SSL_REQUEST = 80877103


def self_signed_tls(directory: Path) -> ssl.SSLContext:
    """A server context whose certificate (CN and SAN 127.0.0.1) no CA signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fake.crt", directory / "fake.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


class FakePostgres:
    """Answers SSLRequest with 'S' (when it has `tls`) or 'N', then asks for
    the password with `auth`, records the answer, and refuses the login."""

    def __init__(self, auth: Literal["cleartext", "md5"], tls: ssl.SSLContext | None = None) -> None:
        self.auth = auth
        self.tls = tls
        #: The password messages received (the bytes after the 'p' header).
        self.answers: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, raw: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError, struct.error), raw:
            raw.settimeout(10)
            length, code = struct.unpack("!ii", _exactly(raw, 8))
            if code != SSL_REQUEST:
                _exactly(raw, length - 8)  # the rest of the startup message
                self._ask(raw)
            elif self.tls is None:
                raw.sendall(b"N")
                self._startup_then_ask(raw)
            else:
                raw.sendall(b"S")
                with self.tls.wrap_socket(raw, server_side=True) as tls:
                    self._startup_then_ask(tls)

    def _startup_then_ask(self, sock: socket.socket) -> None:
        length = struct.unpack("!i", _exactly(sock, 4))[0]
        _exactly(sock, length - 4)
        self._ask(sock)

    def _ask(self, sock: socket.socket) -> None:
        if self.auth == "cleartext":
            sock.sendall(b"R" + struct.pack("!ii", 8, 3))
        else:
            sock.sendall(b"R" + struct.pack("!ii", 12, 5) + b"salt")
        kind = _exactly(sock, 1)
        length = struct.unpack("!i", _exactly(sock, 4))[0]
        body = _exactly(sock, length - 4)
        if kind == b"p":
            self.answers.append(body.rstrip(b"\0"))
        message = b"SFATAL\0C28P01\0Mpassword authentication failed (fake server)\0\0"
        sock.sendall(b"E" + struct.pack("!i", len(message) + 4) + message)

    def close(self) -> None:
        self.server.close()


def _exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data
