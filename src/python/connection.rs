//! The PEP 249 `Connection`: a thin adapter over the core's
//! [`Session`](crate::pg::session::Session), which owns the transaction,
//! time limits and cancels. All IO goes through [`super::blocking::wait`]:
//! the GIL is released and Ctrl-C cancels the server-side query.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

use super::args::{prepare, timeout_arg};
use super::arrow::ArrowStream;
use super::blocking::wait_on;
use super::convert;
use super::cursor::Cursor;
use super::exceptions::InterfaceError;
use super::result::ResultSet;
use crate::broker;
use crate::config::Database;
use crate::pg::bind::Param;
use crate::pg::query::{self, Column, Outcome};
use crate::pg::session::Session;
use crate::pg::stream::RowFeed;
use crate::runtime::Driver;
use crate::sync::Locked;

/// A connection to one database as one database user.
#[pyclass(frozen, name = "Connection", module = "middleware")]
pub struct Connection {
    session: Mutex<Option<Arc<Session>>>,
    /// The process that opened it: after fork() the child must not use it.
    pid: u32,
    database: Database,
    user: String,
    /// The limit `query_with_timeout` uses when none is given.
    default_timeout: Duration,
    /// The timeout `connect()` was given: it bounds `stream()` too.
    stream_limit: Option<Duration>,
}

/// A statement's rows: Python tuples, or the wire rows for [`ResultSet`].
pub enum Fetched {
    Tuples(Py<PyList>),
    Raw(Vec<tokio_postgres::Row>),
}

impl Connection {
    pub fn new(
        session: Session,
        database: Database,
        user: String,
        (default_timeout, stream_limit): (Duration, Option<Duration>),
        autocommit: bool,
    ) -> PyResult<Self> {
        session.set_autocommit(autocommit)?;
        Ok(Connection {
            session: Mutex::new(Some(Arc::new(session))),
            pid: std::process::id(),
            database,
            user,
            default_timeout,
            stream_limit,
        })
    }

    pub fn in_transaction(&self) -> bool {
        self.session.locked().as_ref().is_some_and(|s| s.in_transaction() && !s.is_closed())
    }

    pub fn stream_limit(&self) -> Option<Duration> {
        self.stream_limit
    }

    pub(super) fn live(&self) -> PyResult<Arc<Session>> {
        if self.pid != std::process::id() {
            return Err(InterfaceError::new_err(
                "this connection was opened in another process (before fork()); open a new one in this process",
            ));
        }
        match self.session.locked().as_ref() {
            Some(s) => Ok(s.clone()),
            None => Err(InterfaceError::new_err("the connection is closed")),
        }
    }

    /// Whether `close()` was called (the session may still have died).
    pub(super) fn was_closed(&self) -> bool {
        self.session.locked().is_none()
    }

    /// Whether the connection is closed or died (checked now: a session on
    /// its own runtime first reads what arrived since its last call).
    pub fn is_closed(&self) -> bool {
        if self.pid != std::process::id() {
            return true;
        }
        let Ok(session) = self.live() else { return true };
        session.driver().settle();
        session.is_closed()
    }

    /// Runs one statement; rows become Python tuples. The result is held
    /// whole, so the database's size limit applies.
    pub fn run(
        &self,
        py: Python<'_>,
        sql: String,
        params: Vec<Param>,
        limit: Option<Duration>,
    ) -> PyResult<(Outcome, Py<PyList>)> {
        self.run_as(py, sql, params, limit, true)
    }

    /// `executemany`: every parameter set, pipelined (see the session's).
    pub fn run_many(
        &self,
        py: Python<'_>,
        batch: Vec<(Arc<str>, Vec<Param>)>,
        limit: Option<Duration>,
    ) -> PyResult<Outcome> {
        let session = self.live()?;
        let driver = session.driver().clone();
        wait_on(py, &driver, move |interrupt| async move { session.execute_many(&batch, limit, interrupt).await })
    }

    /// A named cursor's statement (DECLARE, FETCH a page, CLOSE): read page
    /// by page, so not capped.
    pub fn run_paged(&self, py: Python<'_>, sql: String, params: Vec<Param>) -> PyResult<(Outcome, Py<PyList>)> {
        self.run_as(py, sql, params, None, false)
    }

