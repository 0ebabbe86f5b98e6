"""Amazon Redshift, as far as a login needs it: moto answers the Redshift API
(GetClusterCredentials, DescribeClusters) and the local PostgreSQL plays the
cluster. `RedshiftProxy` sits in front of moto and does what Redshift does
behind the API: when it relays a GetClusterCredentials answer, it creates (or
alters) the returned `IAM:<user>` role with the returned password and adds it
to the requested groups; it points DescribeClusters' endpoint at the local
server (moto's endpoint is a made-up host name).

    redshift = play_redshift(info)          # cluster, analyst user, proxy
    env["AWS_ENDPOINT_URL_REDSHIFT"] = redshift.proxy.url
    ...
    redshift.proxy.calls["GetClusterCredentials"]   # answers it relayed

Used by tests/test_iam_passwords.py and the demo; not by the stack's own
config, whose databases use credstash.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg

from stack.description import Stack, User
from stack.org import ACCOUNT, DATABASE, REGION

CLUSTER = "warehouse"
ANALYST = "rs-analyst"

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


@dataclass(frozen=True)
class Redshift:
    proxy: RedshiftProxy
    #: An IAM user allowed GetClusterCredentials and DescribeClusters (moto
    #: matches only `"Resource": "*"`), not in the stack's credentials file.
    analyst: User


def play_redshift(info: Stack) -> Redshift:
    """Creates the cluster and the analyst in moto (as the stack's admin, once
    per stack) and starts a proxy; close it with `redshift.proxy.close()`."""
    import boto3

    admin = info.users["admin"]
    session = boto3.session.Session(
        aws_access_key_id=admin.key_id, aws_secret_access_key=admin.secret_key, region_name=REGION
    )
    redshift = session.client("redshift", endpoint_url=info.moto_url)
    if not redshift.describe_clusters()["Clusters"]:
        redshift.create_cluster(
            ClusterIdentifier=CLUSTER,
            NodeType="dc2.large",
            MasterUsername="master",
            MasterUserPassword="Master-pass-1",
            DBName=DATABASE,
        )
    iam = session.client("iam", endpoint_url=info.moto_url)
    if ANALYST not in {u["UserName"] for u in iam.list_users()["Users"]}:
        iam.create_user(UserName=ANALYST)
        actions = ["redshift:GetClusterCredentials", "redshift:DescribeClusters"]
        statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
        iam.put_user_policy(
            UserName=ANALYST,
            PolicyName="redshift-login",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )
    key = iam.create_access_key(UserName=ANALYST)["AccessKey"]

    def admin_sql(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(
            host=str(info.pg_socket_dir), port=info.pg_port, user="postgres", dbname=DATABASE, autocommit=True
        ) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    analyst = User(f"arn:aws:iam::{ACCOUNT}:user/{ANALYST}", key["AccessKeyId"], key["SecretAccessKey"])
    return Redshift(RedshiftProxy(info.moto_url, info.pg_port, admin_sql), analyst)


def warehouse_config(info: Stack, name: str = "warehouse", *, host: bool = True) -> str:
    """A `[databases.<name>]` section logging in with redshift-iam (read_only,
    joining the read_only group); without `host`, the endpoint comes from
    DescribeClusters."""
    where = f'host = "localhost"\nport = {info.pg_port}\n' if host else ""
    return f"""[databases.{name}]
{where}dbname = "{DATABASE}"
sslrootcert = "{info.ca}"
password_source = "redshift-iam"
cluster_identifier = "{CLUSTER}"
db_groups = ["read_only"]
default_user = "read_only"
[databases.{name}.users.read_only]
allow = ["account:{ACCOUNT}"]
"""
