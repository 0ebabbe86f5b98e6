//! One connection's session semantics, in the core so that the Python API,
//! the CLI and the async API share them (psycopg keeps them in its
//! connection base class):
//!
//! - one statement at a time (an async lock, so concurrent callers queue);
//! - the transaction: BEGIN before the first statement unless autocommit,
//!   and a ROLLBACK (bounded) when the statement of a call that opened the
//!   transaction fails, so nothing of the caller's is lost and the session
//!   stays ready;
//! - time limits and interrupts that tell the truth: a CancelRequest
//!   (delivered, bounded), then the statement's own outcome (bounded). Only
//!   the server's 57014 means "cancelled"; a statement that completed first
//!   returns its result; if neither can be known, the connection is closed;
//! - no user statement is ever sent twice. A CancelRequest that was sent but
//!   not consumed by our statement could still land: it is absorbed by a
//!   throwaway statement before anything else runs;
//! - the server-side backstop (`statement_timeout`, just above the client's
//!   limit, for when the client dies) applies to that one statement: it is
//!   put back to the session's own value before anything else runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join;
use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::backstop::{Backstop, backstop_ms, prefix_sql, set_sql, shown};
use super::bind::Param;
use super::connect::Link;
use super::query::{self, Outcome, Sink};
use super::statements::Statements;

mod audit;
mod bounded;
pub mod cap;
mod errors;
mod many;
mod streaming;

use crate::runtime::{Driver, Interrupt};
use crate::sync::Locked;
use crate::{Error, Result};
use bounded::{InFlight, stopped_unconfirmed};
use cap::{Fate, Kept, ResultCap, Tally};
use errors::is_query_canceled;

/// How long the CancelRequest itself may take (connect, send, server closes).
pub const CANCEL_BOUND: Duration = Duration::from_secs(2);
/// How long to wait for a cancelled statement (or a ROLLBACK, or the
/// throwaway that absorbs a late cancel) to come back.
pub const DRAIN_BOUND: Duration = Duration::from_secs(3);
/// The server-side statement_timeout sits this far above the client's limit:
/// it only matters when the client died and cannot cancel, and must exceed
/// both bounds above so that it never pre-empts our own cancel.
pub const BACKSTOP_MARGIN: Duration = Duration::from_secs(10);

/// A live connection and what it is in the middle of.
pub struct Session {
    /// Who drives this session's IO; every wait on it goes through it.
    driver: Driver,
    /// The task driving the connection; it ends once the socket closed.
    ended: JoinHandle<()>,
    client: Client,
    link: Link,
    closed: Arc<AtomicBool>,
    statements: std::sync::Mutex<Statements>,
    state: tokio::sync::Mutex<State>,
    autocommit: AtomicBool,
    in_transaction: AtomicBool,
    /// A stream's reader is still reading: another statement now would wait
    /// for it forever (same thread), so it is refused instead.
    streaming: AtomicBool,
    audited: std::sync::OnceLock<Audited>,
    /// The database's limits on a result held whole (see [`cap`]).
    cap: std::sync::OnceLock<ResultCap>,
}

/// Who is behind this session, for audit events.
#[derive(Debug, Clone)]
pub struct Audited {
    pub arn: Option<String>,
    pub database: String,
    pub db_user: String,
}

#[derive(Default)]
struct State {
    /// A CancelRequest was delivered that no statement of ours consumed.
    cancel_pending: bool,
    /// A statement_timeout of ours still in force on the server.
    backstop: Option<Backstop>,
}

/// Why a statement was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Deadline(Duration),
    Interrupt,
    /// The reader had enough (a stream closed early): a normal end.
    Enough,
    /// The result passed the database's size limit.
    Limit,
}

/// How bounded work ended.
enum Ended<T> {
    Done(T),
    /// Stopped; `drained` is the work's own outcome when it came back in
    /// time after a delivered cancel (else the connection was closed).
    Stopped {
        why: Stop,
        drained: Option<T>,
    },
}