    fn run_as(
        &self,
        py: Python<'_>,
        sql: String,
        params: Vec<Param>,
        limit: Option<Duration>,
        capped: bool,
    ) -> PyResult<(Outcome, Py<PyList>)> {
        match self.execute(py, sql, params, limit, (false, capped))? {
            (outcome, Fetched::Tuples(list)) => Ok((outcome, list)),
            (_, Fetched::Raw(_)) => unreachable!("asked for tuples"),
        }
    }

    pub fn query_with_timeout_py<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        params: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limit = self.limit(timeout)?;
        let (sql, values) = prepare(sql, params)?;
        let (outcome, Fetched::Raw(raw)) = self.execute(py, sql, values, Some(limit), (true, true))? else {
            unreachable!("asked for raw rows")
        };
        rows_object(py, &outcome, raw)
    }

    /// One execution on the session. Rows become Python tuples batch by
    /// batch as they arrive (the future runs on the calling thread), or are
    /// kept as they came off the wire when `raw` (for `Rows`); `capped`: the
    /// database's result size limit applies.
    fn execute(
        &self,
        py: Python<'_>,
        sql: String,
        params: Vec<Param>,
        limit: Option<Duration>,
        (raw, capped): (bool, bool),
    ) -> PyResult<(Outcome, Fetched)> {
        let session = self.live()?;
        let list = PyList::empty(py).unbind();
        let target = list.clone_ref(py);
        let kept: Arc<Mutex<Vec<tokio_postgres::Row>>> = Arc::default();
        let keep = kept.clone();
        let failed: Arc<Mutex<Option<PyErr>>> = Arc::default();
        let slot = failed.clone();
        let driver = session.driver().clone();
        let result = wait_on(py, &driver, move |interrupt| async move {
            let mut sink = |batch: Vec<tokio_postgres::Row>| {
                if raw {
                    keep.locked().extend(batch);
                    return query::taken(Ok(()));
                }
                query::taken(Python::attach(|py| convert::extend(py, target.bind(py), &batch)).map_err(|e| {
                    *slot.locked() = Some(e);
                    crate::Error::Data("a value could not be converted to Python".into())
                }))
            };
            if capped {
                session.execute(&sql, &params, limit, interrupt, &mut sink).await
            } else {
                session.execute_paged(&sql, &params, limit, interrupt, &mut sink).await
            }
        });
        if let Some(conversion) = failed.locked().take() {
            return Err(conversion);
        }
        let outcome = result?;
        let fetched = if raw { Fetched::Raw(std::mem::take(&mut *kept.locked())) } else { Fetched::Tuples(list) };
        Ok((outcome, fetched))
    }

    /// Ends the session; false if none was open. A session on its own
    /// runtime says goodbye (Terminate) only while driven, so that is done
    /// here; one still used elsewhere (a stream) closes when that lets go.
    fn shut(&self, py: Python<'_>) -> PyResult<bool> {
        let Some(session) = self.session.locked().take() else { return Ok(false) };
        if let Ok(session) = Arc::try_unwrap(session)
            && let driver @ Driver::Own(_) = session.driver().clone()
        {
            wait_on(py, &driver, |_| async move {
                session.terminate().await;
                Ok(())
            })?;
        }
        Ok(true)
    }

    fn end_transaction(&self, py: Python<'_>, commit: bool) -> PyResult<()> {
        let session = self.live()?;
        let driver = session.driver().clone();
        wait_on(py, &driver, move |interrupt| async move {
            if commit { session.commit(interrupt).await } else { session.rollback(interrupt).await }
        })
    }

    /// The timeout to use: the one given (seconds or timedelta), else this
    /// connection's default; refused above the database's max_timeout.
    pub fn limit(&self, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Duration> {
        match timeout_arg(timeout)? {
            None => Ok(self.default_timeout),
            Some(asked) => Ok(broker::query_timeout(&self.database, Some(asked))?),
        }
    }
}

