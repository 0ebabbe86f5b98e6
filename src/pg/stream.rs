//! A statement whose rows are read while it runs (`Cursor.stream()`): the
//! statement is a task on the one runtime, its sink a bounded channel. A
//! reader that is slow holds the rows back on the socket (tokio-postgres
//! reads the next message only when asked), so memory stays at a few
//! batches whatever the result's size. A reader that stops early asks the
//! session for [`Signal::Enough`](crate::runtime::Signal): the same
//! cancel-and-drain path as a timeout, reported as a normal end.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_postgres::Row;

use super::bind::Param;
use super::query::{Fed, Outcome};
use super::session::Session;
use crate::runtime::{Driver, Interrupt, Trigger};
use crate::{Error, Result};

/// Batches in flight between the statement and its reader, besides the one
/// each side holds.
const QUEUED: usize = 1;

/// The reading end of a running statement.
pub struct RowFeed {
    rx: mpsc::Receiver<Vec<Row>>,
    task: Option<JoinHandle<Result<Outcome>>>,
    trigger: Trigger,
    session: Arc<Session>,
}

impl RowFeed {
    /// Starts `sql` on `session`; the rows come through [`Self::next_batch`].
    /// `capped`: the reader keeps every row (query_arrow), so the database's
    /// result size limit applies; a reader that lets rows go is not capped.
    pub fn start(
        session: Arc<Session>,
        sql: String,
        params: Vec<Param>,
        limit: Option<Duration>,
        capped: bool,
    ) -> Result<RowFeed> {
        session.begin_stream()?;
        let (tx, rx) = mpsc::channel::<Vec<Row>>(QUEUED);
        let (trigger, interrupt) = Interrupt::new();
        let running = session.clone();
        let task = session.driver().spawn(async move {
            let mut sink = move |batch: Vec<Row>| -> Fed {
                let tx = tx.clone();
                // A reader that left does not fail the statement: its rows are
                // dropped while the cancel it asked for is on its way.
                Box::pin(async move {
                    let _ = tx.send(batch).await;
                    Ok(())
                })
            };
            running.execute_streamed(&sql, &params, limit, interrupt, &mut sink, capped).await
        });
        Ok(RowFeed { rx, task: Some(task), trigger, session })
    }

    /// Who drives the statement's IO: every wait on this feed goes through it.
    pub fn driver(&self) -> Driver {
        self.session.driver().clone()
    }

    /// The next batch, or None once the statement ended (see [`Self::finish`]).
    pub async fn next_batch(&mut self) -> Option<Vec<Row>> {
        self.rx.recv().await
    }

    /// How the statement ended, once [`Self::next_batch`] returned None.
    pub async fn finish(mut self) -> Result<Outcome> {
        let Some(task) = self.task.take() else { return Ok(Outcome::default()) };
        match task.await {
            Ok(result) => result,
            Err(e) => Err(Error::Operational(format!("the streaming statement stopped unexpectedly: {e}"))),
        }
    }
}

impl Drop for RowFeed {
    /// A reader that leaves early stops the statement on the server; the
    /// connection's next statement waits for that to finish.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            self.trigger.enough();
            // On a connection's own runtime nobody else would drive the
            // cancel and drain until its next statement.
            self.session.driver().detach(task);
        }
        self.session.end_stream();
    }
}
