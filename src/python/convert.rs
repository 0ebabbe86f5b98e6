//! Values across the boundary: decoded rows ([`Value`]) to Python objects,
//! and Python parameters to owned [`Param`]s. Type objects used per value are
//! looked up once (PyOnceLock).

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDate, PyDateTime, PyDelta, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString,
    PyTime, PyTuple, PyTzInfo,
};

use super::exceptions::DataError;
use crate::pg::bind::Param;
use crate::pg::value::{MAX_ARRAY_DIMS, Raw, Value, decode};
use tokio_postgres::types::Type;

static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static UUID: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn cached<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    module: &str,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || Ok::<_, PyErr>(py.import(module)?.getattr(name)?.unbind())).map(|o| o.bind(py).clone())
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date").and_hms_opt(0, 0, 0).expect("valid time")
}

fn u8_of(v: u32) -> u8 {
    u8::try_from(v).expect("calendar fields fit in u8")
}

/// One value as a Python object.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_bound_py_any(py)?,
        Value::Float(f) => PyFloat::new(py, *f).into_any(),
        Value::Numeric(s) => cached(py, &DECIMAL, "decimal", "Decimal")?.call1((s.as_str(),))?,
        Value::Text(s) => PyString::new(py, s).into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::Date(days) => date(py, *days)?,
        Value::Time(micros) => {
            let t = time_of_day(*micros);
            PyTime::new(py, u8_of(t.hour()), u8_of(t.minute()), u8_of(t.second()), t.nanosecond() / 1000, None)?
                .into_any()
        }
        Value::TimeTz { micros, offset } => {
            let zone = PyTzInfo::fixed_offset(py, PyDelta::new(py, 0, *offset, 0, true)?)?;
            let t = time_of_day(*micros);
            PyTime::new(py, u8_of(t.hour()), u8_of(t.minute()), u8_of(t.second()), t.nanosecond() / 1000, Some(&zone))?
                .into_any()
        }
        Value::Timestamp(micros) => timestamp(py, *micros, false)?,
        Value::TimestampTz(micros) => timestamp(py, *micros, true)?,
        Value::Interval { months, days, micros } => {
            // A month has no fixed length; 30 days, as psycopg does.
            let total_days = i64::from(*months) * 30 + i64::from(*days) + micros.div_euclid(86_400_000_000);
            let rest = micros.rem_euclid(86_400_000_000);
            PyDelta::new(
                py,
                i32::try_from(total_days).unwrap_or(i32::MAX),
                i32::try_from(rest / 1_000_000).unwrap_or(0),
                i32::try_from(rest % 1_000_000).unwrap_or(0),
                true,
            )?
            .into_any()
        }
        Value::Uuid(bytes) => {
            let kwargs = PyDict::new(py);
            kwargs.set_item("bytes", PyBytes::new(py, bytes))?;
            cached(py, &UUID, "uuid", "UUID")?.call((), Some(&kwargs))?
        }
        Value::Json(text) => cached(py, &JSON_LOADS, "json", "loads")?.call1((text.as_str(),))?,
        Value::Array(items) => {
            PyList::new(py, items.iter().map(|v| to_py(py, v)).collect::<PyResult<Vec<_>>>()?)?.into_any()
        }
    })
}

/// A row as a tuple, straight from the wire bytes.
pub fn row<'py>(py: Python<'py>, row: &tokio_postgres::Row) -> PyResult<Bound<'py, PyTuple>> {
    // Sized up front: collecting Results cannot (one reallocation a row).
    let mut items = Vec::with_capacity(row.len());
    for i in 0..row.len() {
        items.push(cell(py, row, i)?);
    }
    PyTuple::new(py, items)
}

#[inline]
/// One column of a row as a Python object: the common scalar types directly
/// from the wire bytes, the rest through [`Value`].
pub fn cell<'py>(py: Python<'py>, row: &tokio_postgres::Row, i: usize) -> PyResult<Bound<'py, PyAny>> {
    let column = &row.columns()[i];
    let Raw(raw) = row.try_get::<_, Raw<'_>>(i).map_err(|e| DataError::new_err(e.to_string()))?;
    let Some(raw) = raw else { return Ok(py.None().into_bound(py)) };
    let ty = column.type_();
    let fixed = |n: usize| -> PyResult<&[u8]> {
        raw.get(..n).ok_or_else(|| DataError::new_err(format!("column {:?}: truncated value", column.name())))
    };
    Ok(match *ty {
        Type::INT8 => i64::from_be_bytes(fixed(8)?.try_into().expect("8 bytes")).into_bound_py_any(py)?,
        Type::INT4 => i32::from_be_bytes(fixed(4)?.try_into().expect("4 bytes")).into_bound_py_any(py)?,
        Type::INT2 => i16::from_be_bytes(fixed(2)?.try_into().expect("2 bytes")).into_bound_py_any(py)?,
        Type::FLOAT8 => PyFloat::new(py, f64::from_be_bytes(fixed(8)?.try_into().expect("8 bytes"))).into_any(),
        Type::BOOL => PyBool::new(py, fixed(1)?[0] != 0).to_owned().into_any(),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            let text = std::str::from_utf8(raw).map_err(|e| {
                DataError::new_err(format!(
                    "column {:?} holds text that is not valid UTF-8 (at byte {}); the database's encoding is \
                     probably SQL_ASCII: convert it in SQL (e.g. convert_to(col, 'LATIN1')) or select it as bytea",
                    column.name(),
                    e.valid_up_to()
                ))
            })?;
            PyString::new(py, text).into_any()
        }
        _ => {
            let value = decode(ty, raw).map_err(|e| DataError::new_err(format!("column {:?}: {e}", column.name())))?;
            to_py(py, &value)?
        }
    })
}

