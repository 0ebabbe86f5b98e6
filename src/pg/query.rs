//! Running one statement: prepare (cached), execute, decode rows to owned
//! values; bounded by an optional time limit and stoppable by an interrupt.
//!
//! On expiry or interrupt: send a CancelRequest (bounded), then wait for the
//! server's answer (bounded). If either bound passes, the connection is
//! marked closed instead of hanging.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, pin_mut};
use tokio_postgres::Row;
use tokio_postgres::types::Type;

use super::bind::Param;
use super::connect::{Session, query_error};
use super::value::{self, Value};
use crate::runtime::Interrupt;
use crate::{Error, Result, duration};

/// How long the CancelRequest itself may take.
pub const CANCEL_BOUND: Duration = Duration::from_secs(2);
/// How long to wait for the cancelled query to come back.
pub const DRAIN_BOUND: Duration = Duration::from_secs(3);
/// The server-side statement_timeout sits this far above the client's limit:
/// it only matters when the client died and cannot cancel. It must exceed
/// both bounds above, or it could end a query before our (late) cancel
/// lands, leaving that cancel to hit the next statement.
pub const BACKSTOP_MARGIN: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_oid: u32,
    pub type_name: String,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// Rows affected (INSERT/UPDATE/DELETE) or returned; None when unknown.
    pub rows_affected: Option<u64>,
}

/// Rows are handed over in batches of this many, so a large result never
/// sits in memory twice (decoded values and their Python objects).
pub const BATCH: usize = 4096;

/// Receives a result's rows batch by batch, as the server sent them.
pub type Sink<'a> = dyn FnMut(Vec<Row>) -> Result<()> + 'a;

/// Runs `sql` and collects every row.
pub async fn run(
    session: &Session,
    sql: &str,
    params: &[Param],
    limit: Option<Duration>,
    begin: bool,
    interrupt: Interrupt,
) -> Result<Outcome> {
    let mut rows = Vec::new();
    let mut collect = |batch: Vec<Row>| {
        for row in &batch {
            rows.push(value::row_values(row)?);
        }
        Ok(())
    };
    let mut outcome = run_into(session, sql, params, limit, begin, interrupt, &mut collect).await?;
    outcome.rows = rows;
    Ok(outcome)
}

/// Runs `sql` ($n placeholders) with `params`, after a BEGIN when `begin`,
/// handing rows to `sink` as they arrive; the returned outcome has the
/// columns and count but no rows. Everything sent to the server, the BEGIN
/// and the statement_timeout backstop included, is inside the time limit.
pub async fn run_into(
    session: &Session,
    sql: &str,
    params: &[Param],
    limit: Option<Duration>,
    begin: bool,
    mut interrupt: Interrupt,
    sink: &mut Sink<'_>,
) -> Result<Outcome> {
    if session.is_closed() {
        return Err(Error::Interface(format!(
            "the connection to {} is closed; open a new one with middleware.connect()",
            session.label
        )));
    }
    let started = Instant::now();
    let work = async {
        if begin {
            simple(session, "BEGIN").await?;
        }
        if let Some(limit) = limit {
            set_backstop(session, limit).await?;
        }
        execute(session, sql, params, sink).await
    };
    pin_mut!(work);
    let deadline = async {
        match limit {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        result = &mut work => result,
        () = deadline => {
            let limit = limit.expect("the deadline only fires with a limit");
            let drained = cancel_and_drain(session, work).await;
            Err(timeout_error(session, limit, started.elapsed(), drained))
        }
        () = interrupt.requested() => {
            let _ = cancel_and_drain(session, work).await;
            Err(Error::Interrupted)
        }
    }
}

async fn execute(session: &Session, sql: &str, params: &[Param], sink: &mut Sink<'_>) -> Result<Outcome> {
    let types: Vec<Type> = params.iter().map(Param::declared_type).collect();
    let oids: Vec<u32> = types.iter().map(Type::oid).collect();
    let cached = session.statements.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(sql, &oids);
    let statement = match cached {
        Some(s) => s,
        None => {
            let s = session.client.prepare_typed(sql, &types).await.map_err(|e| query_error(&e, session))?;
            session.statements.lock().unwrap_or_else(std::sync::PoisonError::into_inner).put(sql, &oids, s.clone());
            s
        }
    };
    if statement.params().len() != params.len() {
        return Err(Error::Programming(format!(
            "the statement has {} parameter(s) but {} were given",
            statement.params().len(),
            params.len()
        )));
    }
    let columns = statement
        .columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_string(),
            type_oid: c.type_().oid(),
            type_name: c.type_().name().to_string(),
        })
        .collect();
    let stream = session.client.query_raw(&statement, params.iter()).await.map_err(|e| query_error(&e, session))?;
    pin_mut!(stream);
    let mut rows = Vec::with_capacity(BATCH);
    while let Some(row) = stream.next().await {
        rows.push(row.map_err(|e| query_error(&e, session))?);
        if rows.len() == BATCH {
            sink(std::mem::replace(&mut rows, Vec::with_capacity(BATCH)))?;
        }
    }
    if !rows.is_empty() {
        sink(rows)?;
    }
    let rows_affected = stream.rows_affected();
    Ok(Outcome { columns, rows: Vec::new(), rows_affected })
}

/// Sends the CancelRequest and waits for the query to come back, each
/// bounded. Returns whether the connection is still usable.
async fn cancel_and_drain<F: Future<Output = Result<Outcome>>>(session: &Session, work: std::pin::Pin<&mut F>) -> bool {
    session.cancel_sent();
    let cancelled = matches!(tokio::time::timeout(CANCEL_BOUND, session.cancel()).await, Ok(Ok(())));
    if !cancelled {
        session.mark_closed();
        return false;
    }
    match tokio::time::timeout(DRAIN_BOUND, work).await {
        Ok(_) => !session.is_closed(),
        Err(_) => {
            session.mark_closed();
            false
        }
    }
}

fn timeout_error(session: &Session, limit: Duration, elapsed: Duration, usable: bool) -> Error {
    let after = if usable {
        "The query was cancelled on the server; the connection is still usable (call rollback() first if a \
         transaction was open)."
            .to_string()
    } else {
        format!(
            "The server did not confirm the cancel in time, so the connection to {} was closed; the server's \
             statement_timeout stops the query.",
            session.label
        )
    };
    Error::QueryTimeout {
        message: format!(
            "query exceeded its time limit of {} (ran {:.2}s). {after} Make the query cheaper or pass a larger timeout.",
            duration::display(limit),
            elapsed.as_secs_f64()
        ),
        limit,
        elapsed,
    }
}

/// Keeps the server's statement_timeout just above `limit`, so a query whose
/// client died is still stopped. Only sent when the value changes.
async fn set_backstop(session: &Session, limit: Duration) -> Result<()> {
    let want = u64::try_from((limit + BACKSTOP_MARGIN).as_millis()).unwrap_or(u64::MAX);
    let current = *session.statement_timeout_ms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if current == Some(want) {
        return Ok(());
    }
    session
        .client
        .batch_execute(&format!("SET statement_timeout = {want}"))
        .await
        .map_err(|e| query_error(&e, session))?;
    *session.statement_timeout_ms.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(want);
    Ok(())
}

/// Runs a statement with no parameters and no result (BEGIN, COMMIT, ...).
pub async fn simple(session: &Session, sql: &str) -> Result<()> {
    if session.is_closed() {
        return Err(Error::Interface(format!("the connection to {} is closed", session.label)));
    }
    session.client.batch_execute(sql).await.map_err(|e| query_error(&e, session))
}
