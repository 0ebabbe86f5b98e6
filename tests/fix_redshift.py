"""Amazon Redshift, as far as a login needs it: moto answers the Redshift API
(GetClusterCredentials, DescribeClusters) and the local PostgreSQL plays the
cluster. This HTTP proxy sits in front of moto and does what Redshift does
behind the API: when it relays a GetClusterCredentials answer, it creates (or
alters) the returned `IAM:<user>` role with the returned password and adds it
to the requested groups; it points DescribeClusters' endpoint at the local
server (moto's endpoint is a made-up host name).

    proxy = RedshiftProxy(moto_url, pg_port, admin_sql)
    os.environ["AWS_ENDPOINT_URL_REDSHIFT"] = proxy.url
    ...
    proxy.calls["GetClusterCredentials"]   # how many answers it relayed
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def xml_text(body: str, tag: str) -> str | None:
    found = re.search(rf"<{tag}>(.*?)</{tag}>", body, re.S)
    return found.group(1) if found else None


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class RedshiftProxy:
    def __init__(self, moto_url: str, pg_port: int, admin_sql: Callable[[str], Any]) -> None:
        self.upstream = urllib.parse.urlsplit(moto_url)
        self.pg_port = pg_port
        self.admin_sql = admin_sql
        #: Relayed answers per API action (successful ones only).
        self.calls: Counter[str] = Counter()
        #: What each GetClusterCredentials asked for (its form fields).
        self.asks: list[dict[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                proxy._relay(self)

            def do_GET(self) -> None:
                proxy._relay(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _relay(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        # The Host header stays as signed: moto checks the SigV4 signature.
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=30)
        upstream.request(handler.command, handler.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        action = form.get("Action", "")
        if response.status == 200:
            self.calls[action] += 1
            if action == "GetClusterCredentials":
                self.asks.append(form)
                self._as_redshift_would(form, payload.decode())
            elif action == "DescribeClusters":
                text = re.sub(r"<Address>.*?</Address>", "<Address>localhost</Address>", payload.decode())
                payload = re.sub(r"<Port>.*?</Port>", f"<Port>{self.pg_port}</Port>", text).encode()
        handler.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
        upstream.close()

    def _as_redshift_would(self, form: dict[str, str], answer: str) -> None:
        user, password = xml_text(answer, "DbUser"), xml_text(answer, "DbPassword")
        assert user and password, answer
        role = quote_ident(user)
        exists = self.admin_sql(f"select 1 from pg_roles where rolname = {quote_literal(user)}")
        verb = "ALTER" if exists else "CREATE"
        self.admin_sql(f"{verb} ROLE {role} LOGIN PASSWORD {quote_literal(password)}")
        for key, group in form.items():
            if key.startswith("DbGroups."):
                self.admin_sql(f"GRANT {quote_ident(group)} TO {role}")
