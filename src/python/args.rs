//! Arguments from Python: time limits (seconds or timedelta) and query
//! parameters (pyformat placeholders rewritten to `$n`, values converted).

use std::sync::Arc;
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
    let shape = Shape::of(sql, parameters)?;
    let values = shape.values(parameters)?;
    Ok((shape.into_sql(), values))
}

/// `executemany`'s parameter sets: the SQL is rewritten once per kind of
/// set (a mapping or a sequence), not once per row.
pub fn prepare_many(sql: &str, seq_of_parameters: &Bound<'_, PyAny>) -> PyResult<Vec<(Arc<str>, Vec<Param>)>> {
    let mut named: Option<(Shape, Arc<str>)> = None;
    let mut positional: Option<(Shape, Arc<str>)> = None;
    let plain: Arc<str> = Arc::from(sql);
    let mut out = Vec::with_capacity(seq_of_parameters.len().unwrap_or(0));
    for parameters in seq_of_parameters.try_iter()? {
        let parameters = parameters?;
        if parameters.is_none() {
            out.push((plain.clone(), Vec::new()));
            continue;
        }
        let slot = if parameters.is_instance_of::<PyDict>() { &mut named } else { &mut positional };
        if slot.is_none() {
            let shape = Shape::of(sql, &parameters)?;
            let text = Arc::from(shape.sql());
            *slot = Some((shape, text));
        }
        let (shape, text) = slot.as_ref().expect("set above");
        out.push((text.clone(), shape.values(&parameters)?));
    }
    Ok(out)
}

/// The SQL with `$n` placeholders, and how to read a parameter set for it.
enum Shape {
    Named(String, Vec<String>),
    Positional(String, usize),
}

impl Shape {
    fn of(sql: &str, parameters: &Bound<'_, PyAny>) -> PyResult<Shape> {
        if parameters.is_instance_of::<PyDict>() {
            let (rewritten, order) = params::rewrite(sql, true)?;
            let Order::Named(names) = order else { unreachable!("a mapping gives named order") };
            return Ok(Shape::Named(rewritten, names));
        }
        if parameters.is_instance_of::<PyString>() {
            return Err(ProgrammingError::new_err("parameters must be a sequence or a mapping, not a str"));
        }
        let (rewritten, order) = params::rewrite(sql, false)?;
        let Order::Positional(count) = order else { unreachable!("a sequence gives positional order") };
        Ok(Shape::Positional(rewritten, count))
    }

    fn sql(&self) -> &str {
        match self {
            Shape::Named(sql, _) | Shape::Positional(sql, _) => sql,
        }
    }

    fn into_sql(self) -> String {
        match self {
            Shape::Named(sql, _) | Shape::Positional(sql, _) => sql,
        }
    }

    fn values(&self, parameters: &Bound<'_, PyAny>) -> PyResult<Vec<Param>> {
        match self {
            Shape::Named(_, names) => {
                let mapping = parameters.cast::<PyDict>()?;
                names
                    .iter()
                    .map(|name| match mapping.get_item(name)? {
                        Some(v) => convert::to_param(&v),
                        None => Err(ProgrammingError::new_err(format!(
                            "the query uses %({name})s but no parameter named {name:?} was given"
                        ))),
                    })
                    .collect()
            }
            Shape::Positional(_, count) => {
                if parameters.is_instance_of::<PyString>() {
                    return Err(ProgrammingError::new_err("parameters must be a sequence or a mapping, not a str"));
                }
                let values: Vec<Bound<'_, PyAny>> = parameters
                    .try_iter()
                    .map_err(|_| ProgrammingError::new_err("parameters must be a sequence or a mapping"))?
                    .collect::<PyResult<_>>()?;
                if *count != values.len() {
                    return Err(ProgrammingError::new_err(format!(
                        "the query has {count} placeholder(s) but {} parameter(s) were given",
                        values.len()
                    )));
                }
                values.iter().map(convert::to_param).collect()
            }
        }
    }
}
