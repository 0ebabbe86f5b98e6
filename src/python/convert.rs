//! Values across the boundary: wire bytes to Python objects (through the
//! one decoder, [`crate::pg::wire`]), and Python parameters to owned
//! [`Param`]s. Type objects used per value are looked up once (PyOnceLock).

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDate, PyDateTime, PyDelta, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString,
    PyTime, PyTuple, PyTzInfo,
};
use tokio_postgres::Row;

use super::capi;
use super::exceptions::DataError;
use crate::pg::bind::Param;
use crate::pg::value::{MAX_ARRAY_DIMS, Value, decode};
use crate::pg::wire::{self, Kind, MICROS_PER_DAY, Problem};

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
            let (h, m, s, us) = wire::clock((*micros).clamp(0, MICROS_PER_DAY - 1));
            PyTime::new(py, h, m, s, us, None)?.into_any()
        }
        Value::TimeTz { micros, offset } => time_tz(py, *micros, *offset)?,
        Value::Timestamp(micros) => timestamp(py, *micros, false)?,
        Value::TimestampTz(micros) => timestamp(py, *micros, true)?,
        Value::Interval { months, days, micros } => {
            // A month has no fixed length; 30 days, as psycopg does.
            let total_days = i64::from(*months) * 30 + i64::from(*days) + micros.div_euclid(MICROS_PER_DAY);
            let rest = micros.rem_euclid(MICROS_PER_DAY);
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

/// How each column of a result is decoded, worked out once per batch.
pub fn kinds(row: &Row) -> Vec<Kind> {
    row.columns().iter().map(|c| Kind::of(c.type_())).collect()
}

/// A row as a tuple, straight from the wire bytes.
pub fn row<'py>(py: Python<'py>, row: &Row) -> PyResult<Bound<'py, PyTuple>> {
    row_of(py, row, &kinds(row))
}

/// A row as a tuple, with its columns' kinds known.
pub fn row_of<'py>(py: Python<'py>, row: &Row, kinds: &[Kind]) -> PyResult<Bound<'py, PyTuple>> {
    capi::tuple(py, kinds.len(), kinds.iter().copied().all(atomic), |i| cell_of(py, row, i, kinds[i]))
}

/// The column becomes an object that refers to no other (an int, float,
/// str, bytes, bool, date/time, timedelta or None), never a list, dict or
/// instance of a Python class.
fn atomic(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Bool
            | Kind::Int2
            | Kind::Int4
            | Kind::Int8
            | Kind::Oid
            | Kind::Float4
            | Kind::Float8
            | Kind::Text
            | Kind::Char
            | Kind::Bytea
            | Kind::Date
            | Kind::Time
            | Kind::Timestamp
            | Kind::TimestampTz
            | Kind::Interval
    )
}

/// Appends a batch of rows to `list` as tuples.
pub fn extend<'py>(py: Python<'py>, list: &Bound<'py, PyList>, batch: &[Row]) -> PyResult<()> {
    let Some(first) = batch.first() else { return Ok(()) };
    let kinds = kinds(first);
    for r in batch {
        list.append(row_of(py, r, &kinds)?)?;
    }
    Ok(())
}

/// One column of a row as a Python object.
pub fn cell<'py>(py: Python<'py>, row: &Row, i: usize) -> PyResult<Bound<'py, PyAny>> {
    cell_of(py, row, i, Kind::of(row.columns()[i].type_()))
}

#[inline]
fn cell_of<'py>(py: Python<'py>, row: &Row, i: usize, kind: Kind) -> PyResult<Bound<'py, PyAny>> {
    let Some(raw) = wire::raw(row, i)? else { return Ok(py.None().into_bound(py)) };
    let failed = |p: Problem| PyErr::from(wire::column_error(row.columns()[i].name(), &p));
    Ok(match kind {
        Kind::Int8 => wire::int8(raw).map_err(failed)?.into_bound_py_any(py)?,
        Kind::Int4 => wire::int4(raw).map_err(failed)?.into_bound_py_any(py)?,
        Kind::Int2 => wire::int2(raw).map_err(failed)?.into_bound_py_any(py)?,
        Kind::Float8 => PyFloat::new(py, wire::float8(raw).map_err(failed)?).into_any(),
        Kind::Bool => PyBool::new(py, wire::bool(raw).map_err(failed)?).to_owned().into_any(),
        Kind::Text => PyString::new(py, wire::text(raw).map_err(failed)?).into_any(),
        Kind::Bytea => PyBytes::new(py, raw).into_any(),
        Kind::Date => date(py, wire::date(raw).map_err(failed)?)?,
        Kind::Timestamp => timestamp(py, wire::timestamp(raw).map_err(failed)?, false)?,
        Kind::TimestampTz => timestamp(py, wire::timestamp(raw).map_err(failed)?, true)?,
        _ => to_py(py, &decode(row.columns()[i].type_(), raw).map_err(failed)?)?,
    })
}

/// PostgreSQL's +/-infinity (and dates Python cannot hold) clamp to date.max/min.
fn date(py: Python<'_>, days: i32) -> PyResult<Bound<'_, PyAny>> {
    let (y, m, d) = wire::civil(wire::clamp_days(days).into());
    capi::date(py, i32::try_from(y).expect("clamped"), m, d)
}

/// timetz: a `time` with a fixed-offset `tzinfo`.
fn time_tz(py: Python<'_>, micros: i64, offset: i32) -> PyResult<Bound<'_, PyAny>> {
    let (h, m, s, us) = wire::clock(micros.clamp(0, MICROS_PER_DAY - 1));
    let zone = PyTzInfo::fixed_offset(py, PyDelta::new(py, 0, offset, 0, true)?)?;
    Ok(PyTime::new(py, h, m, s, us, Some(&zone))?.into_any())
}

fn timestamp(py: Python<'_>, micros: i64, utc: bool) -> PyResult<Bound<'_, PyAny>> {
    let micros = wire::clamp_micros(micros);
    let (y, mo, d) = wire::civil(micros.div_euclid(MICROS_PER_DAY));
    let (h, mi, s, us) = wire::clock(micros.rem_euclid(MICROS_PER_DAY));
    capi::datetime(py, (i32::try_from(y).expect("clamped"), mo, d), (h, mi, s, us), utc)
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