fn time_of_day(micros: i64) -> chrono::NaiveTime {
    chrono::NaiveTime::from_num_seconds_from_midnight_opt(
        u32::try_from(micros / 1_000_000).unwrap_or(0),
        u32::try_from(micros % 1_000_000).unwrap_or(0) * 1000,
    )
    .unwrap_or_default()
}

fn date(py: Python<'_>, days: i32) -> PyResult<Bound<'_, PyAny>> {
    // PostgreSQL's +/-infinity (and dates Python cannot hold) clamp to date.max/min.
    let d = epoch().date().checked_add_signed(chrono::Duration::days(i64::from(days)));
    let d = match d {
        Some(d) if (1..=9999).contains(&d.year()) => d,
        _ if days > 0 => NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid"),
        _ => NaiveDate::from_ymd_opt(1, 1, 1).expect("valid"),
    };
    Ok(PyDate::new(py, d.year(), u8_of(d.month()), u8_of(d.day()))?.into_any())
}

fn timestamp(py: Python<'_>, micros: i64, utc: bool) -> PyResult<Bound<'_, PyAny>> {
    let t = epoch().checked_add_signed(chrono::Duration::microseconds(micros));
    let t = match t {
        Some(t) if (1..=9999).contains(&t.year()) => t,
        _ if micros > 0 => {
            NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid").and_hms_micro_opt(23, 59, 59, 999_999).expect("valid")
        }
        _ => NaiveDate::from_ymd_opt(1, 1, 1).expect("valid").and_hms_opt(0, 0, 0).expect("valid"),
    };
    let tz = if utc { Some(PyTzInfo::utc(py)?) } else { None };
    Ok(PyDateTime::new(
        py,
        t.year(),
        u8_of(t.month()),
        u8_of(t.day()),
        u8_of(t.hour()),
        u8_of(t.minute()),
        u8_of(t.second()),
        t.nanosecond() / 1000 % 1_000_000,
        tz.as_deref(),
    )?
    .into_any())
}

/// One Python parameter as an owned [`Param`].
pub fn to_param(value: &Bound<'_, PyAny>) -> PyResult<Param> {
    to_param_within(value, MAX_ARRAY_DIMS)
}

/// Lists nest at most as deep as PostgreSQL's arrays: a deeper (or
/// self-containing) list is refused before it can exhaust the stack.
fn to_param_within(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Param> {
    let py = value.py();
    if value.is_none() {
        return Ok(Param::Null);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Param::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(match value.extract::<i64>() {
            Ok(i) => Param::Int(i),
            Err(_) => Param::BigInt(value.str()?.to_string()),
        });
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(Param::Float(f.value()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Param::Text(s.to_str()?.to_string()));
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Param::Bytes(b.as_bytes().to_vec()));
    }
    if value.is_instance_of::<PyByteArray>() || value.is_instance_of::<PyMemoryView>() {
        return Ok(Param::Bytes(py.import("builtins")?.getattr("bytes")?.call1((value,))?.extract()?));
    }
    // datetime before date: a datetime is a date.
    if value.is_instance_of::<PyDateTime>() {
        let iso: String = value.call_method0("isoformat")?.extract()?;
        let aware = !value.getattr("tzinfo")?.is_none();
        return Ok(if aware { Param::TimestampTz(iso) } else { Param::Timestamp(iso) });
    }
    if value.is_instance_of::<PyDate>() {
        return Ok(Param::Date(value.call_method0("isoformat")?.extract()?));
    }
    if value.is_instance_of::<PyTime>() {
        return Ok(Param::Time(value.call_method0("isoformat")?.extract()?));
    }
    if value.is_instance_of::<PyDelta>() {
        let days: i64 = value.getattr("days")?.extract()?;
        let seconds: i64 = value.getattr("seconds")?.extract()?;
        let micros: i64 = value.getattr("microseconds")?.extract()?;
        return Ok(Param::Interval(format!("{days} days {seconds} seconds {micros} microseconds")));
    }
    if value.is_instance(&cached(py, &DECIMAL, "decimal", "Decimal")?)? {
        return Ok(Param::Decimal(value.str()?.to_string()));
    }
    if value.is_instance(&cached(py, &UUID, "uuid", "UUID")?)? {
        return Ok(Param::Uuid(value.str()?.to_string()));
    }
    if value.is_instance_of::<PyDict>() {
        let text: String = cached(py, &JSON_DUMPS, "json", "dumps")?.call1((value,))?.extract()?;
        return Ok(Param::Json(text));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        if depth == 0 {
            return Err(DataError::new_err(format!(
                "a list parameter nested more than {MAX_ARRAY_DIMS} deep (or a list that contains itself) cannot \
                 be sent: PostgreSQL arrays have at most {MAX_ARRAY_DIMS} dimensions"
            )));
        }
        let items = value.try_iter()?.map(|item| to_param_within(&item?, depth - 1));
        return Ok(Param::Array(items.collect::<PyResult<Vec<_>>>()?));
    }
    Err(PyTypeError::new_err(format!(
        "cannot pass a {} as a query parameter; use None, bool, int, float, Decimal, str, bytes, date, time, \
         datetime, timedelta, UUID, dict (JSON) or a list of those",
        value.get_type().name()?
    )))
}
