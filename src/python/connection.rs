//! The PEP 249 `Connection` and `Cursor`. All IO goes through
//! [`super::blocking::wait`]: the GIL is released and Ctrl-C cancels the
//! server-side query.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDelta, PyDict, PyList, PyString};

use super::blocking::wait;
use super::convert;
use super::exceptions::{InterfaceError, ProgrammingError};
use super::result::ResultSet;
use crate::broker;
use crate::config::Database;
use crate::pg::bind::Param;
use crate::pg::connect::Session;
use crate::pg::params::{self, Order};
use crate::pg::query::{self, Outcome};

/// A connection to one database as one database user.
#[pyclass(frozen, name = "Connection", module = "middleware")]
pub struct Connection {
    session: Mutex<Option<Arc<Session>>>,
    autocommit: AtomicBool,
    in_transaction: AtomicBool,
    /// The process that opened it: after fork() the child must not use it.
    pid: u32,
    pub(super) database: Database,
    user: String,
    /// The limit `query_with_timeout` uses when none is given.
    default_timeout: Duration,
}

impl Connection {
    pub fn new(
        session: Session,
        database: Database,
        user: String,
        default_timeout: Duration,
        autocommit: bool,
    ) -> Self {
        Connection {
            session: Mutex::new(Some(Arc::new(session))),
            autocommit: AtomicBool::new(autocommit),
            in_transaction: AtomicBool::new(false),
            pid: std::process::id(),
            database,
            user,
            default_timeout,
        }
    }