static ROWS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A `middleware.Rows` over a result kept as it came off the wire.
pub(super) fn rows_object<'py>(
    py: Python<'py>,
    outcome: &Outcome,
    raw: Vec<tokio_postgres::Row>,
) -> PyResult<Bound<'py, PyAny>> {
    let class = ROWS.get_or_try_init(py, || Ok::<_, PyErr>(py.import("middleware.rows")?.getattr("Rows")?.unbind()))?;
    let columns: Vec<String> = outcome.columns.iter().map(|c| c.name.clone()).collect();
    let result = Py::new(py, ResultSet::new(raw))?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("_result", result)?;
    class.bind(py).call((columns, py.None()), Some(&kwargs))
}

/// PEP 249's `description`: (name, type_code, None x 5) per column, or None
/// for a statement without a result.
pub(super) fn description(py: Python<'_>, columns: &[Column]) -> PyResult<Py<PyAny>> {
    if columns.is_empty() {
        return Ok(py.None());
    }
    let desc = columns
        .iter()
        .map(|c| (c.name.as_str(), c.type_oid, py.None(), py.None(), py.None(), py.None(), py.None()))
        .collect::<Vec<_>>();
    Ok(PyList::new(py, desc)?.into_any().unbind())
}

/// PEP 249's optional extension: the exception classes as connection attributes.
const EXCEPTIONS: &[&str] = &[
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
];

#[pymethods]
impl Connection {
    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        if EXCEPTIONS.contains(&name) {
            return Ok(py.import("middleware.exceptions")?.getattr(name)?.unbind());
        }
        Err(pyo3::exceptions::PyAttributeError::new_err(format!("'Connection' object has no attribute {name:?}")))
    }

    /// A cursor; with a `name`, a server-side cursor (DECLARE / FETCH).
    #[pyo3(signature = (name=None))]
    fn cursor(slf: &Bound<'_, Self>, name: Option<String>) -> PyResult<Cursor> {
        slf.get().live()?;
        Ok(Cursor::new(slf.clone().unbind(), name))
    }

    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        self.end_transaction(py, true)
    }

    fn rollback(&self, py: Python<'_>) -> PyResult<()> {
        self.end_transaction(py, false)
    }

    /// Closes the connection; an open transaction is rolled back by the
    /// server. Closing twice is an InterfaceError (PEP 249: nothing may be
    /// done with a closed connection).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if !self.shut(py)? {
            return Err(InterfaceError::new_err("the connection is already closed"));
        }
        Ok(())
    }

    #[getter]
    fn closed(&self) -> bool {
        self.is_closed()
    }

    #[getter]
    fn get_autocommit(&self) -> bool {
        self.session.locked().as_ref().is_some_and(|s| s.autocommit())
    }

    #[setter]
    fn set_autocommit(&self, value: bool) -> PyResult<()> {
        Ok(self.live()?.set_autocommit(value)?)
    }

    #[getter]
    fn database(&self) -> &str {
        &self.database.name
    }

    #[getter]
    fn user(&self) -> &str {
        &self.user
    }

    #[pyo3(signature = (sql, params=None, timeout=None))]
    fn query_with_timeout<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        params: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.query_with_timeout_py(py, sql, params, timeout)
    }

    /// The result as Arrow record batches, built from the wire in Rust.
    #[pyo3(signature = (sql, params=None, *, timeout=None))]
    fn query_arrow<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        params: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<ArrowStream> {
        let limit = self.limit(timeout)?;
        let (sql, values) = prepare(sql, params)?;
        let feed = RowFeed::start(self.live()?, sql, values, Some(limit), true)?;
        ArrowStream::open(py, feed)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Commits on success, rolls back on an exception, then closes (as psycopg 3).
    fn __exit__(
        &self,
        py: Python<'_>,
        kind: Option<&Bound<'_, PyAny>>,
        _value: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let ended =
            if self.is_closed() { Ok(()) } else { self.end_transaction(py, kind.is_none_or(PyAnyMethods::is_none)) };
        self.shut(py)?;
        ended.map(|()| false)
    }

    fn __repr__(&self) -> String {
        let state = if self.is_closed() { "closed" } else { "open" };
        let host = self.database.host.as_deref().unwrap_or("(host from credstash)");
        format!(
            "<middleware.Connection {} as {} on {host}:{} ({state})>",
            self.database.name, self.user, self.database.port
        )
    }
}
