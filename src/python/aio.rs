//! The bridge under `middleware.aio`: work runs as tasks on the one runtime,
//! and an asyncio loop collects what finished.
//!
//! No tokio worker ever takes the GIL: a finished task puts its outcome in a
//! queue and, when the queue was empty, writes one byte to a socket that the
//! event loop watches (`loop.add_reader`). The loop's callback calls
//! [`Completions::drain`] on its own thread, where outcomes become Python
//! objects and futures are resolved. Cancelling an awaiting task fires the
//! work's [`Interrupt`]: the session cancels on the server and drains, as
//! for a timeout, while the caller already has its `CancelledError`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::access::{PyIdentity, Whoami, check_access_work, whoami_work};
use super::aio_stream::{AsyncFeed, Build, open_arrow};
use super::args::{prepare, prepare_many, timeout_arg};
use super::connect::Opening;
use super::connection::{description, rows_object};
use super::convert;
use super::exceptions::InterfaceError;
use crate::broker;
use crate::config::Database;
use crate::pg::query::{self, Outcome};
use crate::pg::session::Session;
use crate::pg::stream::RowFeed;
use crate::runtime::{self, Interrupt, Trigger};
use crate::sync::Locked;

/// What a task hands back, before it becomes a Python object.
enum Done {
    Connected(Box<crate::Result<Session>>, Box<Opening>, bool),
    Executed(crate::Result<(Outcome, Vec<tokio_postgres::Row>)>, bool),
    Nothing(crate::Result<()>),
    Identity(crate::Result<Whoami>),
    /// Built on the loop's thread (streams, Arrow: see aio_stream.rs).
    Built(Build),
}

struct Shared {
    finished: Mutex<Vec<(u64, Done)>>,
    waker: UnixStream,
    running: Mutex<HashMap<u64, Trigger>>,
    next: AtomicU64,
    pid: u32,
}

impl Shared {
    fn finish(&self, id: u64, done: Done) {
        self.running.locked().remove(&id);
        let first = {
            let mut finished = self.finished.locked();
            finished.push((id, done));
            finished.len() == 1
        };
        if first {
            // Non-blocking: when the socket is full, a wake is pending anyway.
            let _ = (&self.waker).write(&[1]);
        }
    }
}

/// One event loop's view of the work it started.
#[pyclass(frozen, name = "Completions", module = "middleware._core")]
pub struct Completions {
    shared: Arc<Shared>,
    wake: UnixStream,
}

impl Completions {
    /// Runs `work` as a task; its outcome comes back through [`Self::drain`].
    fn submit<F>(&self, work: impl FnOnce(Interrupt) -> F) -> PyResult<u64>
    where
        F: Future<Output = Done> + Send + 'static,
    {
        if self.shared.pid != std::process::id() {
            return Err(InterfaceError::new_err(
                "this event loop's middleware state comes from another process (before fork()); use a new loop",
            ));
        }
        Python::attach(super::logbridge::sync_levels);
        let id = self.shared.next.fetch_add(1, Ordering::Relaxed);
        let (trigger, interrupt) = Interrupt::new();
        self.shared.running.locked().insert(id, trigger);
        let future = work(interrupt);
        let shared = self.shared.clone();
        runtime::spawn(async move {
            let done = future.await;
            shared.finish(id, done);
        });
        Ok(id)
    }
}

#[pymethods]
impl Completions {
    #[new]
    fn new() -> PyResult<Self> {
        let (wake, waker) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        waker.set_nonblocking(true)?;
        let shared = Shared {
            finished: Mutex::default(),
            waker,
            running: Mutex::default(),
            next: AtomicU64::new(1),
            pid: std::process::id(),
        };
        Ok(Completions { shared: Arc::new(shared), wake })
    }

    /// The socket the event loop watches for finished work.
    fn fileno(&self) -> i32 {
        self.wake.as_raw_fd()
    }

