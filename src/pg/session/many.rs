//! `executemany`: one statement per parameter set, pipelined (each request
//! goes out before the previous one's answer is back, as psycopg 3 does in
//! pipeline mode), and all or nothing as psycopg's is:
//!
//! - in autocommit, the batch runs inside its own BEGIN ... COMMIT, so a
//!   failing row leaves none of the batch behind (psycopg's pipeline shares
//!   one implicit transaction up to its Sync: the same outcome);
//! - in a transaction, a failing row aborts it, as any error does (one this
//!   call opened is rolled back for you).
//!
//! After the first error no further rows are sent. Time limits, interrupts
//! and the backstop are the session's, over the whole batch.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::Session;
use super::bounded::InFlight;
use crate::pg::bind::Param;
use crate::pg::query::{self, Outcome};
use crate::pg::statements;
use crate::runtime::Interrupt;
use crate::{Error, Result};

/// Requests sent ahead of the oldest unanswered one: enough to keep the
/// link busy, few enough that neither side buffers a whole batch.
const WINDOW: usize = 512;

/// One request of the pipeline: rows affected, or the error as we show it.
type Request<'a> = Pin<Box<dyn Future<Output = Result<u64>> + Send + 'a>>;

impl Session {
    /// Runs each `(sql, params)` in order, pipelined; the outcome counts the
    /// rows affected by all of them. See the module's documentation.
    pub async fn execute_many(
        &self,
        batch: &[(Arc<str>, Vec<Param>)],
        limit: Option<Duration>,
        mut interrupt: Interrupt,
    ) -> Result<Outcome> {
        self.check_not_streaming()?;
        let started = Instant::now();
        let result = self.execute_many_inner(batch, limit, &mut interrupt).await;
        if let Some((sql, _)) = batch.first() {
            self.record(sql, started, &result);
        }
        result
    }

    async fn execute_many_inner(
        &self,
        batch: &[(Arc<str>, Vec<Param>)],
        limit: Option<Duration>,
        interrupt: &mut Interrupt,
    ) -> Result<Outcome> {
        let mut state = self.state.lock().await;
        self.check_open()?;
        if batch.is_empty() {
            return Ok(Outcome { rows_affected: Some(0), ..Outcome::default() });
        }
        let flight = InFlight(self, true);
        self.settle(&mut state).await?;
        // One row is one statement with its own Sync: atomic without a BEGIN
        // (and a statement that refuses transaction blocks still runs).
        let own = self.autocommit() && batch.len() > 1;
        let began = !own && !self.in_transaction();
        if began {
            self.begin(&mut state).await?;
        }
        let work = pipelined(self, batch, own);
        let result = self.run(&mut state, work, limit, interrupt, (None, began)).await;
        let undone = result.as_ref().map_or(true, |o| o.stopped);
        if began && undone && !self.is_closed() {
            self.finish_transaction(&mut state, "ROLLBACK").await?;
        }
        flight.land();
        result
    }
}

/// Prepares each distinct statement (through the cache) before anything is
/// sent, then pipelines the executions; `own`: wrapped in BEGIN ... COMMIT
/// (ROLLBACK after an error). Every request sent is awaited, so the session
/// is idle and its transaction state known when this returns.
async fn pipelined(session: &Session, batch: &[(Arc<str>, Vec<Param>)], own: bool) -> Result<Outcome> {
    let mut prepared = Vec::with_capacity(batch.len());
    let mut last: Option<(&Arc<str>, Vec<u32>, tokio_postgres::Statement)> = None;
    for (sql, params) in batch {
        let oids: Vec<u32> = params.iter().map(|p| p.declared_type().oid()).collect();
        let statement = match &last {
            Some((s, o, statement)) if Arc::ptr_eq(s, sql) && *o == oids => statement.clone(),
            _ => {
                let (statement, _) = query::prepared(session, sql, params).await?;
                last = Some((sql, oids, statement.clone()));
                statement
            }
        };
        prepared.push(statement);
    }
    let client = session.client();
    let mut line = Pipeline::default();
    if own {
        line.send(Box::pin(
            async move { client.batch_execute("BEGIN").await.map(|()| 0).map_err(|e| session.fail(&e)) },
        ))
        .await;
    }
    for ((sql, params), statement) in batch.iter().zip(&prepared) {
        if line.first_error.is_some() {
            break; // the transaction is aborted: the rest would only be refused
        }
        line.send(Box::pin(async move {
            client.execute_raw(statement, params.iter()).await.map_err(|e| {
                if e.code() == Some(&tokio_postgres::error::SqlState::FEATURE_NOT_SUPPORTED) {
                    session.statements().clear(); // a stale cached plan: prepared afresh next time
                }
                session.fail(&e)
            })
        }))
        .await;
        if statements::changes_schema(sql) {
            session.statements().clear();
        }
    }
    if own {
        let end = if line.first_error.is_some() { "ROLLBACK" } else { "COMMIT" };
        line.send(Box::pin(async move { client.batch_execute(end).await.map(|()| 0).map_err(|e| session.fail(&e)) }))
            .await;
    }
    let rows = line.finish().await?;
    Ok(Outcome { rows_affected: Some(rows), ..Outcome::default() })
}

/// Requests in flight, oldest first, each polled once as it is added, so
/// they go out in order. Answers are taken in that order too, even those
/// that were ready at once (an aborted transaction refuses within
/// microseconds): the first error taken is the first the server gave.
#[derive(Default)]
struct Pipeline<'a> {
    waiting: VecDeque<Slot<'a>>,
    rows: u64,
    first_error: Option<Error>,
}

enum Slot<'a> {
    Answered(Result<u64>),
    Sent(Request<'a>),
}

impl<'a> Pipeline<'a> {
    async fn send(&mut self, mut request: Request<'a>) {
        // The first poll writes the request to the connection.
        let first = std::future::poll_fn(|cx| Poll::Ready(request.as_mut().poll(cx))).await;
        self.waiting.push_back(match first {
            Poll::Ready(done) => Slot::Answered(done),
            Poll::Pending => Slot::Sent(request),
        });
        if self.waiting.len() >= WINDOW {
            // Down to half, not by one: the caller then sends in bursts (the
            // link writes them together) and waits once per burst, not per row.
            while self.waiting.len() > WINDOW / 2 {
                self.take_oldest().await;
            }
        }
    }

    async fn take_oldest(&mut self) {
        let done = match self.waiting.pop_front() {
            Some(Slot::Answered(done)) => done,
            Some(Slot::Sent(request)) => request.await,
            None => return,
        };
        match done {
            Ok(n) => self.rows += n,
            Err(e) => {
                self.first_error.get_or_insert(e);
            }
        }
    }

    /// Waits for every answer; the first error, else the rows affected.
    async fn finish(mut self) -> Result<u64> {
        while !self.waiting.is_empty() {
            self.take_oldest().await;
        }
        match self.first_error {
            Some(e) => Err(e),
            None => Ok(self.rows),
        }
    }
}
