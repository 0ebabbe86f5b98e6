"""The notebook experience, in a real Jupyter kernel (ipykernel + nbclient)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT, active_sleeps, wait_until
from stack import Stack


def kernel_env(info: Stack) -> dict[str, str]:
    # JupySQL's library (ploomber-core) would otherwise send telemetry and check for updates.
    env = info.env_for("alice", PLOOMBER_STATS_ENABLED="false", PLOOMBER_VERSION_CHECK_DISABLED="true")
    env.pop("PYDEVD_DISABLE_FILE_VALIDATION", None)
    return env


def outputs(cell: Any) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        for data in out.get("data", {}).values():
            parts.append(data if isinstance(data, str) else "")
        parts.extend(out.get("traceback", []))
    return "\n".join(parts)


@pytest.mark.timeout(180)
def test_the_quickstart_runs_top_to_bottom(local_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in kernel_env(local_stack).items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert local_stack.users["alice"].arn in outputs(code[0])
    table = next(o for o in code[1]["outputs"] if "data" in o)["data"]
    assert "<table" in table["text/html"] and "region" in table["text/html"]
    assert "<table" in next(o for o in code[2]["outputs"] if "data" in o)["data"]["text/html"]
    assert "stopped after 1.0" in outputs(code[3]) and "cancelled on the server" in outputs(code[3])
    assert "still_usable" in outputs(code[3])
    denied = outputs(code[4])
    assert "access denied" in denied and local_stack.users["bob"].arn in denied
    assert "you may use: ['read_only']" in denied
    # JupySQL through the postgresql+middleware dialect: connect, a query, the tables, then pandas.
    assert "Connecting to 'postgresql+middleware://read_only@/analytics'" in outputs(code[5])
    assert "Traceback" not in outputs(code[5])
    selected = outputs(code[6])
    assert "4 rows affected" in selected and "north" in selected and "250" in selected
    assert "sales" in outputs(code[7])
    assert "widget" in outputs(code[8]) and "avg_amount" in outputs(code[8])
    # Top-level await in the kernel's own loop.
    awaited = outputs(code[9])
    assert "Traceback" not in awaited and "north" in awaited and "total" in awaited, awaited
    assert "analytics.read_only.password" in outputs(code[10])


@pytest.mark.timeout(120)
def test_errors_read_well_in_a_notebook(local_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in kernel_env(local_stack).items():
        monkeypatch.setenv(key, value)
    nb = new_notebook(
        cells=[
            new_code_cell("import middleware\nmiddleware.connect(user='read_write', profile='bob')"),
            new_code_cell("middleware.query_with_timeout('select pg_sleep(5)', timeout=0.5)"),
        ]
    )
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    denied, timeout = (c["outputs"][-1] for c in nb.cells)
    assert denied["ename"] == "AccessDenied"
    assert denied["traceback"][0].startswith("AccessDenied: access denied:")
    assert any("allowed: ['read_only']" in line for line in denied["traceback"])
    assert not any("Traceback" in line or ".rs" in line for line in denied["traceback"])
    assert timeout["ename"] == "QueryTimeout"
    assert timeout["traceback"][0].startswith("QueryTimeout: query exceeded its time limit of 500ms")
    assert any("timeout: 0.5" in line for line in timeout["traceback"])


def shell_reply(kc: Any, msg_id: str, timeout: float) -> dict[str, Any]:
    """The reply to `msg_id`, skipping a late reply to an earlier request
    (wait_for_ready's kernel_info can arrive after it returned)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if reply["parent_header"].get("msg_id") == msg_id:
            return dict(reply)


def run_cell(kc: Any, code: str, timeout: float = 30) -> dict[str, Any]:
    return dict(shell_reply(kc, kc.execute(code), timeout)["content"])


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "statement",
    ["conn.query_with_timeout('select pg_sleep(30)', timeout=60)", "conn.cursor().execute('select pg_sleep(30)')"],
    ids=["query_with_timeout", "cursor.execute"],
)
def test_interrupting_the_kernel_cancels_the_query(local_stack: Stack, statement: str) -> None:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env={**os.environ, **kernel_env(local_stack)}, cwd=str(ROOT))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        ready = run_cell(kc, "import middleware\nconn = middleware.connect()")
        assert ready["status"] == "ok", ready
        msg_id = kc.execute(statement)
        assert wait_until(lambda: active_sleeps(local_stack) == 1, 15)
        time.sleep(1)
        interrupted = time.monotonic()
        km.interrupt_kernel()
        reply = shell_reply(kc, msg_id, 10)
        took = time.monotonic() - interrupted
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        assert took < 0.5 + 0.2, f"the cell stopped {took:.2f}s after the interrupt"
        assert wait_until(lambda: active_sleeps(local_stack) == 0, 0.5)
        rollback = "conn.rollback()\n" if "cursor" in statement else ""
        after = run_cell(kc, f"{rollback}assert conn.query_with_timeout('select 7 as x')[0] == (7,)")
        assert after["status"] == "ok", after
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_example_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(Path(ROOT / "examples" / "quickstart.ipynb"), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
