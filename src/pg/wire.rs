//! PostgreSQL's binary wire format, decoded once per type: the one place
//! that knows how a column's bytes become typed values. The CLI's [`Value`]s
//! (value.rs), Python's tuples and Arrow's buffers (python/) all call these
//! functions, so every path agrees on the epoch, on how dates beyond a
//! target's range are clamped, and on what a failure says.
//!
//! [`Value`]: super::value::Value

use std::fmt;

use tokio_postgres::types::{FromSql, Kind as PgKind, Type};

/// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
pub const PG_EPOCH_UNIX_DAYS: i32 = 10_957;
pub const MICROS_PER_DAY: i64 = 86_400_000_000;
/// Microseconds from 1970-01-01 to PostgreSQL's epoch.
pub const PG_EPOCH_UNIX_MICROS: i64 = PG_EPOCH_UNIX_DAYS as i64 * MICROS_PER_DAY;
/// PostgreSQL's own limit on array dimensions (MAXDIM).
pub const MAX_ARRAY_DIMS: usize = 6;

/// The days (since 2000-01-01) of 0001-01-01 and 9999-12-31: the range of
/// Python's `date` and of what Arrow consumers (pandas) expect.
pub const FIRST_DAY: i32 = -730_119;
pub const LAST_DAY: i32 = 2_921_939;

