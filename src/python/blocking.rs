//! The one way Python waits on the core's async work: the GIL is released
//! while waiting, and Ctrl-C (a notebook's "interrupt kernel") is noticed
//! within ~100 ms, interrupting the work so it can cancel server-side.

use std::future::Future;

use pyo3::prelude::*;

use super::logbridge;
use crate::runtime::{Driver, Interrupt};

/// Runs `work` on the core runtime with the GIL released. On a pending
/// signal (KeyboardInterrupt) the work's [`Interrupt`] fires, it gets a short
/// grace to clean up, and the signal's exception is raised.
pub fn wait<W, F, T>(py: Python<'_>, work: W) -> PyResult<T>
where
    W: FnOnce(Interrupt) -> F + Send,
    F: Future<Output = crate::Result<T>>,
    T: Send,
{
    wait_on(py, &Driver::Shared, work)
}

/// [`wait`] on a connection's driver: with an own runtime, this thread
/// drives the connection's IO while it waits.
#[allow(clippy::redundant_closure_for_method_calls)] // the method form does not satisfy the for<'py> bound
pub fn wait_on<W, F, T>(py: Python<'_>, driver: &Driver, work: W) -> PyResult<T>
where
    W: FnOnce(Interrupt) -> F + Send,
    F: Future<Output = crate::Result<T>>,
    T: Send,
{
    logbridge::sync_levels(py);
    let outcome = py.detach(|| driver.block_on_interruptible(work, || Python::attach(|py| py.check_signals())));
    logbridge::flush(py);
    match outcome {
        Ok(result) => result.map_err(PyErr::from),
        Err(signal) => Err(signal),
    }
}
