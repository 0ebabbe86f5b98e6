//! `ResultSet`: a query's rows as they came off the wire, behind `Rows`.
//! Tuples are made only when Python asks for them; `to_arrow()` gets
//! columnar buffers (Arrow's layout) built straight from the wire bytes, so
//! a large result never becomes millions of Python objects on its way to
//! Arrow.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use tokio_postgres::Row;
use tokio_postgres::types::Type;

use super::convert;
use crate::pg::wire::{self, PG_EPOCH_UNIX_DAYS, PG_EPOCH_UNIX_MICROS, Problem};
use crate::sync::Locked;

#[pyclass(frozen, name = "ResultSet", module = "middleware._core")]
pub struct ResultSet {
    rows: Mutex<Vec<Row>>,
}

impl ResultSet {
    pub fn new(rows: Vec<Row>) -> Self {
        ResultSet { rows: Mutex::new(rows) }
    }
}

/// One column in Arrow's layout: a kind pyarrow knows, the validity bitmap
/// (None without NULLs), the values, and offsets for variable-width data.
struct Builder {
    kind: &'static str,
    validity: Vec<u8>,
    nulls: usize,
    data: Vec<u8>,
    offsets: Vec<u8>,
}

impl Builder {
    fn new(ty: &Type, rows: usize) -> Option<Builder> {
        let (kind, width) = match *ty {
            Type::INT2 | Type::INT4 | Type::INT8 => ("int64", 8),
            Type::FLOAT4 | Type::FLOAT8 => ("float64", 8),
            Type::BOOL => ("bool", 0),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => ("string", 0),
            Type::TIMESTAMPTZ => ("timestamp_utc", 8),
            Type::TIMESTAMP => ("timestamp", 8),
            Type::DATE => ("date32", 4),
            _ => return None, // the rest goes through Python objects
        };
        let mut offsets = Vec::new();
        if kind == "string" {
            offsets.reserve((rows + 1) * 8);
            offsets.extend(0i64.to_le_bytes());
        }
        Some(Builder {
            kind,
            validity: vec![0; rows.div_ceil(8)],
            nulls: 0,
            data: Vec::with_capacity(rows * width),
            offsets,
        })
    }

    fn push(&mut self, index: usize, raw: Option<&[u8]>, ty: &Type) -> Result<(), Problem> {
        let Some(raw) = raw else {
            self.nulls += 1;
            match self.kind {
                "bool" => {
                    if index.is_multiple_of(8) {
                        self.data.push(0);
                    }
                }
                "string" => self.offsets.extend(offset(self.data.len())),
                "date32" => self.data.extend(0i32.to_le_bytes()),
                _ => self.data.extend(0i64.to_le_bytes()),
            }
            return Ok(());
        };
        self.validity[index / 8] |= 1 << (index % 8);
        match *ty {
            Type::INT2 => self.data.extend(i64::from(wire::int2(raw)?).to_le_bytes()),
            Type::INT4 => self.data.extend(i64::from(wire::int4(raw)?).to_le_bytes()),
            Type::INT8 => self.data.extend(wire::int8(raw)?.to_le_bytes()),
            Type::FLOAT4 => self.data.extend(f64::from(wire::float4(raw)?).to_le_bytes()),
            Type::FLOAT8 => self.data.extend(wire::float8(raw)?.to_le_bytes()),
            Type::BOOL => {
                if index.is_multiple_of(8) {
                    self.data.push(0);
                }
                if wire::bool(raw)? {
                    *self.data.last_mut().expect("pushed above") |= 1 << (index % 8);
                }
            }
            Type::TIMESTAMPTZ | Type::TIMESTAMP => {
                let micros = wire::clamp_micros(wire::timestamp(raw)?);
                self.data.extend((micros + PG_EPOCH_UNIX_MICROS).to_le_bytes());
            }
            Type::DATE => {
                let days = wire::clamp_days(wire::date(raw)?);
                self.data.extend((days + PG_EPOCH_UNIX_DAYS).to_le_bytes());
            }
            _ => {
                wire::text(raw)?;
                self.data.extend_from_slice(raw);
                self.offsets.extend(offset(self.data.len()));
            }
        }
        Ok(())
    }
}

/// An Arrow large_string offset.
fn offset(len: usize) -> [u8; 8] {
    i64::try_from(len).expect("under 8 EiB of text").to_le_bytes()
}

#[pymethods]
impl ResultSet {
    fn __len__(&self) -> usize {
        self.rows.locked().len()
    }

    /// Every row as a tuple (made now, from the wire bytes).
    fn tuples<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let rows = self.rows.locked();
        let list = PyList::empty(py);
        for row in rows.iter() {
            list.append(convert::row(py, row)?)?;
        }
        Ok(list)
    }

    /// For each column: (kind, null count, validity, data, offsets, objects).
    /// `kind` "object" means: build it from `objects` (a list of Python values).
    fn arrow_columns<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let rows = self.rows.locked();
        let Some(first) = rows.first() else { return Ok(Vec::new()) };
        let columns = first.columns();
        let mut out = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            let ty = column.type_();
            let entry = match Builder::new(ty, rows.len()) {
                Some(mut builder) => {
                    for (index, row) in rows.iter().enumerate() {
                        let raw = wire::raw(row, i)?;
                        builder.push(index, raw, ty).map_err(|p| wire::column_error(column.name(), &p))?;
                    }
                    let validity = (builder.nulls > 0).then(|| PyBytes::new(py, &builder.validity));
                    let offsets = (builder.kind == "string").then(|| PyBytes::new(py, &builder.offsets));
                    let data = Some(PyBytes::new(py, &builder.data));
                    (builder.kind, builder.nulls, validity, data, offsets, None::<Bound<'py, PyList>>)
                        .into_pyobject(py)?
                }
                None => {
                    let objects = PyList::empty(py);
                    for row in rows.iter() {
                        objects.append(convert::cell(py, row, i)?)?;
                    }
                    let none = None::<Bound<'py, PyBytes>>;
                    ("object", 0usize, none.clone(), none.clone(), none, Some(objects)).into_pyobject(py)?
                }
            };
            out.push(entry);
        }
        Ok(out)
    }
}