/// Why a value could not be decoded. Shown as `column "name": <this>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Truncated,
    NotUtf8 { at: usize },
    Bad(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Truncated => f.write_str("truncated value"),
            Problem::NotUtf8 { at } => write!(
                f,
                "text that is not valid UTF-8 (at byte {at}); the database's encoding is probably SQL_ASCII: \
                 convert it in SQL (e.g. convert_to(col, 'LATIN1')) or select it as bytea"
            ),
            Problem::Bad(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for Problem {}

impl From<&str> for Problem {
    fn from(what: &str) -> Self {
        Problem::Bad(what.to_string())
    }
}

/// The one message for a column that cannot be decoded, on every path.
pub fn column_error(column: &str, problem: &Problem) -> crate::Error {
    crate::Error::Data(format!("cannot decode column {column:?}: {problem}"))
}

pub type Decoded<T> = Result<T, Problem>;

/// How a column's bytes are read: one decoder per wire type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int2,
    Int4,
    Int8,
    /// oid, xid, cid: unsigned 32-bit.
    Oid,
    Float4,
    Float8,
    Numeric,
    /// text, varchar, bpchar, name: must be UTF-8.
    Text,
    /// The one-byte "char".
    Char,
    Bytea,
    Date,
    Time,
    /// timetz: the local time and the zone's offset.
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Jsonb,
    Inet,
    Cidr,
    Money,
    Array,
    /// Anything else is sent as its text (enums, xml, citext, Redshift's own);
    /// a type we do not know never fails a query.
    Other,
}

impl Kind {
    pub fn of(ty: &Type) -> Kind {
        match *ty {
            Type::BOOL => Kind::Bool,
            Type::INT2 => Kind::Int2,
            Type::INT4 => Kind::Int4,
            Type::INT8 => Kind::Int8,
            Type::OID | Type::XID | Type::CID => Kind::Oid,
            Type::FLOAT4 => Kind::Float4,
            Type::FLOAT8 => Kind::Float8,
            Type::NUMERIC => Kind::Numeric,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => Kind::Text,
            Type::CHAR => Kind::Char,
            Type::BYTEA => Kind::Bytea,
            Type::DATE => Kind::Date,
            Type::TIME => Kind::Time,
            Type::TIMETZ => Kind::TimeTz,
            Type::TIMESTAMP => Kind::Timestamp,
            Type::TIMESTAMPTZ => Kind::TimestampTz,
            Type::INTERVAL => Kind::Interval,
            Type::UUID => Kind::Uuid,
            Type::JSON => Kind::Json,
            Type::JSONB => Kind::Jsonb,
            Type::INET => Kind::Inet,
            Type::CIDR => Kind::Cidr,
            Type::MONEY => Kind::Money,
            _ => match ty.kind() {
                PgKind::Array(_) => Kind::Array,
                PgKind::Domain(base) => Kind::of(base),
                _ => Kind::Other,
            },
        }
    }
}

/// The element type of an array type (through domains).
pub fn member(ty: &Type) -> Option<&Type> {
    match ty.kind() {
        PgKind::Array(member) => Some(member),
        PgKind::Domain(base) => member(base),
        _ => None,
    }
}

/// A column's raw binary bytes (None for NULL), as tokio-postgres hands them over.
pub struct Raw<'a>(pub Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Raw<'a>, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> Result<Raw<'a>, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Column `i` of a row as bytes (None for NULL).
pub fn raw(row: &tokio_postgres::Row, i: usize) -> crate::Result<Option<&[u8]>> {
    row.try_get::<_, Raw<'_>>(i)
        .map(|Raw(raw)| raw)
        .map_err(|e| column_error(row.columns()[i].name(), &Problem::Bad(e.to_string())))
}

fn take<const N: usize>(raw: &[u8], at: usize) -> Decoded<[u8; N]> {
    raw.get(at..at + N).and_then(|s| s.try_into().ok()).ok_or(Problem::Truncated)
}

#[inline]
pub fn bool(raw: &[u8]) -> Decoded<bool> {
    Ok(take::<1>(raw, 0)?[0] != 0)
}

#[inline]
pub fn int2(raw: &[u8]) -> Decoded<i16> {
    Ok(i16::from_be_bytes(take(raw, 0)?))
}

#[inline]
pub fn int4(raw: &[u8]) -> Decoded<i32> {
    Ok(i32::from_be_bytes(take(raw, 0)?))
}

#[inline]
pub fn int8(raw: &[u8]) -> Decoded<i64> {
    Ok(i64::from_be_bytes(take(raw, 0)?))
}

pub fn oid(raw: &[u8]) -> Decoded<u32> {
    Ok(u32::from_be_bytes(take(raw, 0)?))
}

#[inline]
pub fn float4(raw: &[u8]) -> Decoded<f32> {
    Ok(f32::from_be_bytes(take(raw, 0)?))
}

#[inline]
pub fn float8(raw: &[u8]) -> Decoded<f64> {
    Ok(f64::from_be_bytes(take(raw, 0)?))
}

/// Text must be text: a SQL_ASCII database can hold bytes that are not.
#[inline]
pub fn text(raw: &[u8]) -> Decoded<&str> {
    std::str::from_utf8(raw).map_err(|e| Problem::NotUtf8 { at: e.valid_up_to() })
}

/// A type we do not know, as its text (never an error).
pub fn other(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(raw)
}

/// The one-byte "char"; NUL is the empty string, as in PostgreSQL's own text
/// form (catalogs use it for "none", e.g. pg_attribute.attgenerated).
pub fn char(raw: &[u8]) -> String {
    match raw.first() {
        None | Some(0) => String::new(),
        Some(&b) => char::from(b).to_string(),
    }
}

/// Days since 2000-01-01; i32::MAX / i32::MIN are +/- infinity.
#[inline]
pub fn date(raw: &[u8]) -> Decoded<i32> {
    int4(raw)
}

/// Microseconds since midnight.
pub fn time(raw: &[u8]) -> Decoded<i64> {
    int8(raw)
}

/// timetz: microseconds since midnight (local), and the zone's offset in
/// seconds *east* of UTC (the wire has it west).
pub fn timetz(raw: &[u8]) -> Decoded<(i64, i32)> {
    let west = i32::from_be_bytes(take(raw, 8)?);
    Ok((int8(raw)?, west.checked_neg().ok_or(Problem::Truncated)?))
}

/// timetz as PostgreSQL prints it: `12:57:18-05:00` (fraction when present).
pub fn timetz_text(micros: i64, offset: i32) -> String {
    let (h, m, s, us) = clock(micros.clamp(0, 86_400_000_000 - 1));
    let (sign, offset) = if offset < 0 { ('-', -offset) } else { ('+', offset) };
    let fraction = if us == 0 { String::new() } else { format!(".{us:06}") };
    format!("{h:02}:{m:02}:{s:02}{fraction}{sign}{:02}:{:02}", offset / 3600, offset % 3600 / 60)
}

/// Microseconds since 2000-01-01 (UTC for timestamptz); i64::MAX / MIN are infinity.
#[inline]
pub fn timestamp(raw: &[u8]) -> Decoded<i64> {
    int8(raw)
}

/// (months, days, microseconds).
pub fn interval(raw: &[u8]) -> Decoded<(i32, i32, i64)> {
    Ok((i32::from_be_bytes(take(raw, 12)?), i32::from_be_bytes(take(raw, 8)?), int8(raw)?))
}

pub fn uuid(raw: &[u8]) -> Decoded<[u8; 16]> {
    take(raw, 0)
}

/// JSON text; jsonb's binary form is a version byte (1) and the JSON text.
pub fn json(raw: &[u8], binary: bool) -> Decoded<&str> {
    text(if binary { raw.get(1..).unwrap_or_default() } else { raw })
}

/// The one clamping rule for targets with a calendar of years 1 to 9999
/// (Python's date and datetime, Arrow for pandas): +/-infinity and dates
/// beyond that range become the first or last day. The CLI prints the truth.
#[inline]
pub fn clamp_days(days: i32) -> i32 {
    days.clamp(FIRST_DAY, LAST_DAY)
}

/// As [`clamp_days`], in microseconds since 2000-01-01.
#[inline]
pub fn clamp_micros(micros: i64) -> i64 {
    const FIRST: i64 = FIRST_DAY as i64 * MICROS_PER_DAY;
    const LAST: i64 = (LAST_DAY as i64 + 1) * MICROS_PER_DAY - 1;
    micros.clamp(FIRST, LAST)
}

/// (year, month, day) of a day count from 2000-01-01, proleptic Gregorian,
/// for every day PostgreSQL can send (its dates reach 5874897 AD, past what
/// chrono holds). Howard Hinnant's `civil_from_days`: integer steps, no
/// overflow for any i32 day count or i64 microsecond timestamp.
pub fn civil(days_since_2000: i64) -> (i64, u8, u8) {
    let z = days_since_2000 + i64::from(PG_EPOCH_UNIX_DAYS) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 1..=12 and 1..=31
    (year, month as u8, day as u8)
}

/// (hour, minute, second, microsecond) of microseconds since midnight (0..=24h).
pub fn clock(micros: i64) -> (u8, u8, u8, u32) {
    let secs = micros.div_euclid(1_000_000);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // bounded by the modulo
    let parts = (
        (secs / 3600).clamp(0, 255) as u8,
        (secs % 3600 / 60) as u8,
        (secs % 60) as u8,
        micros.rem_euclid(1_000_000) as u32,
    );
    parts
}

/// Money: cents in an int8.
pub fn money(raw: &[u8]) -> Decoded<String> {
    let value = int8(raw)?;
    let sign = if value < 0 { "-" } else { "" };
    let v = value.unsigned_abs();
    Ok(format!("{sign}{}.{:02}", v / 100, v % 100))
}

pub fn inet(raw: &[u8], cidr: bool) -> Decoded<String> {
    let family = *raw.first().ok_or(Problem::Truncated)?;
    let bits = *raw.get(1).ok_or(Problem::Truncated)?;
    let addr = raw.get(4..).unwrap_or_default();
    let bad = |_| Problem::from("bad inet");
    let (text, full) = match family {
        2 => (std::net::Ipv4Addr::from(<[u8; 4]>::try_from(addr).map_err(bad)?).to_string(), 32),
        _ => (std::net::Ipv6Addr::from(<[u8; 16]>::try_from(addr).map_err(bad)?).to_string(), 128),
    };
    Ok(if cidr || bits != full { format!("{text}/{bits}") } else { text })
}

/// An array's shape and its elements' bytes (None for NULL), flattened in order.
pub struct Array<'a> {
    pub dims: Vec<usize>,
    pub elements: Vec<Option<&'a [u8]>>,
}

