//! One Arrow column built from wire bytes, through [`wire`]'s decoders.

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder,
    Int16Builder, Int32Builder, Int64Builder, IntervalMonthDayNanoBuilder, StringBuilder, Time64MicrosecondBuilder,
    TimestampMicrosecondBuilder, UInt32Builder,
};
use arrow_array::types::IntervalMonthDayNano;
use arrow_array::{Array, ListArray};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, FieldRef, IntervalUnit, TimeUnit};
use tokio_postgres::types::Type;

use crate::pg::wire::{self, Decoded, Kind, PG_EPOCH_UNIX_DAYS, PG_EPOCH_UNIX_MICROS, Problem};

/// The largest precision Decimal128 holds.
const DECIMAL128_MAX_PRECISION: u8 = 38;

pub enum Col {
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U32(UInt32Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    /// Text of any kind: text itself, json, uuid, inet, numeric without a
    /// declared precision, and every type we have no Arrow type for.
    Text(StringBuilder, Kind),
    Bytes(BinaryBuilder),
    Date(Date32Builder),
    Time(Time64MicrosecondBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Decimal(Decimal128Builder, u32),
    Interval(IntervalMonthDayNanoBuilder),
    List(Box<ListCol>),
}

pub struct ListCol {
    field: FieldRef,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    values: Col,
}

/// numeric(p, s)'s modifier: ((p << 16) | s) + 4; -1 without one.
fn precision_scale(type_modifier: i32) -> Option<(u8, i8)> {
    let t = type_modifier.checked_sub(4).filter(|t| *t >= 0)?;
    let precision = u8::try_from((t >> 16) & 0xffff).ok().filter(|p| (1..=DECIMAL128_MAX_PRECISION).contains(p))?;
    let scale = i8::try_from(t & 0xffff).ok().filter(|s| *s >= 0 && s.unsigned_abs() <= precision)?;
    Some((precision, scale))
}

impl Col {
    pub fn new(ty: &Type, type_modifier: i32) -> Col {
        let kind = Kind::of(ty);
        match kind {
            Kind::Int2 => Col::I16(Int16Builder::new()),
            Kind::Int4 => Col::I32(Int32Builder::new()),
            Kind::Int8 => Col::I64(Int64Builder::new()),
            Kind::Oid => Col::U32(UInt32Builder::new()),
            Kind::Float4 => Col::F32(Float32Builder::new()),
            Kind::Float8 => Col::F64(Float64Builder::new()),
            Kind::Bool => Col::Bool(BooleanBuilder::new()),
            Kind::Bytea => Col::Bytes(BinaryBuilder::new()),
            Kind::Date => Col::Date(Date32Builder::new()),
            Kind::Time => Col::Time(Time64MicrosecondBuilder::new()),
            Kind::Timestamp => Col::Timestamp(TimestampMicrosecondBuilder::new()),
            Kind::TimestampTz => Col::Timestamp(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
            Kind::Interval => Col::Interval(IntervalMonthDayNanoBuilder::new()),
            Kind::Numeric => match precision_scale(type_modifier) {
                Some((p, s)) => Col::Decimal(
                    Decimal128Builder::new().with_precision_and_scale(p, s).expect("checked above"),
                    u32::from(s.unsigned_abs()),
                ),
                None => Col::Text(StringBuilder::new(), kind),
            },
            Kind::Array => match wire::member(ty) {
                Some(member) => {
                    let values = Col::new(member, -1);
                    let field = Arc::new(Field::new("item", values.data_type(), true));
                    Col::List(Box::new(ListCol { field, offsets: vec![0], nulls: NullBufferBuilder::new(0), values }))
                }
                None => Col::Text(StringBuilder::new(), Kind::Other),
            },
            _ => Col::Text(StringBuilder::new(), kind),
        }
    }

    pub fn data_type(&self) -> DataType {
        match self {
            Col::I16(_) => DataType::Int16,
            Col::I32(_) => DataType::Int32,
            Col::I64(_) => DataType::Int64,
            Col::U32(_) => DataType::UInt32,
            Col::F32(_) => DataType::Float32,
            Col::F64(_) => DataType::Float64,
            Col::Bool(_) => DataType::Boolean,
            Col::Text(..) => DataType::Utf8,
            Col::Bytes(_) => DataType::Binary,
            Col::Date(_) => DataType::Date32,
            Col::Time(_) => DataType::Time64(TimeUnit::Microsecond),
            Col::Timestamp(b) => b.finish_cloned().data_type().clone(),
            Col::Decimal(b, _) => b.finish_cloned().data_type().clone(),
            Col::Interval(_) => DataType::Interval(IntervalUnit::MonthDayNano),
            Col::List(list) => DataType::List(list.field.clone()),
        }
    }

    /// Appends one value (None for NULL).
    pub fn push(&mut self, raw: Option<&[u8]>) -> Decoded<()> {
        let Some(raw) = raw else {
            self.push_null();
            return Ok(());
        };
        match self {
            Col::I16(b) => b.append_value(wire::int2(raw)?),
            Col::I32(b) => b.append_value(wire::int4(raw)?),
            Col::I64(b) => b.append_value(wire::int8(raw)?),
            Col::U32(b) => b.append_value(wire::oid(raw)?),
            Col::F32(b) => b.append_value(wire::float4(raw)?),
            Col::F64(b) => b.append_value(wire::float8(raw)?),
            Col::Bool(b) => b.append_value(wire::bool(raw)?),
            Col::Bytes(b) => b.append_value(raw),
            Col::Date(b) => b.append_value(wire::clamp_days(wire::date(raw)?) + PG_EPOCH_UNIX_DAYS),
            Col::Time(b) => b.append_value(wire::time(raw)?),
            Col::Timestamp(b) => b.append_value(wire::clamp_micros(wire::timestamp(raw)?) + PG_EPOCH_UNIX_MICROS),
            Col::Interval(b) => {
                let (months, days, micros) = wire::interval(raw)?;
                b.append_value(IntervalMonthDayNano::new(months, days, micros.saturating_mul(1000)));
            }
            Col::Decimal(b, scale) => {
                let n = wire::numeric(raw)?;
                match n.scaled(*scale) {
                    Some(v) => b.append_value(v),
                    // NaN and the infinities have no Decimal128 form.
                    None if n.special().is_some() => b.append_null(),
                    None => return Err(Problem::from("a numeric beyond its declared precision")),
                }
            }
            Col::Text(b, kind) => match kind {
                Kind::Text => b.append_value(wire::text(raw)?),
                Kind::Json => b.append_value(wire::json(raw, false)?),
                Kind::Jsonb => b.append_value(wire::json(raw, true)?),
                Kind::Char => b.append_value(wire::char(raw)),
                Kind::TimeTz => {
                    let (micros, offset) = wire::timetz(raw)?;
                    b.append_value(wire::timetz_text(micros, offset));
                }
                Kind::Uuid => b.append_value(uuid::Uuid::from_bytes(wire::uuid(raw)?).hyphenated().to_string()),
                Kind::Numeric => b.append_value(wire::numeric(raw)?.to_text()),
                Kind::Inet => b.append_value(wire::inet(raw, false)?),
                Kind::Cidr => b.append_value(wire::inet(raw, true)?),
                Kind::Money => b.append_value(wire::money(raw)?),
                _ => b.append_value(wire::other(raw)),
            },
            Col::List(list) => {
                let array = wire::array(raw)?;
                if array.dims.len() > 1 {
                    return Err(Problem::from(
                        "a multi-dimensional array has no Arrow list form here: unnest it or cast it to text",
                    ));
                }
                for element in array.elements {
                    list.values.push(element)?;
                }
                let end = list.offsets.last().copied().unwrap_or(0) + list_len(&list.values)?;
                list.offsets.push(end);
                list.nulls.append_non_null();
            }
        }
        Ok(())
    }

    fn push_null(&mut self) {
        match self {
            Col::I16(b) => b.append_null(),
            Col::I32(b) => b.append_null(),
            Col::I64(b) => b.append_null(),
            Col::U32(b) => b.append_null(),
            Col::F32(b) => b.append_null(),
            Col::F64(b) => b.append_null(),
            Col::Bool(b) => b.append_null(),
            Col::Text(b, _) => b.append_null(),
            Col::Bytes(b) => b.append_null(),
            Col::Date(b) => b.append_null(),
            Col::Time(b) => b.append_null(),
            Col::Timestamp(b) => b.append_null(),
            Col::Decimal(b, _) => b.append_null(),
            Col::Interval(b) => b.append_null(),
            Col::List(list) => {
                let end = list.offsets.last().copied().unwrap_or(0);
                list.offsets.push(end);
                list.nulls.append_null();
            }
        }
    }

    /// The values so far as an array; the builder starts over.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Col::I16(b) => Arc::new(b.finish()),
            Col::I32(b) => Arc::new(b.finish()),
            Col::I64(b) => Arc::new(b.finish()),
            Col::U32(b) => Arc::new(b.finish()),
            Col::F32(b) => Arc::new(b.finish()),
            Col::F64(b) => Arc::new(b.finish()),
            Col::Bool(b) => Arc::new(b.finish()),
            Col::Text(b, _) => Arc::new(b.finish()),
            Col::Bytes(b) => Arc::new(b.finish()),
            Col::Date(b) => Arc::new(b.finish()),
            Col::Time(b) => Arc::new(b.finish()),
            Col::Timestamp(b) => Arc::new(b.finish()),
            Col::Decimal(b, _) => Arc::new(b.finish()),
            Col::Interval(b) => Arc::new(b.finish()),
            Col::List(list) => {
                let offsets = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(&mut list.offsets, vec![0])));
                let values = list.values.finish();
                Arc::new(ListArray::new(list.field.clone(), offsets, values, list.nulls.finish()))
            }
        }
    }
}

/// How many values a list's child holds so far, as an offset.
fn list_len(values: &Col) -> Decoded<i32> {
    let len = match values {
        Col::I16(b) => b.len(),
        Col::I32(b) => b.len(),
        Col::I64(b) => b.len(),
        Col::U32(b) => b.len(),
        Col::F32(b) => b.len(),
        Col::F64(b) => b.len(),
        Col::Bool(b) => b.len(),
        Col::Text(b, _) => b.len(),
        Col::Bytes(b) => b.len(),
        Col::Date(b) => b.len(),
        Col::Time(b) => b.len(),
        Col::Timestamp(b) => b.len(),
        Col::Decimal(b, _) => b.len(),
        Col::Interval(b) => b.len(),
        Col::List(list) => list.offsets.len() - 1,
    };
    i32::try_from(len).map_err(|_| Problem::from("an array too large for one Arrow batch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_modifiers() {
        assert_eq!(precision_scale(((12 << 16) | 2) + 4), Some((12, 2)));
        assert_eq!(precision_scale(-1), None);
        assert_eq!(precision_scale(((40 << 16) | 2) + 4), None, "past Decimal128");
    }
}
