//! Bounded work on a session: a time limit, an interrupt or a result over
//! its size limit sends a CancelRequest, then waits (bounded) for the work's
//! own outcome; and the guard that closes a session whose work was dropped.

use std::time::{Duration, Instant};

use super::cap::Tally;
use super::{CANCEL_BOUND, DRAIN_BOUND, Ended, Session, Stop};
use crate::Error;
use crate::pg::query;
use crate::runtime::{self, Interrupt, Signal};

impl Session {
    /// Runs `work` within `limit`, stoppable by `interrupt`. On either, the
    /// CancelRequest is sent from a detached task (so it completes even if
    /// the caller gives up on us), then the work gets [`DRAIN_BOUND`] to come
    /// back. If the cancel or the drain fails, the connection is closed. A
    /// result over its size limit (`tally`) stops the work the same way.
    pub(super) async fn bounded<F: Future>(
        &self,
        work: F,
        limit: Option<Duration>,
        interrupt: &mut Interrupt,
        tally: Option<&Tally<'_>>,
    ) -> Ended<F::Output> {
        let work = std::pin::pin!(work);
        let mut work = work;
        let deadline = async {
            match limit {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        let why = tokio::select! {
            biased;
            out = &mut work => return Ended::Done(out),
            () = deadline => Stop::Deadline(limit.unwrap_or_default()),
            () = tripped(tally) => Stop::Limit,
            signal = interrupt.requested() => match signal {
                Signal::Enough => Stop::Enough,
                _ => Stop::Interrupt,
            },
        };
        let cancel = runtime::spawn(self.link.clone().cancel());
        let delivered = matches!(tokio::time::timeout(CANCEL_BOUND, cancel).await, Ok(Ok(Ok(()))));
        if !delivered {
            self.mark_closed();
            return Ended::Stopped { why, drained: None };
        }
        match tokio::time::timeout(DRAIN_BOUND, work).await {
            Ok(out) => Ended::Stopped { why, drained: Some(out) },
            Err(_) => {
                self.mark_closed();
                Ended::Stopped { why, drained: None }
            }
        }
    }
}

/// Marks the session closed if the work is dropped half-way (e.g. a second
/// Ctrl-C): what the server did is then unknown.
pub(super) struct InFlight<'a>(pub(super) &'a Session, pub(super) bool);

impl InFlight<'_> {
    pub(super) fn land(mut self) {
        self.1 = false;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.1 {
            self.0.mark_closed();
        }
    }
}

pub(super) fn stopped_unconfirmed(stop: Option<Stop>, started: Instant, label: &str) -> Error {
    match stop {
        Some(Stop::Deadline(limit)) => query::unconfirmed_timeout(limit, started, label),
        _ => Error::Interrupted,
    }
}

/// Resolves once the result passed its size limit (never without a limit).
async fn tripped(tally: Option<&Tally<'_>>) {
    match tally {
        Some(t) => t.tripped().await,
        None => std::future::pending().await,
    }
}