    /// What finished since the last call: `(id, ok, value)`; value is the
    /// result, or the exception to raise.
    fn drain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        // The wake bytes first, then the queue: a task finishing in between
        // writes a new byte, so nothing is left without a wake.
        let mut sink = [0u8; 256];
        while matches!((&self.wake).read(&mut sink), Ok(n) if n > 0) {}
        let finished = std::mem::take(&mut *self.shared.finished.locked());
        super::logbridge::flush(py);
        let out = PyList::empty(py);
        for (id, done) in finished {
            let value = match convert_done(py, done) {
                Ok(value) => (id, true, value),
                Err(err) => (id, false, err.into_value(py).into_any()),
            };
            out.append(value)?;
        }
        Ok(out)
    }

    /// The awaiting task was cancelled: stop the work (a cancel on the server).
    fn interrupt(&self, id: u64) {
        if let Some(trigger) = self.shared.running.locked().remove(&id) {
            trigger.interrupt();
        }
    }

    #[pyo3(signature = (database=None, user=None, timeout=None, overrides=None, autocommit=false))]
    fn connect(
        &self,
        py: Python<'_>,
        database: Option<&str>,
        user: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        overrides: Option<&Bound<'_, PyDict>>,
        autocommit: bool,
    ) -> PyResult<u64> {
        let opening = Box::new(Opening::new(py, database, user, timeout, overrides)?);
        let work = opening.session(false);
        self.submit(move |_| async move { Done::Connected(Box::new(work.await), opening, autocommit) })
    }

    /// Runs one statement; `limit` in seconds (or a timedelta) or None.
    #[pyo3(signature = (conn, sql, params=None, timeout=None, rows=false))]
    fn execute(
        &self,
        conn: &AsyncSession,
        sql: &str,
        params: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        rows: bool,
    ) -> PyResult<u64> {
        let session = conn.live()?;
        let limit = if rows { Some(conn.limit(timeout)?) } else { timeout_arg(timeout)? };
        let (sql, params) = prepare(sql, params)?;
        self.submit(move |interrupt| async move {
            let mut kept = Vec::new();
            let mut sink = |batch: Vec<tokio_postgres::Row>| {
                kept.extend(batch);
                query::taken(Ok(()))
            };
            let outcome = session.execute(&sql, &params, limit, interrupt, &mut sink).await;
            Done::Executed(outcome.map(|o| (o, kept)), rows)
        })
    }

    /// Runs `sql` once per parameter set, pipelined (see `Cursor.executemany`).
    #[pyo3(signature = (conn, sql, seq_of_parameters, timeout=None))]
    fn execute_many(
        &self,
        conn: &AsyncSession,
        sql: &str,
        seq_of_parameters: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let session = conn.live()?;
        let limit = timeout_arg(timeout)?.map(|t| broker::query_timeout(&conn.database, Some(t))).transpose()?;
        let batch = prepare_many(sql, seq_of_parameters)?;
        self.submit(move |interrupt| async move {
            let outcome = session.execute_many(&batch, limit, interrupt).await;
            Done::Executed(outcome.map(|o| (o, Vec::new())), false)
        })
    }

    /// Starts a statement whose rows are read as they arrive (`AsyncCursor.stream()`).
    #[pyo3(signature = (conn, sql, params=None))]
    fn stream(&self, conn: &AsyncSession, sql: &str, params: Option<&Bound<'_, PyAny>>) -> PyResult<AsyncFeed> {
        let (sql, params) = prepare(sql, params)?;
        Ok(AsyncFeed::new(RowFeed::start(conn.live()?, sql, params, conn.stream_limit, false)?))
    }

    /// The stream's next batch: `(description, tuples or None at the end, rowcount)`.
    fn stream_next(&self, feed: &AsyncFeed) -> PyResult<u64> {
        self.submit(|interrupt| {
            let next = feed.next(interrupt);
            async move { Done::Built(next.await) }
        })
    }

    /// Starts `query_arrow`; the result is an `ArrowStream`.
    #[pyo3(signature = (conn, sql, params=None, timeout=None))]
    fn query_arrow(
        &self,
        conn: &AsyncSession,
        sql: &str,
        params: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let limit = conn.limit(timeout)?;
        let (sql, params) = prepare(sql, params)?;
        let feed = RowFeed::start(conn.live()?, sql, params, Some(limit), true)?;
        self.submit(move |interrupt| async move { Done::Built(open_arrow(feed, interrupt).await) })
    }

    fn end(&self, conn: &AsyncSession, commit: bool) -> PyResult<u64> {
        let session = conn.live()?;
        self.submit(move |interrupt| async move {
            Done::Nothing(if commit { session.commit(interrupt).await } else { session.rollback(interrupt).await })
        })
    }

    #[pyo3(signature = (profile=None))]
    fn whoami(&self, py: Python<'_>, profile: Option<String>) -> PyResult<u64> {
        let work = whoami_work(py, profile)?;
        self.submit(move |_| async move { Done::Identity(work.await) })
    }

    #[pyo3(signature = (database=None, user=None, profile=None))]
    fn check_access(
        &self,
        py: Python<'_>,
        database: Option<&str>,
        user: Option<&str>,
        profile: Option<String>,
    ) -> PyResult<u64> {
        let work = check_access_work(py, database, user, profile)?;
        self.submit(move |_| async move { Done::Nothing(work.await) })
    }
}

