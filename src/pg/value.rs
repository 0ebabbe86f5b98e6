//! Result values decoded from PostgreSQL's binary format into owned
//! [`Value`]s (Send, no Python), so rows are decoded with the GIL released.
//! A type we do not know never fails a query: it comes back as text.

use std::error::Error as StdError;

use tokio_postgres::types::{FromSql, Kind, Type};

type BoxError = Box<dyn StdError + Sync + Send>;

/// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
pub const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

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

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
        decode(ty, raw)
    }

    fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn take<const N: usize>(raw: &[u8], at: usize) -> Result<[u8; N], BoxError> {
    raw.get(at..at + N).and_then(|s| s.try_into().ok()).ok_or_else(|| "truncated value".into())
}

fn i16_at(raw: &[u8], at: usize) -> Result<i16, BoxError> {
    Ok(i16::from_be_bytes(take(raw, at)?))
}

fn i32_at(raw: &[u8], at: usize) -> Result<i32, BoxError> {
    Ok(i32::from_be_bytes(take(raw, at)?))
}

fn i64_at(raw: &[u8], at: usize) -> Result<i64, BoxError> {
    Ok(i64::from_be_bytes(take(raw, at)?))
}

fn text(raw: &[u8]) -> Value {
    Value::Text(String::from_utf8_lossy(raw).into_owned())
}

