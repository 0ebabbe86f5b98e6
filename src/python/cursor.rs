//! The PEP 249 `Cursor`: results are fetched in full by `execute` (like
//! psycopg's default client-side cursor), through its connection's session.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyWeakrefReference};

use super::args::{prepare, prepare_many};
use super::arrow::ArrowStream;
use super::connection::Connection;
use super::exceptions::{InterfaceError, ProgrammingError};
use super::stream::RowStream;
use crate::pg::query::{Column, Outcome};
use crate::pg::stream::RowFeed;

/// A PEP 249 cursor. Results are fetched in full by `execute` (like
/// psycopg's default client-side cursor).
#[pyclass(name = "Cursor", module = "middleware")]
pub struct Cursor {
    #[pyo3(get)]
    connection: Py<Connection>,
    /// The result's rows and how many were fetched already.
    rows: Option<Py<PyList>>,
    position: usize,
    /// The last result's columns (None: the statement returned no rows),
    /// and PEP 249's description of them, made when first asked for.
    columns: Option<Vec<Column>>,
    description: Option<Py<PyAny>>,
    #[pyo3(get)]
    rowcount: i64,
    #[pyo3(get, set)]
    arraysize: usize,
    closed: bool,
    /// The stream this cursor started last, if it is still alive: closing
    /// the cursor closes it. Weak, so that leaving a `for` loop over it
    /// drops it (which cancels its statement).
    stream: Option<Py<PyWeakrefReference>>,
    /// A server-side cursor's name (`conn.cursor(name=...)`).
    #[pyo3(get)]
    name: Option<String>,
    /// Rows a server-side cursor fetches per round trip.
    #[pyo3(get, set)]
    itersize: usize,
    /// The server-side cursor is declared and may have rows left.
    declared: bool,
    exhausted: bool,
}

/// psycopg's default `itersize`.
const ITERSIZE: usize = 2000;

impl Cursor {
    pub(super) fn new(connection: Py<Connection>, name: Option<String>) -> Self {
        Cursor {
            connection,
            rows: None,
            position: 0,
            columns: None,
            description: None,
            rowcount: -1,
            arraysize: 1,
            closed: false,
            stream: None,
            name,
            itersize: ITERSIZE,
            declared: false,
            exhausted: true,
        }
    }

    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed {
            return Err(InterfaceError::new_err("the cursor is closed"));
        }
        if self.connection.bind(py).get().was_closed() {
            return Err(InterfaceError::new_err("the cursor's connection is closed"));
        }
        Ok(())
    }

    fn take_outcome(&mut self, outcome: Outcome, list: Py<PyList>) {
        self.columns = (!outcome.columns.is_empty()).then_some(outcome.columns);
        self.description = None;
        self.rowcount = outcome.rows_affected.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        self.rows = Some(list);
        self.position = 0;
    }

    fn close_stream(&mut self, py: Python<'_>) {
        let Some(weak) = self.stream.take() else { return };
        if let Some(stream) = weak.bind(py).upgrade_as::<RowStream>().ok().flatten()
            && let Ok(mut stream) = stream.try_borrow_mut()
        {
            stream.close();
        }
    }

    /// The server-side cursor's name as an SQL identifier.
    fn quoted(&self) -> Option<String> {
        self.name.as_ref().map(|n| format!("\"{}\"", n.replace('"', "\"\"")))
    }

    /// DECLARE ... NO SCROLL CURSOR (inside the transaction, as psycopg),
    /// then the first page, which also gives the description.
    fn declare(&mut self, py: Python<'_>, sql: String, values: Vec<crate::pg::bind::Param>) -> PyResult<()> {
        let quoted = self.quoted().expect("a named cursor");
        self.close_server_side(py);
        let conn = self.connection.clone_ref(py);
        conn.bind(py).get().run_paged(py, format!("DECLARE {quoted} NO SCROLL CURSOR FOR {sql}"), values)?;
        self.declared = true;
        self.exhausted = false;
        let list = PyList::empty(py).unbind();
        self.rows = Some(list);
        self.refill(py, Some(self.itersize.max(1)))?;
        Ok(())
    }

    /// A server-side cursor fetches more when fewer than `want` rows (all
    /// when None) are buffered.
    fn refill(&mut self, py: Python<'_>, want: Option<usize>) -> PyResult<()> {
        let buffered = self.rows.as_ref().map_or(0, |r| r.bind(py).len().saturating_sub(self.position));
        if !self.declared || self.exhausted || want.is_some_and(|w| buffered >= w) {
            return Ok(());
        }
        let quoted = self.quoted().expect("a named cursor");
        let count = want.map(|w| self.itersize.max(w - buffered));
        let sql = match count {
            Some(n) => format!("FETCH FORWARD {n} FROM {quoted}"),
            None => format!("FETCH ALL FROM {quoted}"),
        };
        let conn = self.connection.clone_ref(py);
        let (outcome, page) = conn.bind(py).get().run_paged(py, sql, Vec::new())?;
        let got = page.bind(py).len();
        self.exhausted = count.is_none_or(|n| got < n);
        let rest = self.take(py, None);
        rest.call_method1("extend", (page.bind(py),))?;
        let fetched = i64::try_from(got).unwrap_or(i64::MAX);
        let before = if self.columns.is_some() { self.rowcount.max(0) } else { 0 };
        self.take_outcome(outcome, rest.unbind());
        self.rowcount = before + fetched;
        Ok(())
    }

    /// CLOSE the server-side cursor while its transaction is still open.
    fn close_server_side(&mut self, py: Python<'_>) {
        if !self.declared {
            return;
        }
        self.declared = false;
        let conn = self.connection.bind(py).get();
        if conn.in_transaction() {
            let quoted = self.quoted().expect("a named cursor");
            let _ = conn.run_paged(py, format!("CLOSE {quoted}"), Vec::new());
        }
    }

    fn reset(&mut self) {
        self.rows = None;
        self.position = 0;
        self.columns = None;
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
        if self.columns.is_none() {
            return Err(ProgrammingError::new_err("no results to fetch: the last statement returned no rows"));
        }
        Ok(())
    }
}

