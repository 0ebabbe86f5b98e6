//! Result values as owned [`Value`]s (Send, no Python), for the CLI and
//! for the Python types without a direct path. Every byte is read by
//! [`wire`]; this only chooses the owned form.

use tokio_postgres::types::Type;

use super::wire::{self, Decoded, Kind, Problem};

pub use super::wire::MAX_ARRAY_DIMS;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Decimal text, or "NaN" / "Infinity" / "-Infinity".
    Numeric(String),
    Text(String),
    Bytes(Vec<u8>),
    /// Days since 2000-01-01; i32::MAX / i32::MIN are +/- infinity.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// timetz: microseconds since midnight, and the zone's offset in seconds east of UTC.
    TimeTz {
        micros: i64,
        offset: i32,
    },
    /// Microseconds since 2000-01-01 (no zone); i64::MAX / MIN are infinity.
    Timestamp(i64),
    /// Microseconds since 2000-01-01 UTC.
    TimestampTz(i64),
    Interval {
        months: i32,
        days: i32,
        micros: i64,
    },
    Uuid([u8; 16]),
    /// JSON text, parsed on the Python side.
    Json(String),
    Array(Vec<Value>),
}

/// Every column of a row as owned values.
pub fn row_values(row: &tokio_postgres::Row) -> crate::Result<Vec<Value>> {
    let columns = row.columns();
    (0..row.len())
        .map(|i| match wire::raw(row, i)? {
            None => Ok(Value::Null),
            Some(raw) => decode(columns[i].type_(), raw).map_err(|p| wire::column_error(columns[i].name(), &p)),
        })
        .collect()
}

/// One non-NULL value.
pub fn decode(ty: &Type, raw: &[u8]) -> Decoded<Value> {
    Ok(match Kind::of(ty) {
        Kind::Bool => Value::Bool(wire::bool(raw)?),
        Kind::Int2 => Value::Int(wire::int2(raw)?.into()),
        Kind::Int4 => Value::Int(wire::int4(raw)?.into()),
        Kind::Int8 => Value::Int(wire::int8(raw)?),
        Kind::Oid => Value::Int(wire::oid(raw)?.into()),
        Kind::Float4 => Value::Float(wire::float4(raw)?.into()),
        Kind::Float8 => Value::Float(wire::float8(raw)?),
        Kind::Numeric => Value::Numeric(wire::numeric(raw)?.to_text()),
        Kind::Bytea => Value::Bytes(raw.to_vec()),
        Kind::Date => Value::Date(wire::date(raw)?),
        Kind::Time => Value::Time(wire::time(raw)?),
        Kind::TimeTz => {
            let (micros, offset) = wire::timetz(raw)?;
            Value::TimeTz { micros, offset }
        }
        Kind::Timestamp => Value::Timestamp(wire::timestamp(raw)?),
        Kind::TimestampTz => Value::TimestampTz(wire::timestamp(raw)?),
        Kind::Interval => {
            let (months, days, micros) = wire::interval(raw)?;
            Value::Interval { months, days, micros }
        }
        Kind::Uuid => Value::Uuid(wire::uuid(raw)?),
        Kind::Json => Value::Json(wire::json(raw, false)?.to_string()),
        Kind::Jsonb => Value::Json(wire::json(raw, true)?.to_string()),
        Kind::Char => Value::Text(wire::char(raw)),
        Kind::Text => Value::Text(wire::text(raw)?.to_string()),
        Kind::Inet => Value::Text(wire::inet(raw, false)?),
        Kind::Cidr => Value::Text(wire::inet(raw, true)?),
        Kind::Money => Value::Numeric(wire::money(raw)?),
        Kind::Array => array(wire::member(ty).ok_or(Problem::from("bad array type"))?, raw)?,
        Kind::Other => Value::Text(wire::other(raw).into_owned()),
    })
}

fn array(member: &Type, raw: &[u8]) -> Decoded<Value> {
    let wire::Array { dims, elements } = wire::array(raw)?;
    if elements.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let flat = elements
        .into_iter()
        .map(|e| e.map_or(Ok(Value::Null), |bytes| decode(member, bytes)))
        .collect::<Decoded<Vec<_>>>()?;
    Ok(nest(&mut flat.into_iter(), &dims))
}

fn nest(items: &mut impl Iterator<Item = Value>, dims: &[usize]) -> Value {
    match dims {
        [] => items.next().unwrap_or(Value::Null),
        [n] => Value::Array(items.take(*n).collect()),
        [n, rest @ ..] => Value::Array((0..*n).map(|_| nest(items, rest)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::types::Kind as PgKind;

    #[test]
    fn unknown_types_degrade_to_text() {
        let ty = Type::new("geometry".into(), 99999, PgKind::Simple, "public".into());
        assert_eq!(decode(&ty, b"POINT(1 2)").unwrap(), Value::Text("POINT(1 2)".into()));
    }

    #[test]
    fn arrays_decode_nested_with_nulls() {
        let mut raw = Vec::new();
        for n in [2i32, 0, 23, 2, 1, 1, 1, 4, 1, -1] {
            raw.extend(n.to_be_bytes());
        }
        assert_eq!(
            decode(&Type::INT4_ARRAY, &raw).unwrap(),
            Value::Array(vec![Value::Array(vec![Value::Int(1)]), Value::Array(vec![Value::Null])])
        );
    }

    #[test]
    fn timetz_and_char() {
        // 12:57:18 at UTC-05:00: the wire has the offset in seconds west.
        let raw = [&46_638_000_000_i64.to_be_bytes()[..], &18_000_i32.to_be_bytes()[..]].concat();
        assert_eq!(decode(&Type::TIMETZ, &raw).unwrap(), Value::TimeTz { micros: 46_638_000_000, offset: -18_000 });
        assert_eq!(crate::pg::wire::timetz_text(46_638_000_000, -18_000), "12:57:18-05:00");
        assert_eq!(decode(&Type::CHAR, &[0]).unwrap(), Value::Text(String::new()));
        assert_eq!(decode(&Type::CHAR, b"s").unwrap(), Value::Text("s".into()));
    }
}
