//! The core's records into Python's `logging`, on the caller's thread with
//! the GIL held: levels are read from Python before a call, records are
//! handed over after it (see `crate::logging`; no tokio worker ever touches
//! Python).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::logging::{self, Record};

static GET_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn logger<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let get =
        GET_LOGGER.get_or_try_init(py, || Ok::<_, PyErr>(py.import("logging")?.getattr("getLogger")?.unbind()))?;
    get.bind(py).call1((name,))
}

static CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static AUDIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A logger object, looked up once (`logging` keeps one per name for the
/// life of the process).
fn cached_logger<'py>(py: Python<'py>, cell: &PyOnceLock<Py<PyAny>>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || logger(py, name).map(Bound::unbind)).map(|l| l.bind(py).clone())
}

/// Follows Python's levels for `middleware` and `middleware.audit`, before
/// every call: through `isEnabledFor`, which `logging` answers from a
/// per-logger cache (cleared whenever any level changes), not by walking
/// the hierarchy.
pub fn sync_levels(py: Python<'_>) {
    let enabled = |logger: &PyResult<Bound<'_, PyAny>>, level: i32| -> bool {
        logger
            .as_ref()
            .is_ok_and(|l| l.call_method1("isEnabledFor", (level,)).and_then(|b| b.is_truthy()).unwrap_or(false))
    };
    let core_logger = cached_logger(py, &CORE, "middleware");
    let core = [(10, log::LevelFilter::Debug), (20, log::LevelFilter::Info), (30, log::LevelFilter::Warn)]
        .into_iter()
        .find(|(level, _)| enabled(&core_logger, *level))
        .map_or(if core_logger.is_ok() { log::LevelFilter::Error } else { log::LevelFilter::Warn }, |(_, f)| f);
    logging::set_levels(core, enabled(&cached_logger(py, &AUDIT, "middleware.audit"), 20));
}

/// Hands the queued records to `logging`; a failing handler is Python's
/// business and never fails the call that made the record.
pub fn flush(py: Python<'_>) {
    let (records, dropped) = logging::drain();
    for record in records {
        let _ = emit(py, &record);
    }
    if dropped > 0 {
        let _ = logger(py, "middleware").and_then(|l| {
            l.call_method1("warning", (format!("{dropped} log records were dropped (too many between calls)"),))
        });
    }
}

fn emit(py: Python<'_>, record: &Record) -> PyResult<()> {
    let level = match record.level {
        log::Level::Error => 40,
        log::Level::Warn => 30,
        log::Level::Info => 20,
        log::Level::Debug | log::Level::Trace => 10,
    };
    let kwargs = PyDict::new(py);
    if let Some(a) = &record.audit {
        let extra = PyDict::new(py);
        extra.set_item("event", a.event)?;
        extra.set_item("outcome", a.outcome)?;
        extra.set_item("arn", a.arn.as_deref())?;
        extra.set_item("database", &a.database)?;
        extra.set_item("db_user", &a.db_user)?;
        extra.set_item("duration_ms", a.duration_ms)?;
        extra.set_item("rows", a.rows)?;
        extra.set_item("sqlstate", a.sqlstate.as_deref())?;
        kwargs.set_item("extra", extra)?;
    }
    // "%s": a message with a % in it (SQL) must not be formatted again.
    logger(py, &record.logger)?.call_method("log", (level, "%s", &record.message), Some(&kwargs))?;
    Ok(())
}