impl Session {
    pub(super) fn new(
        client: Client,
        link: Link,
        (closed, ended): (Arc<AtomicBool>, JoinHandle<()>),
        driver: Driver,
    ) -> Session {
        Session {
            driver,
            ended,
            client,
            link,
            closed,
            statements: std::sync::Mutex::default(),
            state: tokio::sync::Mutex::default(),
            autocommit: AtomicBool::new(false),
            in_transaction: AtomicBool::new(false),
            streaming: AtomicBool::new(false),
            audited: std::sync::OnceLock::new(),
            cap: std::sync::OnceLock::new(),
        }
    }

    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// Ends the session: the client says goodbye (Terminate) and the socket
    /// closes; waits for that at most a second. On an own runtime this must
    /// be awaited through the driver, or the goodbye is never sent.
    pub async fn terminate(self) {
        let Session { client, ended, .. } = self;
        drop(client);
        let _ = tokio::time::timeout(Duration::from_secs(1), ended).await;
    }

    /// Names who is behind this session (once), for its audit events.
    pub fn set_audit(&self, who: Audited) {
        let _ = self.audited.set(who);
    }

    /// Sets (once) the database's limits on results held whole; an unset
    /// cap changes nothing.
    pub fn set_result_cap(&self, cap: ResultCap) {
        if cap.is_set() {
            let _ = self.cap.set(cap);
        }
    }