    fn live(&self) -> PyResult<Arc<Session>> {
        if self.pid != std::process::id() {
            return Err(InterfaceError::new_err(
                "this connection was opened in another process (before fork()); open a new one in this process",
            ));
        }
        let guard = self.session.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_ref() {
            Some(s) => Ok(s.clone()),
            None => Err(InterfaceError::new_err("the connection is closed")),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.pid != std::process::id()
            || self
                .session
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
                .is_none_or(|s| s.is_closed())
    }

    /// Runs one statement, opening a transaction first unless in autocommit.
    /// When the transaction was opened by this very call and the statement
    /// failed (a timeout, an interrupt, an error), it is rolled back: nothing
    /// of the caller's was in it, and the connection stays ready.
    pub fn run(
        &self,
        py: Python<'_>,
        sql: String,
        params: Vec<Param>,
        limit: Option<Duration>,
    ) -> PyResult<(Outcome, Py<PyList>)> {
        self.run_as(py, sql, params, limit, false).map(|(outcome, fetched)| match fetched {
            Fetched::Tuples(list) => (outcome, list),
            Fetched::Raw(_) => unreachable!("asked for tuples"),
        })
    }

    /// [`Connection::run`], keeping the rows as they came off the wire when
    /// `raw` (for `Rows`, which converts them lazily or to Arrow).
    pub fn run_as(
        &self,
        py: Python<'_>,
        sql: String,
        params: Vec<Param>,
        limit: Option<Duration>,
        raw: bool,
    ) -> PyResult<(Outcome, Fetched)> {
        let session = self.live()?;
        let begin = !self.autocommit.load(Ordering::SeqCst) && !self.in_transaction.swap(true, Ordering::SeqCst);
        let mut attempt = 0;
        let (result, list) = loop {
            let (result, list) = self.attempt(py, &session, &sql, &params, limit, begin, raw);
            attempt += 1;
            // A late cancel of an earlier timed-out query hit this statement
            // (the server handles CancelRequests asynchronously). Outside a
            // transaction nothing happened, so it is run once more.
            let stray = matches!(&result, Err(e) if e.is_instance_of::<super::exceptions::OperationalError>(py)
                && e.value(py).getattr("sqlstate").and_then(|s| s.extract::<String>()).is_ok_and(|s| s == "57014"))
                && session.recent_cancel();
            if stray && attempt < 4 && self.autocommit.load(Ordering::SeqCst) {
                continue;
            }
            break (result, list);
        };
        if begin && result.is_err() && !session.is_closed() {
            let undo = wait(py, move |_| async move { query::simple(&session, "ROLLBACK").await });
            if undo.is_ok() {
                self.in_transaction.store(false, Ordering::SeqCst);
            }
        }
        result.map(|outcome| (outcome, list))
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
        let (outcome, fetched) = self.run_as(py, sql, values, Some(limit), true)?;
        let Fetched::Raw(raw) = fetched else { unreachable!("asked for raw rows") };
        let class =
            ROWS.get_or_try_init(py, || Ok::<_, PyErr>(py.import("middleware.rows")?.getattr("Rows")?.unbind()))?;
        let columns: Vec<String> = outcome.columns.iter().map(|c| c.name.clone()).collect();
        let result = Py::new(py, ResultSet::new(raw))?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("_result", result)?;
        class.bind(py).call((columns, py.None()), Some(&kwargs))
    }

    /// One execution, streaming rows into a fresh list (or keeping them raw).
    #[allow(clippy::too_many_arguments)] // the statement, its bounds and where rows go
    fn attempt(
        &self,
        py: Python<'_>,
        session: &Arc<Session>,
        sql: &str,
        params: &[Param],
        limit: Option<Duration>,
        begin: bool,
        raw: bool,
    ) -> (PyResult<Outcome>, Fetched) {
        let worker = session.clone();
        let list = PyList::empty(py).unbind();
        let target = list.clone_ref(py);
        let kept: Arc<Mutex<Vec<tokio_postgres::Row>>> = Arc::default();
        let keep = kept.clone();
        let failed: Arc<Mutex<Option<PyErr>>> = Arc::default();
        let slot = failed.clone();
        let (sql, params) = (sql.to_string(), params.to_vec());
        let result = wait(py, move |interrupt| async move {
            // Rows become Python objects batch by batch as they arrive (this
            // future runs on the calling thread), so a large result is never
            // held twice.
            let mut sink = |batch: Vec<tokio_postgres::Row>| -> crate::Result<()> {
                if raw {
                    keep.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(batch);
                    return Ok(());
                }
                Python::attach(|py| {
                    let list = target.bind(py);
                    for row in batch {
                        list.append(convert::row(py, &row)?)?;
                    }
                    Ok::<_, PyErr>(())
                })
                .map_err(|e| {
                    *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                    crate::Error::Data("a value could not be converted to Python".into())
                })
            };
            query::run_into(&worker, &sql, &params, limit, begin, interrupt, &mut sink).await
        });
        let result = match failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            Some(conversion) => Err(conversion),
            None => result,
        };
        let fetched = if raw {
            Fetched::Raw(std::mem::take(&mut *kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)))
        } else {
            Fetched::Tuples(list)
        };
        (result, fetched)
    }

    /// Drops the session; returns what was open, if anything.
    fn shut(&self) -> Option<Arc<Session>> {
        self.in_transaction.store(false, Ordering::SeqCst);
        self.session.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    fn end_transaction(&self, py: Python<'_>, sql: &'static str) -> PyResult<()> {
        let session = self.live()?;
        if !self.in_transaction.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        wait(py, move |_| async move {
            let done = query::simple(&session, sql).await;
            // A rollback also undoes a SET inside the transaction.
            *session.statement_timeout_ms.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            done
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

/// A statement's rows: Python tuples, or the wire rows for [`ResultSet`].
pub enum Fetched {
    Tuples(Py<PyList>),
    Raw(Vec<tokio_postgres::Row>),
}

/// Seconds (int/float) or a timedelta; None stays None.
pub fn timeout_arg(timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(t) = timeout.filter(|t| !t.is_none()) else { return Ok(None) };
    let seconds: f64 = if t.is_instance_of::<PyDelta>() {
        t.call_method0("total_seconds")?.extract()?
    } else if t.is_instance_of::<pyo3::types::PyBool>() || t.is_instance_of::<PyString>() {
        return Err(ProgrammingError::new_err(format!(
            "timeout must be a number of seconds or a datetime.timedelta, not {}",
            t.get_type().name()?
        )));
    } else {
        t.extract().map_err(|_| {
            ProgrammingError::new_err(format!(
                "timeout must be a number of seconds or a datetime.timedelta, not {}",
                t.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        })?
    };
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(ProgrammingError::new_err(format!("timeout must be a positive number of seconds, got {seconds}")));
    }
    Duration::try_from_secs_f64(seconds)
        .map(Some)
        .map_err(|_| ProgrammingError::new_err(format!("timeout {seconds} is too large")))
}

/// Rewrites pyformat placeholders and converts the parameters.
pub fn prepare(sql: &str, parameters: Option<&Bound<'_, PyAny>>) -> PyResult<(String, Vec<Param>)> {
    let Some(parameters) = parameters.filter(|p| !p.is_none()) else {
        return Ok((sql.to_string(), Vec::new()));
    };
    if let Ok(mapping) = parameters.cast::<PyDict>() {
        let (rewritten, order) = params::rewrite(sql, true)?;
        let Order::Named(names) = order else { unreachable!("a mapping gives named order") };
        let values = names
            .iter()
            .map(|name| match mapping.get_item(name)? {
                Some(v) => convert::to_param(&v),
                None => Err(ProgrammingError::new_err(format!(
                    "the query uses %({name})s but no parameter named {name:?} was given"
                ))),
            })
            .collect::<PyResult<Vec<_>>>()?;
        return Ok((rewritten, values));
    }
    if parameters.is_instance_of::<PyString>() {
        return Err(ProgrammingError::new_err("parameters must be a sequence or a mapping, not a str"));
    }
    let values: Vec<Bound<'_, PyAny>> = parameters
        .try_iter()
        .map_err(|_| ProgrammingError::new_err("parameters must be a sequence or a mapping"))?
        .collect::<PyResult<_>>()?;
    let (rewritten, order) = params::rewrite(sql, false)?;
    let Order::Positional(count) = order else { unreachable!("a sequence gives positional order") };
    if count != values.len() {
        return Err(ProgrammingError::new_err(format!(
            "the query has {count} placeholder(s) but {} parameter(s) were given",
            values.len()
        )));
    }
    Ok((rewritten, values.iter().map(convert::to_param).collect::<PyResult<_>>()?))
}

static ROWS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

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

    fn cursor(slf: &Bound<'_, Self>) -> PyResult<Cursor> {
        slf.get().live()?;
        Ok(Cursor::new(slf.clone().unbind()))
    }

    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        self.end_transaction(py, "COMMIT")
    }

    fn rollback(&self, py: Python<'_>) -> PyResult<()> {
        self.end_transaction(py, "ROLLBACK")
    }

    /// Closes the connection; an open transaction is rolled back by the
    /// server. Closing twice is an InterfaceError (PEP 249: nothing may be
    /// done with a closed connection).
    fn close(&self) -> PyResult<()> {
        if self.shut().is_none() {
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
        self.autocommit.load(Ordering::SeqCst)
    }

    #[setter]
    fn set_autocommit(&self, value: bool) -> PyResult<()> {
        if self.in_transaction.load(Ordering::SeqCst) && value {
            return Err(ProgrammingError::new_err(
                "cannot switch to autocommit inside a transaction: commit() or rollback() first",
            ));
        }
        self.autocommit.store(value, Ordering::SeqCst);
        Ok(())
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
        let ended = if self.is_closed() {
            Ok(())
        } else if kind.is_some_and(|k| !k.is_none()) {
            self.end_transaction(py, "ROLLBACK")
        } else {
            self.end_transaction(py, "COMMIT")
        };
        self.shut();
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

/// A PEP 249 cursor. Results are fetched in full by `execute` (like
/// psycopg's default client-side cursor).
#[pyclass(name = "Cursor", module = "middleware")]
pub struct Cursor {
    #[pyo3(get)]
    connection: Py<Connection>,
    /// The result's rows and how many were fetched already.
    rows: Option<Py<PyList>>,
    position: usize,
    description: Option<Py<PyAny>>,
    #[pyo3(get)]
    rowcount: i64,
    #[pyo3(get, set)]
    arraysize: usize,
    closed: bool,
}

impl Cursor {
    fn new(connection: Py<Connection>) -> Self {
        Cursor { connection, rows: None, position: 0, description: None, rowcount: -1, arraysize: 1, closed: false }
    }

    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed {
            return Err(InterfaceError::new_err("the cursor is closed"));
        }
        if self.connection.bind(py).get().session.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_none() {
            return Err(InterfaceError::new_err("the cursor's connection is closed"));
        }
        Ok(())
    }

    fn take_outcome(&mut self, py: Python<'_>, outcome: &Outcome, list: Py<PyList>) -> PyResult<()> {
        self.description = None;
        if !outcome.columns.is_empty() {
            let desc = outcome
                .columns
                .iter()
                .map(|c| (c.name.as_str(), c.type_oid, py.None(), py.None(), py.None(), py.None(), py.None()))
                .collect::<Vec<_>>();
            self.description = Some(PyList::new(py, desc)?.into_any().unbind());
        }
        self.rowcount = outcome.rows_affected.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        self.rows = Some(list);
        self.position = 0;
        Ok(())
    }

    fn reset(&mut self) {
        self.rows = None;
        self.position = 0;
        self.description = None;
        self.rowcount = -1;
    }

    /// The next `n` rows (all remaining when None).
    fn take<'py>(&mut self, py: Python<'py>, n: Option<usize>) -> Bound<'py, PyList> {
        let Some(rows) = &self.rows else { return PyList::empty(py) };
        let rows = rows.bind(py);
        let end = n.map_or(rows.len(), |n| (self.position + n).min(rows.len()));
        let start = self.position.min(end);
        self.position = end;
        if start == 0 && end == rows.len() {
            let all = rows.clone();
            self.rows = Some(PyList::empty(py).unbind());
            self.position = 0;
            return all;
        }
        rows.get_slice(start, end)
    }

    fn no_result_set(&self) -> PyResult<()> {
        if self.description.is_none() {
            return Err(ProgrammingError::new_err("no results to fetch: the last statement returned no rows"));
        }
        Ok(())
    }
}

#[pymethods]
impl Cursor {
    #[pyo3(signature = (operation, parameters=None))]
    fn execute<'py>(
        mut slf: PyRefMut<'py, Self>,
        operation: &str,
        parameters: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let py = slf.py();
        slf.check_open(py)?;
        let (sql, values) = prepare(operation, parameters)?;
        let conn = slf.connection.clone_ref(py);
        slf.reset();
        let (outcome, list) = conn.bind(py).get().run(py, sql, values, None)?;
        slf.take_outcome(py, &outcome, list)?;
        Ok(slf)
    }

    fn executemany<'py>(
        mut slf: PyRefMut<'py, Self>,
        operation: &str,
        seq_of_parameters: &Bound<'py, PyAny>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let py = slf.py();
        slf.check_open(py)?;
        let conn = slf.connection.clone_ref(py);
        let mut total: i64 = 0;
        for parameters in seq_of_parameters.try_iter()? {
            let (sql, values) = prepare(operation, Some(&parameters?))?;
            let (outcome, _) = conn.bind(py).get().run(py, sql, values, None)?;
            total += outcome.rows_affected.map_or(0, |n| i64::try_from(n).unwrap_or(0));
        }
        slf.reset();
        slf.rowcount = total;
        Ok(slf)
    }

    fn fetchone(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.check_open(py)?;
        self.no_result_set()?;
        let Some(rows) = &self.rows else { return Ok(None) };
        let rows = rows.bind(py);
        if self.position >= rows.len() {
            return Ok(None);
        }
        let row = rows.get_item(self.position)?;
        self.position += 1;
        Ok(Some(row.unbind()))
    }

    #[pyo3(signature = (size=None))]
    fn fetchmany<'py>(&mut self, py: Python<'py>, size: Option<usize>) -> PyResult<Bound<'py, PyList>> {
        self.check_open(py)?;
        self.no_result_set()?;
        let n = size.unwrap_or(self.arraysize);
        Ok(self.take(py, Some(n)))
    }

    fn fetchall<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.check_open(py)?;
        self.no_result_set()?;
        Ok(self.take(py, None))
    }

    #[getter]
    fn description(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.description.as_ref().map(|d| d.clone_ref(py))
    }

    fn close(&mut self) {
        self.closed = true;
        self.rows = None;
    }

    #[getter]
    fn closed(&self) -> bool {
        self.closed
    }

    /// A no-op, as PEP 249 allows.
    #[allow(unused_variables)]
    fn setinputsizes(&self, sizes: &Bound<'_, PyAny>) {}

    /// A no-op, as PEP 249 allows.
    #[pyo3(signature = (size, column=None))]
    #[allow(unused_variables)]
    fn setoutputsize(&self, size: &Bound<'_, PyAny>, column: Option<&Bound<'_, PyAny>>) {}

    #[pyo3(signature = (sql, params=None, timeout=None))]
    fn query_with_timeout<'py>(
        &self,
        py: Python<'py>,
        sql: &str,
        params: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check_open(py)?;
        self.connection.bind(py).get().query_with_timeout_py(py, sql, params, timeout)
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.fetchone(py)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __exit__(
        &mut self,
        _kind: Option<&Bound<'_, PyAny>>,
        _value: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        self.close();
        false
    }
}
