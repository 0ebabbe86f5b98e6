"""The demo: the main job of middleware against the local stack, as a data
scientist and a platform engineer would do it. Run through `bash dev/demo.sh`.

Each step runs in its own process acting as one of the stack's IAM users
(AWS_PROFILE=alice|bob|carol|admin), exactly as a person's notebook or shell
would, and prints what that person would see.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import stack
from stack import Stack
from stack.redshift import play_redshift, warehouse_config

MIDDLEWARE = str(Path(sys.executable).parent / "middleware")


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def shell(info: Stack, profile: str, *args: str, expect: int = 0, env: dict[str, str] | None = None) -> None:
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    print(f"$ AWS_PROFILE={profile} middleware {shown}", flush=True)
    done = subprocess.run([MIDDLEWARE, *args], env=env or info.env_for(profile), text=True)
    if done.returncode != expect:
        raise SystemExit(f"demo step failed: exit {done.returncode}, expected {expect}")


def python(info: Stack, profile: str, code: str, env: dict[str, str] | None = None) -> None:
    code = textwrap.dedent(code).strip()
    print(textwrap.indent(code, f"[{profile}] >>> "), flush=True)
    done = subprocess.run([sys.executable, "-c", code], env=env or info.env_for(profile), text=True)
    if done.returncode != 0:
        raise SystemExit(f"demo step failed: exit {done.returncode}")


def main() -> None:
    banner("Starting the local stack (moto: KMS, DynamoDB, STS, IAM; PostgreSQL with TLS)")
    started = time.monotonic()
    with stack.running() as info:
        print(f"stack up in {info.start_seconds:.2f}s (total {time.monotonic() - started:.2f}s)")
        print(f"moto at {info.moto_url}, PostgreSQL on port {info.pg_port}")

        banner("Who am I, and which database users may I use? (alice, a data scientist)")
        shell(info, "alice", "whoami")

        banner("A notebook: connect, a query with a timeout, results as a table")
        python(
            info,
            "alice",
            """
            import middleware
            conn = middleware.connect("analytics")          # user: the default, read_only
            rows = conn.query_with_timeout(
                "select region, count(*) as sales, sum(amount) as total"
                " from sales group by region order by region",
                timeout=10,
            )
            print(rows)
            print(rows.to_dicts()[0])
            """,
        )

        banner("A runaway query is cancelled on the server when its time is up")
        python(
            info,
            "alice",
            """
            import middleware, time
            started = time.monotonic()
            try:
                middleware.query_with_timeout("select pg_sleep(60)", timeout=1)
            except middleware.QueryTimeout as e:
                print(f"QueryTimeout after {time.monotonic() - started:.2f}s (cancelled={e.cancelled}): {e}")
            print("same connection, next query:", middleware.query_with_timeout("select 1 as ok")[0])
            """,
        )

        banner("Who did what: an audit record per connect and query; the database sees alice")
        python(
            info,
            "alice",
            """
            import logging, middleware
            logging.basicConfig(format="%(name)s %(levelname)s %(message)s")
            logging.getLogger("middleware.audit").setLevel(logging.INFO)
            conn = middleware.connect()
            print(conn.query_with_timeout(
                "select usename, application_name from pg_stat_activity where pid = pg_backend_pid()"
            )[0])
            """,
        )

        banner("asyncio: the same API, awaitable; cancelling the task cancels the query")
        python(
            info,
            "alice",
            """
            import asyncio, middleware.aio as aio

            async def main():
                rows = await aio.query_with_timeout("select region, count(*) from sales group by 1 order by 1")
                print(list(rows))
                task = asyncio.create_task(aio.query_with_timeout("select pg_sleep(30)"))
                await asyncio.sleep(0.3)
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    print("cancelled; the server stopped the query")

            asyncio.run(main())
            """,
        )

        banner("pandas through SQLAlchemy: no password in the URL")
        python(
            info,
            "alice",
            """
            import middleware, pandas as pd
            engine = middleware.create_engine("analytics")   # postgresql+middleware://read_only@/analytics
            print(pd.read_sql("select product, round(avg(amount), 2) as avg from sales group by 1 order by 1", engine))
            """,
        )

        banner("bob may only use read_only: asking for read_write gets a plain answer")
        python(
            info,
            "bob",
            """
            import middleware
            try:
                middleware.connect("analytics", user="read_write")
            except middleware.AccessDenied as e:
                print(e)
            """,
        )

        banner("carol is allowed by the policy but AWS grants her nothing: AWS's no, explained")
        shell(info, "carol", "query", "select 1", expect=3)

        banner("The CLI: a query with a time limit, as CSV")
        shell(
            info,
            "alice",
            "query",
            "select id, region, amount from sales order by id limit 3",
            "--format",
            "csv",
        )
        shell(info, "alice", "query", "select pg_sleep(5)", "--timeout", "500ms", expect=4)

        banner("Secrets, compatible with credstash (admin, a platform engineer)")
        shell(info, "admin", "secrets", "list")
        shell(info, "admin", "iam-policy", "analytics", "read_only")

        banner("Redshift with no stored password: IAM temporary credentials (password_source = redshift-iam)")
        redshift = play_redshift(info)
        config = info.dir / "warehouse.toml"
        config.write_text(warehouse_config(info))
        print(config.read_text().strip())
        analyst = info.env_for(
            "alice",
            MIDDLEWARE_CONFIG=str(config),
            AWS_ENDPOINT_URL_REDSHIFT=redshift.proxy.url,  # moto, with the local PostgreSQL playing the cluster
            AWS_ACCESS_KEY_ID=redshift.analyst.key_id,
            AWS_SECRET_ACCESS_KEY=redshift.analyst.secret_key,
        )
        analyst.pop("AWS_PROFILE")
        python(
            info,
            "rs-analyst",
            """
            import middleware
            for _ in range(2):   # the second connect reuses the temporary password
                with middleware.connect("warehouse") as conn:
                    print(conn.query_with_timeout("select current_user, (select count(*) from sales) as sales")[0])
            """,
            env=analyst,
        )
        print(f"GetClusterCredentials calls: {redshift.proxy.calls['GetClusterCredentials']}")
        shell(info, "rs-analyst", "iam-policy", "warehouse", "read_only", env=analyst)
        redshift.proxy.close()

        banner("Every link checked")
        shell(info, "bob", "doctor")

        banner("The configuration, resolved with its sources")
        shell(info, "alice", "config", "show")

    banner("Done: the stack is stopped and its files removed")


if __name__ == "__main__":
    main()
