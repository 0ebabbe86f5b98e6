//! `RowStream`, what `Cursor.stream()` returns: an iterator of tuples over
//! the core's [`RowFeed`]. Batches are awaited with the GIL released (Ctrl-C
//! stops the statement); each row becomes a tuple only when asked for.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tokio_postgres::Row;

use super::blocking::wait_on;
use super::connection::description;
use super::convert;
use crate::Error;
use crate::pg::query::Column;
use crate::pg::stream::RowFeed;
use crate::pg::wire::Kind;

/// Rows of one statement as they arrive, with bounded memory. Leaving the
/// loop early (or `close()`) cancels the statement on the server.
#[pyclass(weakref, name = "RowStream", module = "middleware")]
pub struct RowStream {
    feed: Option<RowFeed>,
    batch: std::vec::IntoIter<Row>,
    kinds: Vec<Kind>,
    description: Option<Py<PyAny>>,
    #[pyo3(get)]
    rowcount: i64,
}

impl RowStream {
    pub fn new(feed: RowFeed) -> Self {
        RowStream {
            feed: Some(feed),
            batch: Vec::new().into_iter(),
            kinds: Vec::new(),
            description: None,
            rowcount: -1,
        }
    }

    fn describe(&mut self, py: Python<'_>, columns: Vec<Column>) -> PyResult<()> {
        if self.description.is_none() && !columns.is_empty() {
            self.description = Some(description(py, &columns)?);
        }
        Ok(())
    }

    /// The next batch's rows, or the statement's end (Ok(false)).
    fn pull(&mut self, py: Python<'_>) -> PyResult<bool> {
        let Some(feed) = self.feed.as_mut() else { return Ok(false) };
        let driver = feed.driver();
        let next = wait_on(py, &driver, |mut interrupt| async move {
            tokio::select! {
                batch = feed.next_batch() => Ok(batch),
                _ = interrupt.requested() => Err(Error::Interrupted),
            }
        });
        let next = match next {
            Ok(next) => next,
            Err(e) => {
                self.close();
                return Err(e);
            }
        };
        if let Some(batch) = next {
            if let Some(first) = batch.first() {
                self.kinds = convert::kinds(first);
                self.describe(py, Column::of_row(first))?;
            }
            self.batch = batch.into_iter();
            return Ok(true);
        }
        let feed = self.feed.take().expect("checked above");
        let outcome = wait_on(py, &driver, move |_| feed.finish())?;
        self.rowcount = outcome.rows_affected.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        self.describe(py, outcome.columns)?;
        Ok(false)
    }

    pub fn next_row<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        loop {
            if let Some(row) = self.batch.next() {
                return convert::row_of(py, &row, &self.kinds).map(Some);
            }
            if !self.pull(py)? {
                return Ok(None);
            }
        }
    }

    /// Stops reading: the statement is cancelled on the server (in the
    /// background; the connection's next statement waits for it).
    pub fn close(&mut self) {
        self.feed = None;
        self.batch = Vec::new().into_iter();
    }
}

#[pymethods]
impl RowStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.next_row(py)
    }

    #[getter]
    fn description(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.description.as_ref().map(|d| d.clone_ref(py))
    }

    #[pyo3(name = "close")]
    fn py_close(&mut self) {
        self.close();
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
