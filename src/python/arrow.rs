//! `ArrowStream`, what `Connection.query_arrow()` returns: the core's
//! [`ArrowReader`] behind Arrow's PyCapsule stream interface
//! (`__arrow_c_stream__`), so pyarrow, polars and DuckDB read the batches
//! straight from Rust memory.

use std::sync::Mutex;

use arrow_array::RecordBatchReader;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_schema::SchemaRef;
use arrow_schema::ffi::FFI_ArrowSchema;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use super::blocking::wait_on;
use super::exceptions::InterfaceError;
use crate::Error;
use crate::pg::arrow::ArrowReader;
use crate::pg::stream::RowFeed;
use crate::sync::Locked;

/// A result as a stream of Arrow record batches, to be read once.
#[pyclass(frozen, name = "ArrowStream", module = "middleware")]
pub struct ArrowStream {
    reader: Mutex<Option<ArrowReader>>,
    /// Kept apart from the reader: consumers such as DuckDB ask for the
    /// schema before (and separately from) the stream.
    schema: SchemaRef,
}

impl ArrowStream {
    /// Starts the statement and waits (GIL released, Ctrl-C honoured) for
    /// its first batch: errors before it are raised here.
    pub fn open(py: Python<'_>, feed: RowFeed) -> PyResult<ArrowStream> {
        let driver = feed.driver();
        let reader = wait_on(py, &driver, move |mut interrupt| async move {
            tokio::select! {
                reader = ArrowReader::open(feed) => reader,
                _ = interrupt.requested() => Err(Error::Interrupted),
            }
        })?;
        Ok(Self::ready(reader))
    }

    /// Over a reader whose first batch is built (middleware.aio awaited it).
    pub fn ready(reader: ArrowReader) -> ArrowStream {
        ArrowStream { schema: reader.schema(), reader: Mutex::new(Some(reader)) }
    }
}

#[pymethods]
impl ArrowStream {
    /// The Arrow PyCapsule stream interface; `requested_schema` is ignored
    /// (the consumer casts if it wants other types).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = self.reader.locked().take().ok_or_else(|| {
            InterfaceError::new_err(
                "this Arrow result was already read (a stream is read once): run query_arrow() again",
            )
        })?;
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The Arrow PyCapsule schema interface: the result's schema, without
    /// reading (DuckDB asks for it before it scans the stream).
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.schema.as_ref())
            .map_err(|e| InterfaceError::new_err(format!("the result's Arrow schema cannot be exported: {e}")))?;
        PyCapsule::new_with_value(py, schema, c"arrow_schema")
    }

    /// Stops reading: the statement is cancelled on the server if it still runs.
    fn close(&self) {
        self.reader.locked().take();
    }

    fn __repr__(&self) -> String {
        let state = if self.reader.locked().is_some() { "unread" } else { "read" };
        format!("<middleware.ArrowStream ({state})>")
    }
}