    /// `user@host:port/dbname`, for messages.
    pub fn label(&self) -> &str {
        &self.link.label
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst) || self.client.is_closed()
    }

    /// Marks the connection unusable (its state on the server is unknown).
    pub fn mark_closed(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    pub fn autocommit(&self) -> bool {
        self.autocommit.load(Ordering::SeqCst)
    }

    pub fn in_transaction(&self) -> bool {
        self.in_transaction.load(Ordering::SeqCst)
    }

    pub fn set_autocommit(&self, on: bool) -> Result<()> {
        if on && self.in_transaction() {
            return Err(Error::Programming(
                "cannot switch to autocommit inside a transaction: commit() or rollback() first".into(),
            ));
        }
        self.autocommit.store(on, Ordering::SeqCst);
        Ok(())
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    pub(super) fn statements(&self) -> std::sync::MutexGuard<'_, Statements> {
        self.statements.locked()
    }

    fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            return Err(Error::Interface(format!(
                "the connection to {} is closed; open a new one with middleware.connect()",
                self.label()
            )));
        }
        Ok(())
    }

    /// Runs one statement (`$n` placeholders), handing rows to `sink` batch
    /// by batch, within `limit` when given and stoppable by `interrupt`. The
    /// caller holds the whole result, so the database's size limit applies.
    pub async fn execute(
        &self,
        sql: &str,
        params: &[Param],
        limit: Option<Duration>,
        interrupt: Interrupt,
        sink: &mut Sink<'_>,
    ) -> Result<Outcome> {
        self.check_not_streaming()?;
        self.execute_streamed(sql, params, limit, interrupt, sink, true).await
    }

    /// As [`Self::execute`], for a result read page by page (a named
    /// cursor's DECLARE and FETCH): no size limit.
    pub async fn execute_paged(
        &self,
        sql: &str,
        params: &[Param],
        limit: Option<Duration>,
        interrupt: Interrupt,
        sink: &mut Sink<'_>,
    ) -> Result<Outcome> {
        self.check_not_streaming()?;
        self.execute_streamed(sql, params, limit, interrupt, sink, false).await
    }

    /// A stream's own statement (see [`super::stream`]); `capped`: its
    /// reader keeps every row (query_arrow), so the size limit applies.
    pub(super) async fn execute_streamed(
        &self,
        sql: &str,
        params: &[Param],
        limit: Option<Duration>,
        mut interrupt: Interrupt,
        sink: &mut Sink<'_>,
        capped: bool,
    ) -> Result<Outcome> {
        let started = Instant::now();
        let cap = self.cap.get().filter(|_| capped);
        let result = self.execute_inner(sql, params, limit, &mut interrupt, sink, cap).await;
        self.record(sql, started, &result);
        result
    }

    async fn execute_inner(
        &self,
        sql: &str,
        params: &[Param],
        limit: Option<Duration>,
        interrupt: &mut Interrupt,
        sink: &mut Sink<'_>,
        cap: Option<&ResultCap>,
    ) -> Result<Outcome> {
        let mut state = self.state.lock().await;
        self.check_open()?;
        let flight = InFlight(self, true);
        self.settle(&mut state).await?;
        let began = !self.autocommit() && !self.in_transaction();
        if began {
            self.begin(&mut state).await?;
        }
        let tally = cap.map(Tally::new);
        let work = query::statement(self, sql, params, sink, tally.as_ref());
        let result = self.run(&mut state, work, limit, interrupt, (tally.as_ref(), began)).await;
        let undone = result.as_ref().map_or(true, |o| o.stopped);
        if began && undone && !self.is_closed() {
            self.finish_transaction(&mut state, "ROLLBACK").await?;
        }
        flight.land();
        result
    }

    /// Ends the transaction, if one is open (nothing to do otherwise).
    pub async fn commit(&self, interrupt: Interrupt) -> Result<()> {
        self.end(interrupt, "COMMIT").await
    }

    pub async fn rollback(&self, interrupt: Interrupt) -> Result<()> {
        self.end(interrupt, "ROLLBACK").await
    }

    async fn end(&self, mut interrupt: Interrupt, sql: &'static str) -> Result<()> {
        self.check_not_streaming()?;
        let mut state = self.state.lock().await;
        self.check_open()?;
        if !self.in_transaction() {
            return Ok(());
        }
        let flight = InFlight(self, true);
        self.settle(&mut state).await?;
        self.in_transaction.store(false, Ordering::SeqCst);
        state.backstop.take_if(|b| b.local);
        let work = self.client.batch_execute(sql);
        let result = match self.bounded(work, None, &mut interrupt, None).await {
            Ended::Done(r) => r.map_err(|e| self.fail(&e)),
            Ended::Stopped { drained, .. } => {
                if let Some(r) = &drained
                    && !r.as_ref().is_err_and(is_query_canceled)
                {
                    state.cancel_pending = true;
                    self.settle(&mut state).await?;
                }
                Err(Error::Interrupted)
            }
        };
        flight.land();
        result
    }

    async fn begin(&self, state: &mut State) -> Result<()> {
        // A session-wide backstop is put back outside the transaction (a
        // ROLLBACK would undo it inside), in the same round trip.
        let restore = state.backstop.as_ref().filter(|b| !b.local).map(|b| set_sql(&b.previous, false));
        let restored = async {
            match &restore {
                Some(sql) => Some(self.client.batch_execute(sql).await),
                None => None,
            }
        };
        let (restored, began) = join(restored, self.client.batch_execute("BEGIN")).await;
        if matches!(restored, Some(Ok(()))) {
            state.backstop = None;
        }
        began.map_err(|e| self.fail(&e))?;
        self.in_transaction.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Absorbs a CancelRequest that may still land: a throwaway statement
    /// takes it (its 57014 proves it), or shows it was spent while idle.
    async fn settle(&self, state: &mut State) -> Result<()> {
        if !state.cancel_pending {
            return Ok(());
        }
        match tokio::time::timeout(DRAIN_BOUND, self.client.simple_query("SELECT 1")).await {
            Ok(Ok(_) | Err(_)) => {
                state.cancel_pending = false;
                Ok(())
            }
            Err(_) => {
                self.mark_closed();
                Err(Error::Operational(format!(
                    "the connection to {} stopped answering after a cancel, so it was closed; reconnect to continue",
                    self.label()
                )))
            }
        }
    }

    async fn finish_transaction(&self, state: &mut State, sql: &'static str) -> Result<()> {
        self.in_transaction.store(false, Ordering::SeqCst);
        state.backstop.take_if(|b| b.local);
        match tokio::time::timeout(DRAIN_BOUND, self.client.batch_execute(sql)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.fail(&e)),
            Err(_) => {
                self.mark_closed();
                Ok(()) // the caller's own error says what happened
            }
        }
    }

    /// Runs `work` (statements on this session) with the backstop before it,
    /// bounded. `tally`: the result's size count; `began`: whether this call
    /// began the transaction (for what a stopped statement's message says).
    async fn run(
        &self,
        state: &mut State,
        work: impl Future<Output = Result<Outcome>>,
        limit: Option<Duration>,
        interrupt: &mut Interrupt,
        (tally, began): (Option<&Tally<'_>>, bool),
    ) -> Result<Outcome> {
        let started = Instant::now();
        let local = self.in_transaction();
        let want = limit.map(backstop_ms);
        let keep = matches!((&state.backstop, want), (Some(b), Some(ms)) if b.ms == ms && b.local == local);
        let prefix = if keep { None } else { prefix_sql(state.backstop.as_ref(), want, local) };
        let before = async {
            match &prefix {
                Some(sql) => Some(self.client.simple_query(sql).await),
                None => None,
            }
        };
        // One round trip: the backstop goes out right before the statement.
        let work = join(before, work);
        let (ended, stop) = match self.bounded(work, limit, interrupt, tally).await {
            Ended::Done(out) => (Some(out), None),
            Ended::Stopped { why, drained } => (drained, Some(why)),
        };
        let Some((set, outcome)) = ended else {
            match stop {
                Some(Stop::Enough) => return Ok(Outcome { stopped: true, ..Outcome::default() }),
                Some(Stop::Limit) => return Err(self.too_large(tally, Fate::Unknown)),
                _ => return Err(stopped_unconfirmed(stop, started, self.label())),
            }
        };
        if let Some(set) = set {
            match set {
                Ok(messages) => {
                    state.backstop =
                        want.map(|ms| Backstop { ms, previous: shown(&messages).unwrap_or_default(), local });
                }
                Err(e) if stop.is_some() && is_query_canceled(&e) => {} // it took our cancel
                Err(_) => {}                                            // nothing applied; the old one stays
            }
        }
        let kept = if self.autocommit() {
            Kept::Committed
        } else if began {
            Kept::RolledBack
        } else {
            Kept::InTransaction
        };
        let Some(why) = stop else {
            // Over the limit, but the statement ended before its cancel was sent.
            return match outcome {
                Ok(_) if tally.is_some_and(|t| t.over().is_some()) => Err(self.too_large(tally, Fate::Completed(kept))),
                other => other,
            };
        };
        let consumed = matches!(&outcome, Err(e) if e.is_sqlstate(&SqlState::QUERY_CANCELED));
        if !consumed {
            state.cancel_pending = true;
            self.settle(state).await?;
        }
        match (why, outcome) {
            (Stop::Interrupt, _) => Err(Error::Interrupted),
            // It completed before the cancel landed: nothing was undone.
            (Stop::Enough, Ok(done)) => Ok(done),
            (Stop::Enough, Err(_)) => Ok(Outcome { stopped: true, ..Outcome::default() }),
            (Stop::Deadline(limit), Err(e)) if consumed => {
                Err(query::timeout_error(limit, started, true, &e.to_string()))
            }
            // It completed (or failed on its own) before the cancel landed: that is the truth.
            (Stop::Deadline(_), other) => other,
            (Stop::Limit, Err(_)) if consumed => {
                Err(self.too_large(tally, Fate::Cancelled { aborted: kept == Kept::InTransaction }))
            }
            (Stop::Limit, Ok(_)) => Err(self.too_large(tally, Fate::Completed(kept))),
            (Stop::Limit, Err(e)) => Err(e),
        }
    }
}