fn convert_done(py: Python<'_>, done: Done) -> PyResult<Py<PyAny>> {
    Ok(match done {
        Done::Connected(session, opening, autocommit) => {
            let session = (*session)?;
            session.set_autocommit(autocommit)?;
            let Opening { db, user, default_timeout, stream_limit, .. } = *opening;
            Py::new(py, AsyncSession::new(session, db, user, (default_timeout, stream_limit)))?.into_any()
        }
        Done::Executed(result, rows) => {
            let (outcome, raw) = result?;
            if rows {
                rows_object(py, &outcome, raw)?.unbind()
            } else {
                let tuples = PyList::empty(py);
                for row in raw {
                    // Each wire row is freed once converted: one copy at a time.
                    tuples.append(convert::row(py, &row)?)?;
                }
                let count = outcome.rows_affected.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
                (description(py, &outcome.columns)?, tuples, count).into_pyobject(py)?.into_any().unbind()
            }
        }
        Done::Nothing(result) => {
            result?;
            py.None()
        }
        Done::Identity(result) => Py::new(py, PyIdentity::new(result?))?.into_any(),
        Done::Built(build) => build(py)?,
    })
}

/// The session under an `AsyncConnection`.
#[pyclass(frozen, name = "AsyncSession", module = "middleware._core")]
pub struct AsyncSession {
    session: Mutex<Option<Arc<Session>>>,
    pid: u32,
    database: Database,
    #[pyo3(get)]
    user: String,
    default_timeout: Duration,
    /// The timeout `connect()` was given: it bounds `stream()` too.
    stream_limit: Option<Duration>,
}

impl AsyncSession {
    fn new(session: Session, database: Database, user: String, limits: (Duration, Option<Duration>)) -> Self {
        AsyncSession {
            session: Mutex::new(Some(Arc::new(session))),
            pid: std::process::id(),
            database,
            user,
            default_timeout: limits.0,
            stream_limit: limits.1,
        }
    }

    fn live(&self) -> PyResult<Arc<Session>> {
        if self.pid != std::process::id() {
            return Err(InterfaceError::new_err(
                "this connection was opened in another process (before fork()); open a new one in this process",
            ));
        }
        self.session.locked().clone().ok_or_else(|| InterfaceError::new_err("the connection is closed"))
    }

    fn limit(&self, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Duration> {
        match timeout_arg(timeout)? {
            None => Ok(self.default_timeout),
            Some(asked) => Ok(broker::query_timeout(&self.database, Some(asked))?),
        }
    }
}

#[pymethods]
impl AsyncSession {
    #[getter]
    fn database(&self) -> &str {
        &self.database.name
    }

    #[getter]
    fn closed(&self) -> bool {
        self.pid != std::process::id() || self.session.locked().as_ref().is_none_or(|s| s.is_closed())
    }

    #[getter]
    fn get_autocommit(&self) -> bool {
        self.session.locked().as_ref().is_some_and(|s| s.autocommit())
    }

    #[setter]
    fn set_autocommit(&self, value: bool) -> PyResult<()> {
        Ok(self.live()?.set_autocommit(value)?)
    }

    /// Drops the session (the server rolls back an open transaction);
    /// whether it was open.
    fn close(&self) -> bool {
        self.session.locked().take().is_some()
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("<middleware.aio.AsyncConnection {} as {} ({state})>", self.database.name, self.user)
    }
}
