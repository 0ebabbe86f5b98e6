//! `AsyncCursor.stream()` and `AsyncConnection.query_arrow()` under
//! `middleware.aio`: the same [`RowFeed`] as the sync API, each batch awaited
//! as one bridge task. A batch becomes tuples on the event loop's thread (in
//! [`super::aio::Completions::drain`]); cancelling the awaiting task drops
//! the feed, which cancels the statement on the server (as leaving a sync
//! stream early does).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyList;
use tokio::sync::Mutex;

use super::arrow::ArrowStream;
use super::connection::description;
use super::convert;
use crate::Error;
use crate::pg::arrow::ArrowReader;
use crate::pg::query::Column;
use crate::pg::stream::RowFeed;
use crate::runtime::Interrupt;

/// Builds a task's Python result on the loop's thread.
pub type Build = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// A running statement's rows for `middleware.aio`, read batch by batch.
#[pyclass(frozen, name = "AsyncFeed", module = "middleware._core")]
pub struct AsyncFeed {
    feed: Arc<Mutex<Option<RowFeed>>>,
}

impl AsyncFeed {
    pub fn new(feed: RowFeed) -> Self {
        AsyncFeed { feed: Arc::new(Mutex::new(Some(feed))) }
    }

    /// The next batch: `(description, tuples, -1)`, or at the end
    /// `(description, None, rowcount)`. An interrupt drops the feed (the
    /// statement is cancelled on the server).
    pub fn next(&self, mut interrupt: Interrupt) -> impl Future<Output = Build> + Send + 'static {
        let feed = self.feed.clone();
        async move {
            let mut slot = feed.lock().await;
            let Some(running) = slot.as_mut() else {
                return Box::new(|py: Python<'_>| Ok((py.None(), py.None(), -1).into_pyobject(py)?.into_any().unbind()))
                    as Build;
            };
            let next = tokio::select! {
                batch = running.next_batch() => Some(batch),
                _ = interrupt.requested() => None,
            };
            match next {
                None => {
                    *slot = None;
                    Box::new(|_: Python<'_>| Err(Error::Interrupted.into()))
                }
                Some(Some(batch)) => Box::new(move |py: Python<'_>| {
                    let Some(first) = batch.first() else {
                        return Ok((py.None(), PyList::empty(py), -1).into_pyobject(py)?.into_any().unbind());
                    };
                    let kinds = convert::kinds(first);
                    let desc = description(py, &Column::of_row(first))?;
                    let tuples = PyList::empty(py);
                    for row in &batch {
                        tuples.append(convert::row_of(py, row, &kinds)?)?;
                    }
                    Ok((desc, tuples, -1).into_pyobject(py)?.into_any().unbind())
                }),
                Some(None) => {
                    let ended = slot.take().expect("checked above").finish().await;
                    Box::new(move |py: Python<'_>| {
                        let outcome = ended?;
                        let count = outcome.rows_affected.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
                        Ok((description(py, &outcome.columns)?, py.None(), count)
                            .into_pyobject(py)?
                            .into_any()
                            .unbind())
                    })
                }
            }
        }
    }
}

#[pymethods]
impl AsyncFeed {
    /// Stops reading: the statement is cancelled on the server if it still
    /// runs (in the background; the connection's next statement waits).
    fn close(&self) {
        if let Ok(mut slot) = self.feed.try_lock() {
            slot.take();
        }
    }
}

/// `query_arrow`'s task: the first batch is built before the result is
/// handed over, so errors up to it are raised by the await.
pub async fn open_arrow(feed: RowFeed, mut interrupt: Interrupt) -> Build {
    let reader = tokio::select! {
        reader = ArrowReader::open(feed) => reader,
        _ = interrupt.requested() => Err(Error::Interrupted),
    };
    Box::new(move |py: Python<'_>| Ok(Py::new(py, ArrowStream::ready(reader?))?.into_any()))
}