/// A column's raw binary bytes (None for NULL), for converters that build
/// their own objects without going through [`Value`].
pub struct Raw<'a>(pub Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Raw<'a>, BoxError> {
        Ok(Raw(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> Result<Raw<'a>, BoxError> {
        Ok(Raw(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Every column of a row as owned values.
pub fn row_values(row: &tokio_postgres::Row) -> crate::Result<Vec<Value>> {
    (0..row.len())
        .map(|i| {
            row.try_get::<_, Value>(i)
                .map_err(|e| crate::Error::Data(format!("cannot decode column {:?}: {e}", row.columns()[i].name())))
        })
        .collect()
}

pub fn decode(ty: &Type, raw: &[u8]) -> Result<Value, BoxError> {
    Ok(match *ty {
        Type::BOOL => Value::Bool(raw.first().copied().unwrap_or(0) != 0),
        Type::INT2 => Value::Int(i16_at(raw, 0)?.into()),
        Type::INT4 => Value::Int(i32_at(raw, 0)?.into()),
        Type::INT8 => Value::Int(i64_at(raw, 0)?),
        Type::OID | Type::XID | Type::CID => Value::Int(u32::from_be_bytes(take(raw, 0)?).into()),
        Type::FLOAT4 => Value::Float(f32::from_be_bytes(take(raw, 0)?).into()),
        Type::FLOAT8 => Value::Float(f64::from_be_bytes(take(raw, 0)?)),
        Type::NUMERIC => Value::Numeric(numeric(raw)?),
        Type::BYTEA => Value::Bytes(raw.to_vec()),
        Type::DATE => Value::Date(i32_at(raw, 0)?),
        Type::TIME => Value::Time(i64_at(raw, 0)?),
        // The local time, then the zone's offset in seconds *west* of UTC.
        Type::TIMETZ => Value::TimeTz { micros: i64_at(raw, 0)?, offset: -i32_at(raw, 8)? },
        Type::TIMESTAMP => Value::Timestamp(i64_at(raw, 0)?),
        Type::TIMESTAMPTZ => Value::TimestampTz(i64_at(raw, 0)?),
        Type::INTERVAL => Value::Interval { micros: i64_at(raw, 0)?, days: i32_at(raw, 8)?, months: i32_at(raw, 12)? },
        Type::UUID => Value::Uuid(take(raw, 0)?),
        Type::JSON => Value::Json(String::from_utf8(raw.to_vec())?),
        // jsonb's binary form is a version byte (1) and the JSON text.
        Type::JSONB => Value::Json(String::from_utf8(raw.get(1..).unwrap_or_default().to_vec())?),
        // "char" NUL is the empty string in PostgreSQL's own text form (catalogs
        // use it for "none", e.g. pg_attribute.attgenerated).
        Type::CHAR => Value::Text(match raw.first() {
            None | Some(0) => String::new(),
            Some(&b) => char::from(b).to_string(),
        }),
        // Text must be text: a SQL_ASCII database can hold bytes that are not.
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => Value::Text(
            String::from_utf8(raw.to_vec())
                .map_err(|e| format!("text that is not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()))?,
        ),
        Type::INET | Type::CIDR => Value::Text(inet(raw, *ty == Type::CIDR)?),
        Type::MONEY => Value::Numeric(cents(i64_at(raw, 0)?)),
        _ => match ty.kind() {
            Kind::Array(member) => array(member, raw)?,
            Kind::Domain(base) => decode(base, raw)?,
            // Text-like types (text, varchar, name, enums, xml, citext, Redshift's
            // own) are sent as their text; anything else degrades to text too.
            _ => text(raw),
        },
    })
}

/// PostgreSQL's binary numeric: base-10000 digits with a weight and scale.
fn numeric(raw: &[u8]) -> Result<String, BoxError> {
    let ndigits = usize::try_from(i16_at(raw, 0)?).map_err(|_| "bad numeric")?;
    let weight = i32::from(i16_at(raw, 2)?);
    let sign = u16::from_be_bytes(take(raw, 4)?);
    let dscale = usize::from(u16::from_be_bytes(take(raw, 6)?));
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    let digits: Vec<i16> = (0..ndigits).map(|k| i16_at(raw, 8 + 2 * k)).collect::<Result<_, _>>()?;
    let mut int_part = String::new();
    let mut frac_part = String::new();
    // Digit k is worth digit * 10000^(weight - k).
    let digit = |k: i32| usize::try_from(k).ok().and_then(|k| digits.get(k)).copied().unwrap_or(0);
    for k in 0..=weight {
        let d = digit(k);
        if int_part.is_empty() {
            if d != 0 {
                int_part = d.to_string();
            }
        } else {
            int_part.push_str(&format!("{d:04}"));
        }
    }
    if int_part.is_empty() {
        int_part.push('0');
    }
    let mut k = weight + 1;
    while frac_part.len() < dscale {
        frac_part.push_str(&format!("{:04}", digit(k)));
        k += 1;
    }
    frac_part.truncate(dscale);
    let mut out = String::with_capacity(int_part.len() + frac_part.len() + 2);
    if sign == 0x4000 {
        out.push('-');
    }
    out.push_str(&int_part);
    if dscale > 0 {
        out.push('.');
        out.push_str(&frac_part);
    }
    Ok(out)
}

fn cents(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let v = value.unsigned_abs();
    format!("{sign}{}.{:02}", v / 100, v % 100)
}

fn inet(raw: &[u8], cidr: bool) -> Result<String, BoxError> {
    let family = *raw.first().ok_or("truncated inet")?;
    let bits = *raw.get(1).ok_or("truncated inet")?;
    let addr = raw.get(4..).unwrap_or_default();
    let (text, full) = match family {
        2 => (std::net::Ipv4Addr::from(<[u8; 4]>::try_from(addr)?).to_string(), 32),
        _ => (std::net::Ipv6Addr::from(<[u8; 16]>::try_from(addr)?).to_string(), 128),
    };
    Ok(if cidr || bits != full { format!("{text}/{bits}") } else { text })
}

/// PostgreSQL's own limit on array dimensions (MAXDIM).
pub const MAX_ARRAY_DIMS: usize = 6;

/// One-dimensional or nested arrays; NULL elements allowed. The sizes come
/// from the server: they are checked against the bytes present before
/// anything is allocated, so a hostile value is an error, never an abort.
fn array(member: &Type, raw: &[u8]) -> Result<Value, BoxError> {
    let ndim = usize::try_from(i32_at(raw, 0)?).map_err(|_| "bad array")?;
    if ndim == 0 {
        return Ok(Value::Array(Vec::new()));
    }
    if ndim > MAX_ARRAY_DIMS {
        return Err(format!("an array with {ndim} dimensions (PostgreSQL allows {MAX_ARRAY_DIMS})").into());
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|d| i32_at(raw, 12 + 8 * d).and_then(|n| usize::try_from(n).map_err(|_| "bad array dimension".into())))
        .collect::<Result<_, _>>()?;
    let mut at = 12 + 8 * ndim;
    // Every element takes at least its 4-byte length.
    let room = raw.len().saturating_sub(at) / 4;
    let total = dims
        .iter()
        .try_fold(1usize, |n, d| n.checked_mul(*d))
        .filter(|n| *n <= room)
        .ok_or("array dimensions larger than its data")?;
    if total == 0 {
        return Ok(Value::Array(Vec::new()));
    }
    let mut flat = Vec::with_capacity(total);
    for _ in 0..total {
        let len = i32_at(raw, at)?;
        at += 4;
        if len < 0 {
            flat.push(Value::Null);
        } else {
            let end = at.checked_add(usize::try_from(len)?).ok_or("truncated array element")?;
            let bytes = raw.get(at..end).ok_or("truncated array element")?;
            flat.push(decode(member, bytes)?);
            at = end;
        }
    }
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

    fn num(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> String {
        let mut raw = Vec::new();
        raw.extend(ndigits.to_be_bytes());
        raw.extend(weight.to_be_bytes());
        raw.extend(sign.to_be_bytes());
        raw.extend(dscale.to_be_bytes());
        for d in digits {
            raw.extend(d.to_be_bytes());
        }
        numeric(&raw).unwrap()
    }

    #[test]
    fn numerics() {
        assert_eq!(num(2, 0, 0, 2, &[12, 3400]), "12.34");
        assert_eq!(num(1, 1, 0, 0, &[1]), "10000");
        assert_eq!(num(2, 1, 0x4000, 0, &[1, 2]), "-10002");
        assert_eq!(num(1, -1, 0, 4, &[5]), "0.0005");
        assert_eq!(num(1, -2, 0, 6, &[12]), "0.000000");
        assert_eq!(num(0, 0, 0, 3, &[]), "0.000");
        assert_eq!(num(0, 0, 0xC000, 0, &[]), "NaN");
        assert_eq!(num(0, 0, 0xD000, 0, &[]), "Infinity");
        assert_eq!(num(3, 0, 0, 10, &[1, 2345, 6789]), "1.2345678900");
    }

    #[test]
    fn unknown_types_degrade_to_text() {
        let ty = Type::new("geometry".into(), 99999, Kind::Simple, "public".into());
        assert_eq!(decode(&ty, b"POINT(1 2)").unwrap(), Value::Text("POINT(1 2)".into()));
    }

    fn array_bytes(dims: &[i32], elements: &[Option<&[u8]>]) -> Vec<u8> {
        let mut raw = Vec::new();
        raw.extend(i32::try_from(dims.len()).unwrap().to_be_bytes());
        raw.extend(0i32.to_be_bytes()); // no NULL bitmap flag needed here
        raw.extend(Type::INT4.oid().to_be_bytes());
        for d in dims {
            raw.extend(d.to_be_bytes());
            raw.extend(1i32.to_be_bytes()); // lower bound
        }
        for e in elements {
            match e {
                None => raw.extend((-1i32).to_be_bytes()),
                Some(b) => {
                    raw.extend(i32::try_from(b.len()).unwrap().to_be_bytes());
                    raw.extend(*b);
                }
            }
        }
        raw
    }

    #[test]
    fn arrays_decode_nested_with_nulls() {
        let one = 1i32.to_be_bytes();
        let raw = array_bytes(&[2, 1], &[Some(&one), None]);
        assert_eq!(
            decode(&Type::INT4_ARRAY, &raw).unwrap(),
            Value::Array(vec![Value::Array(vec![Value::Int(1)]), Value::Array(vec![Value::Null])])
        );
    }

    #[test]
    fn hostile_array_headers_are_errors_not_aborts() {
        let one = 1i32.to_be_bytes();
        // 65536^3 elements claimed by a 36-byte value; products that overflow;
        // more dimensions than PostgreSQL has; zero-length dimensions that
        // would nest billions of empty lists; lengths past the end.
        let cases = [
            array_bytes(&[65536, 65536, 65536], &[Some(&one)]),
            array_bytes(&[i32::MAX, i32::MAX, i32::MAX, i32::MAX], &[]),
            array_bytes(&[1; 7], &[Some(&one)]),
            array_bytes(&[3], &[Some(&one)]),
            array_bytes(&[-1], &[]),
        ];
        for raw in &cases {
            assert!(decode(&Type::INT4_ARRAY, raw).is_err(), "{raw:?}");
        }
        assert_eq!(decode(&Type::INT4_ARRAY, &array_bytes(&[i32::MAX, 0], &[])).unwrap(), Value::Array(vec![]));
        let mut lying = array_bytes(&[1], &[]);
        lying.extend(i32::MAX.to_be_bytes());
        assert!(decode(&Type::INT4_ARRAY, &lying).is_err());
    }

    #[test]
    fn timetz_and_char() {
        // 12:57:18 at UTC-05:00: the wire has the offset in seconds west.
        let raw = [&46_638_000_000_i64.to_be_bytes()[..], &18_000_i32.to_be_bytes()[..]].concat();
        assert_eq!(decode(&Type::TIMETZ, &raw).unwrap(), Value::TimeTz { micros: 46_638_000_000, offset: -18_000 });
        assert_eq!(decode(&Type::CHAR, &[0]).unwrap(), Value::Text(String::new()));
        assert_eq!(decode(&Type::CHAR, b"s").unwrap(), Value::Text("s".into()));
    }

    #[test]
    fn money_and_inet() {
        assert_eq!(cents(-12345), "-123.45");
        assert_eq!(inet(&[2, 32, 0, 4, 127, 0, 0, 1], false).unwrap(), "127.0.0.1");
        assert_eq!(inet(&[2, 8, 1, 4, 10, 0, 0, 0], true).unwrap(), "10.0.0.0/8");
    }
}
