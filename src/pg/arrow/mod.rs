//! Results as Arrow record batches, built from the wire bytes through the
//! one decoder ([`super::wire`]), batch by batch as a statement's rows
//! arrive: a result never exists as Python objects or as a second full
//! copy on its way to Arrow. The Python binding hands an [`ArrowReader`] to
//! consumers through Arrow's C stream interface.

mod column;

use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, Field, Schema, SchemaRef};
use tokio_postgres::Row;
use tokio_postgres::types::Type;

use self::column::Col;
use super::query::Column;
use super::stream::RowFeed;
use super::wire;
use crate::{Error, Result};

/// Rows per record batch: large enough that per-batch costs vanish, small
/// enough that memory stays bounded by one batch.
pub const ROWS_PER_BATCH: usize = 65_536;

/// Builds record batches of one result's rows.
pub struct Batcher {
    schema: SchemaRef,
    names: Vec<String>,
    cols: Vec<Col>,
    rows: usize,
}

impl Batcher {
    pub fn new(columns: &[Column]) -> Batcher {
        let cols: Vec<Col> = columns
            .iter()
            .map(|c| {
                let ty = c.ty.clone().or_else(|| Type::from_oid(c.type_oid)).unwrap_or(Type::TEXT);
                Col::new(&ty, c.type_modifier)
            })
            .collect();
        let fields: Vec<Field> =
            columns.iter().zip(&cols).map(|(c, col)| Field::new(c.name.clone(), col.data_type(), true)).collect();
        let names = columns.iter().map(|c| c.name.clone()).collect();
        Batcher { schema: Arc::new(Schema::new(fields)), names, cols, rows: 0 }
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends rows; a value that cannot be decoded names its column.
    pub fn push(&mut self, rows: &[Row]) -> Result<()> {
        for row in rows {
            for (i, col) in self.cols.iter_mut().enumerate() {
                col.push(wire::raw(row, i)?).map_err(|p| wire::column_error(&self.names[i], &p))?;
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// The rows so far as one record batch; the batcher starts over.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let arrays = self.cols.iter_mut().map(Col::finish).collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| Error::Data(format!("the Arrow batch could not be built: {e}")))
    }
}

/// A running statement's rows as record batches.
pub struct ArrowReader {
    feed: Option<RowFeed>,
    batcher: Batcher,
    /// The first batch, built when the reader was opened.
    ready: Option<RecordBatch>,
}

impl ArrowReader {
    /// Waits for the statement's first rows (or its end) and builds the first
    /// batch, so that the schema is known and an error before or in the
    /// first batch is raised by the call that started it.
    pub async fn open(mut feed: RowFeed) -> Result<ArrowReader> {
        let Some(first) = feed.next_batch().await else {
            let outcome = feed.finish().await?;
            let batcher = Batcher::new(&outcome.columns);
            let ready = RecordBatch::new_empty(batcher.schema());
            return Ok(ArrowReader { feed: None, batcher, ready: Some(ready) });
        };
        let mut batcher = Batcher::new(&first.first().map(Column::of_row).unwrap_or_default());
        batcher.push(&first)?;
        let mut reader = ArrowReader { feed: Some(feed), batcher, ready: None };
        reader.fill().await?;
        reader.ready = Some(reader.batcher.finish()?);
        Ok(reader)
    }

    /// Pulls rows until a batch is full or the statement ended.
    async fn fill(&mut self) -> Result<()> {
        while self.batcher.rows() < ROWS_PER_BATCH {
            let Some(feed) = self.feed.as_mut() else { break };
            match feed.next_batch().await {
                Some(rows) => self.batcher.push(&rows)?,
                None => {
                    let feed = self.feed.take().expect("checked above");
                    feed.finish().await?;
                }
            }
        }
        Ok(())
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if let Some(ready) = self.ready.take() {
            return Ok(Some(ready));
        }
        let Some(driver) = self.feed.as_ref().map(RowFeed::driver) else { return Ok(None) };
        // Called by the consumer's own thread (pyarrow, polars), never a
        // runtime thread: blocking on the runtime is safe here.
        driver.block_on(self.fill())?;
        if self.batcher.rows() == 0 {
            return Ok(None);
        }
        self.batcher.finish().map(Some)
    }
}

impl Iterator for ArrowReader {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_batch() {
            Ok(batch) => batch.map(Ok),
            Err(e) => {
                self.feed = None; // stops the statement
                Some(Err(ArrowError::ExternalError(Box::new(e))))
            }
        }
    }
}

impl RecordBatchReader for ArrowReader {
    fn schema(&self) -> SchemaRef {
        self.batcher.schema()
    }
}
