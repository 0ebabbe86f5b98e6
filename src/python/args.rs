//! Arguments from Python: time limits (seconds or timedelta) and query
//! parameters (pyformat placeholders rewritten to `$n`, values converted).

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDelta, PyDict, PyString};

use super::convert;
use super::exceptions::ProgrammingError;
use crate::pg::bind::Param;
use crate::pg::params::{self, Order};

/// Seconds (int/float) or a timedelta; None stays None.
pub fn timeout_arg(timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(t) = timeout.filter(|t| !t.is_none()) else { return Ok(None) };
    let seconds: f64 = if t.is_instance_of::<PyDelta>() {
        t.call_method0("total_seconds")?.extract()?
    } else if t.is_instance_of::<pyo3::types::PyBool>() || t.is_instance_of::<PyString>() {
        return Err(ProgrammingError::new_err(format!(
            "timeout must be a number of seconds or a datetime.timedelta, not {}",
            t.get_type().name()?
        )));
    } else {
        t.extract().map_err(|_| {
            ProgrammingError::new_err(format!(
                "timeout must be a number of seconds or a datetime.timedelta, not {}",
                t.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        })?
    };
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(ProgrammingError::new_err(format!("timeout must be a positive number of seconds, got {seconds}")));
    }
    Duration::try_from_secs_f64(seconds)
        .map(Some)
        .map_err(|_| ProgrammingError::new_err(format!("timeout {seconds} is too large")))
}

/// Rewrites pyformat placeholders and converts the parameters.
pub fn prepare(sql: &str, parameters: Option<&Bound<'_, PyAny>>) -> PyResult<(String, Vec<Param>)> {
    let Some(parameters) = parameters.filter(|p| !p.is_none()) else {
        return Ok((sql.to_string(), Vec::new()));
    };
    if let Ok(mapping) = parameters.cast::<PyDict>() {
        let (rewritten, order) = params::rewrite(sql, true)?;
        let Order::Named(names) = order else { unreachable!("a mapping gives named order") };
        let values = names
            .iter()
            .map(|name| match mapping.get_item(name)? {
                Some(v) => convert::to_param(&v),
                None => Err(ProgrammingError::new_err(format!(
                    "the query uses %({name})s but no parameter named {name:?} was given"
                ))),
            })
            .collect::<PyResult<Vec<_>>>()?;
        return Ok((rewritten, values));
    }
    if parameters.is_instance_of::<PyString>() {
        return Err(ProgrammingError::new_err("parameters must be a sequence or a mapping, not a str"));
    }
    let values: Vec<Bound<'_, PyAny>> = parameters
        .try_iter()
        .map_err(|_| ProgrammingError::new_err("parameters must be a sequence or a mapping"))?
        .collect::<PyResult<_>>()?;
    let (rewritten, order) = params::rewrite(sql, false)?;
    let Order::Positional(count) = order else { unreachable!("a sequence gives positional order") };
    if count != values.len() {
        return Err(ProgrammingError::new_err(format!(
            "the query has {count} placeholder(s) but {} parameter(s) were given",
            values.len()
        )));
    }
    Ok((rewritten, values.iter().map(convert::to_param).collect::<PyResult<_>>()?))
}