/// One-dimensional or nested arrays; NULL elements allowed. The sizes come
/// from the server: they are checked against the bytes present before
/// anything is allocated, so a hostile value is an error, never an abort.
pub fn array(raw: &[u8]) -> Decoded<Array<'_>> {
    let ndim = usize::try_from(int4(raw)?).map_err(|_| Problem::from("bad array"))?;
    if ndim == 0 {
        return Ok(Array { dims: Vec::new(), elements: Vec::new() });
    }
    if ndim > MAX_ARRAY_DIMS {
        return Err(Problem::Bad(format!("an array with {ndim} dimensions (PostgreSQL allows {MAX_ARRAY_DIMS})")));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|d| {
            i32::from_be_bytes(take(raw, 12 + 8 * d)?).try_into().map_err(|_| Problem::from("bad array dimension"))
        })
        .collect::<Decoded<_>>()?;
    let mut at = 12 + 8 * ndim;
    // Every element takes at least its 4-byte length.
    let room = raw.len().saturating_sub(at) / 4;
    let total = dims
        .iter()
        .try_fold(1usize, |n, d| n.checked_mul(*d))
        .filter(|n| *n <= room)
        .ok_or(Problem::from("array dimensions larger than its data"))?;
    let mut elements = Vec::with_capacity(total);
    for _ in 0..total {
        let len = i32::from_be_bytes(take(raw, at)?);
        at += 4;
        if len < 0 {
            elements.push(None);
        } else {
            let end =
                at.checked_add(usize::try_from(len).map_err(|_| Problem::Truncated)?).ok_or(Problem::Truncated)?;
            elements.push(Some(raw.get(at..end).ok_or(Problem::Truncated)?));
            at = end;
        }
    }
    Ok(Array { dims, elements })
}

mod numeric;
pub use numeric::{Numeric, numeric};

#[cfg(test)]
mod tests;
