//! Running one statement on a session: prepare (cached), execute, hand the
//! rows over batch by batch as they arrive; and the messages of a timeout.
//! Time limits, cancels and transactions are the session's (session.rs).

use std::time::{Duration, Instant};

use futures_util::{StreamExt, pin_mut};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use super::bind::{Param, ParamError};
use super::session::Session;
use super::session::cap::Tally;
use super::statements;
use super::value::{self, Value};
use crate::runtime::Interrupt;
use crate::{Error, Result, duration};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_oid: u32,
    /// The type itself (None when only the OID is known).
    pub ty: Option<Type>,
    /// The declared modifier (numeric's precision and scale), -1 if none.
    pub type_modifier: i32,
}

impl Column {
    pub fn of(c: &tokio_postgres::Column) -> Column {
        Column {
            name: c.name().to_string(),
            type_oid: c.type_().oid(),
            ty: Some(c.type_().clone()),
            type_modifier: c.type_modifier(),
        }
    }

    /// The columns of a row.
    pub fn of_row(row: &Row) -> Vec<Column> {
        row.columns().iter().map(Column::of).collect()
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// Rows affected (INSERT/UPDATE/DELETE) or returned; None when unknown.
    pub rows_affected: Option<u64>,
    /// The reader had enough and the statement was stopped before its end.
    pub stopped: bool,
}

/// Rows are handed over in batches of this many as they arrive, so the
/// receiver can turn them into its own form while the rest is on its way.
pub const BATCH: usize = 4096;

/// Receives a result's rows batch by batch, as the server sent them. The
/// statement reads no further rows until the returned future resolves: a
/// sink that waits (a bounded channel to a slow reader) holds the result
/// back on the socket, so memory stays bounded by a few batches.
pub type Sink<'a> = dyn FnMut(Vec<Row>) -> Fed + Send + 'a;

/// A sink's answer to one batch.
pub type Fed = futures_util::future::BoxFuture<'static, Result<()>>;

/// The answer of a sink that took the batch at once.
pub fn taken(result: Result<()>) -> Fed {
    Box::pin(std::future::ready(result))
}

/// Runs `sql` on `session` and collects every row as owned values (the CLI).
pub async fn run(
    session: &Session,
    sql: &str,
    params: &[Param],
    limit: Option<Duration>,
    interrupt: Interrupt,
) -> Result<Outcome> {
    let mut rows = Vec::new();
    let mut collect = |batch: Vec<Row>| {
        taken(batch.iter().try_for_each(|row| {
            rows.push(value::row_values(row)?);
            Ok(())
        }))
    };
    let mut outcome = session.execute(sql, params, limit, interrupt, &mut collect).await?;
    outcome.rows = rows;
    Ok(outcome)
}

/// Prepares (through the session's cache) and runs one statement, rows to
/// `sink`; the outcome has the columns and count but no rows. Once the
/// result passes its size limit (`tally`), rows are read and dropped until
/// the statement ends (the session cancels it).
pub(super) async fn statement(
    session: &Session,
    sql: &str,
    params: &[Param],
    sink: &mut Sink<'_>,
    tally: Option<&Tally<'_>>,
) -> Result<Outcome> {
    let (statement, failed) = prepared(session, sql, params).await?;
    let columns = statement.columns().iter().map(Column::of).collect();
    let stream = session.client().query_raw(&statement, params.iter()).await.map_err(|e| failed(&e))?;
    pin_mut!(stream);
    // Grown as rows come: most results are small, and a full batch of
    // capacity is ~300 KB to allocate (and fault in) per statement.
    let mut rows = Vec::new();
    while let Some(row) = stream.next().await {
        let row = row.map_err(|e| failed(&e))?;
        if let Some(tally) = tally
            && !tally.admit(&row)
        {
            rows = Vec::new();
            continue;
        }
        rows.push(row);
        if rows.len() == BATCH {
            sink(std::mem::replace(&mut rows, Vec::with_capacity(BATCH))).await?;
        }
    }
    if !rows.is_empty() {
        sink(rows).await?;
    }
    let rows_affected = stream.rows_affected();
    if statements::changes_schema(sql) {
        // DROP/ALTER/CREATE/SET can change what cached plans return.
        session.statements().clear();
    }
    Ok(Outcome { columns, rows: Vec::new(), rows_affected, stopped: false })
}

/// The prepared statement for `sql` with these parameters' types (through
/// the session's cache), checked against their count; and how to map an
/// error of running it (a cached statement the server refuses as stale is
/// forgotten, so it is prepared afresh next time).
pub(super) async fn prepared<'s>(
    session: &'s Session,
    sql: &'s str,
    params: &[Param],
) -> Result<(tokio_postgres::Statement, impl Fn(&tokio_postgres::Error) -> Error + 's)> {
    let types: Vec<Type> = params.iter().map(Param::declared_type).collect();
    let oids: Vec<u32> = types.iter().map(Type::oid).collect();
    let cached = session.statements().get(sql, &oids);
    let from_cache = cached.is_some();
    let statement = match cached {
        Some(s) => s,
        None => {
            let s = session.client().prepare_typed(sql, &types).await.map_err(|e| session.fail(&e))?;
            session.statements().put(sql, &oids, s.clone());
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
    // A cached statement whose tables changed under it is refused by the
    // server (0A000, "cached plan must not change result type"): prepared
    // afresh next time rather than failing for the rest of the connection.
    let failed = move |e: &tokio_postgres::Error| {
        if from_cache && e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED) {
            session.statements().forget(sql, &oids);
        }
        session.fail(e)
    };
    Ok((statement, failed))
}

/// Our parameter encoder's refusal, found by type among the error's causes.
pub(super) fn param_error(e: &tokio_postgres::Error) -> Option<String> {
    let source = std::error::Error::source(e)?;
    source.downcast_ref::<ParamError>().map(|p| format!("a parameter could not be sent: {p}"))
}

/// The server confirmed the cancel: the statement did not take effect.
pub(super) fn timeout_error(limit: Duration, started: Instant, cancelled: bool, server: &str) -> Error {
    let _ = server;
    let elapsed = started.elapsed();
    Error::QueryTimeout {
        message: format!(
            "query exceeded its time limit of {} (ran {:.2}s) and was cancelled on the server: it did not take \
             effect. The connection is still usable (call rollback() first if a transaction was open). Make the \
             query cheaper or pass a larger timeout.",
            duration::display(limit),
            elapsed.as_secs_f64()
        ),
        limit,
        elapsed,
        cancelled,
    }
}

/// Neither the cancel nor the statement's end could be confirmed in time.
pub(super) fn unconfirmed_timeout(limit: Duration, started: Instant, label: &str) -> Error {
    let elapsed = started.elapsed();
    Error::QueryTimeout {
        message: format!(
            "query exceeded its time limit of {} (ran {:.2}s), and the server did not confirm a cancel in time, so \
             the connection to {label} was closed. The statement may have completed: check before running it \
             again. If it is still running, the server's statement_timeout stops it {} after the limit.",
            duration::display(limit),
            elapsed.as_secs_f64(),
            duration::display(super::session::BACKSTOP_MARGIN)
        ),
        limit,
        elapsed,
        cancelled: false,
    }
}