#[pymethods]
impl Cursor {
    /// `timeout` (seconds or timedelta) bounds this statement as
    /// `query_with_timeout` does; without it the statement has no limit.
    #[pyo3(signature = (operation, parameters=None, *, timeout=None))]
    fn execute<'py>(
        mut slf: PyRefMut<'py, Self>,
        operation: &str,
        parameters: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let py = slf.py();
        slf.check_open(py)?;
        let (sql, values) = prepare(operation, parameters)?;
        let conn = slf.connection.clone_ref(py);
        let limit = match timeout.filter(|t| !t.is_none()) {
            Some(t) => Some(conn.bind(py).get().limit(Some(t))?),
            None => None,
        };
        slf.reset();
        if slf.name.is_some() {
            slf.declare(py, sql, values)?;
            return Ok(slf);
        }
        let (outcome, list) = conn.bind(py).get().run(py, sql, values, limit)?;
        slf.take_outcome(outcome, list);
        Ok(slf)
    }

    /// Runs `operation` once per parameter set, pipelined, all or nothing:
    /// in autocommit the batch is one transaction; in a transaction a
    /// failing row aborts it. `timeout` bounds the whole batch.
    #[pyo3(signature = (operation, seq_of_parameters, *, timeout=None))]
    fn executemany<'py>(
        mut slf: PyRefMut<'py, Self>,
        operation: &str,
        seq_of_parameters: &Bound<'py, PyAny>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let py = slf.py();
        slf.check_open(py)?;
        let conn = slf.connection.clone_ref(py);
        let limit = match timeout.filter(|t| !t.is_none()) {
            Some(t) => Some(conn.bind(py).get().limit(Some(t))?),
            None => None,
        };
        let batch = prepare_many(operation, seq_of_parameters)?;
        slf.reset();
        let outcome = conn.bind(py).get().run_many(py, batch, limit)?;
        slf.rowcount = outcome.rows_affected.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        Ok(slf)
    }

    fn fetchone(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.check_open(py)?;
        self.no_result_set()?;
        let Some(rows) = &self.rows else { return Ok(None) };
        let rows = rows.bind(py);
        if self.position >= rows.len() {
            if self.declared && !self.exhausted {
                self.refill(py, Some(1))?;
                return self.fetchone(py);
            }
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
        self.refill(py, Some(n))?;
        Ok(self.take(py, Some(n)))
    }

    fn fetchall<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.check_open(py)?;
        self.no_result_set()?;
        self.refill(py, None)?;
        Ok(self.take(py, None))
    }

    /// The remaining rows as a pyarrow Table (a server-side cursor's unread
    /// rows are fetched through the Arrow path, without tuples).
    fn fetch_arrow_table<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_open(py)?;
        self.no_result_set()?;
        let pyarrow = py.import("pyarrow")?;
        let buffered = self.take(py, None);
        let names: Vec<&str> = self.columns.iter().flatten().map(|c| c.name.as_str()).collect();
        let rows = py.import("middleware.rows")?;
        let head = rows.call_method1("_arrow_from_tuples", (names, &buffered))?;
        if !self.declared || self.exhausted {
            return Ok(head);
        }
        let quoted = self.quoted().expect("a named cursor");
        let conn = self.connection.bind(py).get();
        let feed = RowFeed::start(conn.live()?, format!("FETCH ALL FROM {quoted}"), Vec::new(), None, false)?;
        let tail = pyarrow.call_method1("table", (ArrowStream::open(py, feed)?,))?;
        self.exhausted = true;
        if buffered.is_empty() {
            return Ok(tail);
        }
        // The buffered rows' types were inferred from Python values: unify them with the wire's.
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("promote_options", "permissive")?;
        pyarrow.call_method("concat_tables", ((head, tail),), Some(&kwargs))
    }

    #[getter]
    fn description(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(columns) = &self.columns else { return Ok(None) };
        if self.description.is_none() {
            self.description = Some(super::connection::description(py, columns)?);
        }
        Ok(self.description.as_ref().map(|d| d.clone_ref(py)))
    }

    fn close(&mut self, py: Python<'_>) {
        self.close_stream(py);
        self.close_server_side(py);
        self.closed = true;
        self.rows = None;
    }

    /// Runs `sql` and yields its rows as they arrive (bounded memory).
    #[pyo3(signature = (sql, params=None))]
    fn stream<'py>(
        &mut self,
        py: Python<'py>,
        sql: &str,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, RowStream>> {
        self.check_open(py)?;
        self.close_stream(py);
        let (sql, values) = prepare(sql, params)?;
        let conn = self.connection.bind(py).get();
        let feed = RowFeed::start(conn.live()?, sql, values, conn.stream_limit(), false)?;
        let stream = Bound::new(py, RowStream::new(feed))?;
        self.stream = Some(PyWeakrefReference::new(&stream)?.unbind());
        Ok(stream)
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
        py: Python<'_>,
        _kind: Option<&Bound<'_, PyAny>>,
        _value: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        self.close(py);
        false
    }
}
